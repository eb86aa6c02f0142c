/**
 * `oss-stream serve`: runs the local OSS server in the foreground until SIGINT or SIGTERM.
 *
 * ```
 * oss-stream serve --port 9000 --root ./oss-data --bucket demo --access-key-id ak --access-key-secret sk
 * oss-stream serve --anonymous --storage discard --fault '{"op":"UploadPart","partNumber":2,"action":{"type":"error"}}'
 * ```
 * The first line printed is `OSS server listening at <endpoint>`, then the region, root, buckets and keys.
 */
import { parseArgs } from 'node:util';
import type { FaultRule } from './faults.js';
import { OssServer } from './oss-server.js';
import type { ServerOptions, StorageMode } from './options.js';

/** Help text of `serve`. */
export const SERVE_USAGE = `Usage: oss-stream serve [options]

Runs a local OSS-compatible server until Ctrl-C (SIGINT) or SIGTERM.

Options:
  --port <n>                 TCP port (default 0: any free port)
  --host <addr>              interface (default 127.0.0.1)
  --root <dir>               data directory (default: a temp dir removed at exit)
  --bucket <name>            bucket to create; repeat for several
  --access-key-id <id>       accepted key id (default test-ak)
  --access-key-secret <s>    its secret (default test-sk)
  --security-token <t>       make the key an STS key requiring this token
  --region <id>              region for V4 signatures (default cn-hangzhou)
  --anonymous                accept unsigned requests (quick experiments only)
  --storage <disk|discard>   keep bytes on disk (default) or only count them
  --skip-md5                 benchmark mode: no MD5 of bodies, ETags from CRC-64 (not OSS-faithful)
  --fault <json>             fault rule, e.g. '{"op":"PutObject","action":{"type":"error","status":503}}';
                             repeatable; "times":"Infinity" for every request
  -h, --help                 this help`;

/** Parses `serve` arguments into server options; throws `TypeError` on a usage error. */
export function parseServeArgs(argv: string[]): { options: ServerOptions; faults: FaultRule[]; help: boolean } {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      root: { type: 'string' },
      bucket: { type: 'string', multiple: true },
      'access-key-id': { type: 'string' },
      'access-key-secret': { type: 'string' },
      'security-token': { type: 'string' },
      region: { type: 'string' },
      anonymous: { type: 'boolean' },
      storage: { type: 'string' },
      'skip-md5': { type: 'boolean' },
      fault: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const options: ServerOptions = {};
  if (values.port !== undefined) {
    if (!/^\d+$/.test(values.port) || Number(values.port) > 65535)
      throw new TypeError(`--port must be 0..65535, got ${values.port}`);
    options.port = Number(values.port);
  }
  if (values.host !== undefined) options.host = values.host;
  if (values.root !== undefined) options.root = values.root;
  if (values.region !== undefined) options.region = values.region;
  if (values.bucket !== undefined) options.buckets = values.bucket;
  if (values.anonymous === true) options.anonymous = true;
  if (values['skip-md5'] === true) options.skipMd5 = true;
  if (values.storage !== undefined) {
    if (values.storage !== 'disk' && values.storage !== 'discard')
      throw new TypeError(`--storage must be disk or discard, got ${values.storage}`);
    options.storage = values.storage as StorageMode;
  }
  const id = values['access-key-id'];
  const secret = values['access-key-secret'];
  if ((id === undefined) !== (secret === undefined))
    throw new TypeError('--access-key-id and --access-key-secret go together');
  if (id !== undefined && secret !== undefined) {
    const token = values['security-token'];
    options.credentials = [
      token === undefined
        ? { accessKeyId: id, accessKeySecret: secret }
        : { accessKeyId: id, accessKeySecret: secret, securityToken: token },
    ];
  }
  const faults = (values.fault ?? []).map((json) => {
    let rule: Omit<FaultRule, 'times'> & { times?: number | string };
    try {
      rule = JSON.parse(json) as Omit<FaultRule, 'times'> & { times?: number | string };
    } catch {
      throw new TypeError(`--fault must be JSON, got ${json}`);
    }
    if (rule.times === 'Infinity') rule.times = Infinity;
    return rule as FaultRule;
  });
  return { options, faults, help: values.help === true };
}

/**
 * Runs the server described by `argv` (arguments after `serve`) until SIGINT/SIGTERM, then closes it and resolves.
 * @throws TypeError on a usage error (before anything is started).
 */
export async function serveMain(argv: string[]): Promise<void> {
  const { options, faults, help } = parseServeArgs(argv);
  if (help) {
    process.stdout.write(`${SERVE_USAGE}\n`);
    return;
  }
  const server = await OssServer.start(options);
  try {
    for (const f of faults) server.faults.add(f);
  } catch (err) {
    await server.close();
    throw err;
  }
  const keys = server.credentials.map(
    (c) =>
      `  access key id:     ${c.accessKeyId}\n  access key secret: ${c.accessKeySecret}` +
      (c.securityToken === undefined ? '' : `\n  security token:    ${c.securityToken}`),
  );
  const buckets = options.buckets !== undefined && options.buckets.length > 0 ? options.buckets.join(', ') : '(none)';
  process.stdout.write(
    `OSS server listening at ${server.endpoint}\n` +
      `  region:            ${server.region}\n` +
      `  root:              ${server.root}${options.root === undefined ? ' (temporary)' : ''}\n` +
      `  storage:           ${server.storage}` +
      `${options.skipMd5 === true ? ' (benchmark mode: no MD5, ETags from CRC-64)' : ''}\n` +
      `  buckets:           ${buckets}\n` +
      (options.anonymous === true
        ? '  auth:              anonymous (signatures not checked)\n'
        : `${keys.join('\n')}\n`) +
      `Path-style URLs: ${server.endpoint}/<bucket>/<key>. Stop with Ctrl-C.\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  process.stdout.write('OSS server stopped\n');
}
