/**
 * Where the examples upload.
 *
 * - With `OSS_ENDPOINT` set: that endpoint, with `OSS_ACCESS_KEY_ID`, `OSS_ACCESS_KEY_SECRET`, `OSS_BUCKET` and
 *   optionally `OSS_REGION` (V4 signing) and `OSS_SECURITY_TOKEN` (STS).
 * - Without it: a local OSS-compatible server started for this run only (`oss-stream/server`), with one bucket,
 *   stopped again by `close()`. So every example runs as is: `node --import tsx examples/put-string.ts`.
 *
 * It also hands out a scratch directory for the local files the examples upload (`local.txt`…).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Auth, Bucket, StsAuth } from 'oss-stream';

/** What an example needs to build its {@link Bucket}. */
export interface OssTarget {
  endpoint: string;
  bucketName: string;
  accessKeyId: string;
  accessKeySecret: string;
  securityToken: string | undefined;
  region: string | undefined;
  /** True when the embedded local server is used. */
  local: boolean;
  /** This run's scratch directory (removed by {@link close}). */
  scratchDir: string;
  /** Writes `data` to `name` in this run's scratch directory and returns its path. */
  localFile(name: string, data: string | Uint8Array): Promise<string>;
  /** Stops the embedded server (if any) and removes the scratch directory. */
  close(): Promise<void>;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const v = env[name];
  if (v === undefined || v === '') throw new Error(`${name} must be set when OSS_ENDPOINT is (see examples/_local.ts)`);
  return v;
}

/** The OSS to use: from the environment, or an embedded local server. */
export async function ossTarget(env: NodeJS.ProcessEnv = process.env): Promise<OssTarget> {
  const scratch = await mkdtemp(join(tmpdir(), 'oss-stream-example-'));
  const localFile = async (name: string, data: string | Uint8Array): Promise<string> => {
    const path = join(scratch, name);
    await writeFile(path, data);
    return path;
  };
  const removeScratch = (): Promise<void> => rm(scratch, { recursive: true, force: true });

  if (env['OSS_ENDPOINT'] !== undefined && env['OSS_ENDPOINT'] !== '') {
    return {
      endpoint: env['OSS_ENDPOINT'],
      bucketName: required(env, 'OSS_BUCKET'),
      accessKeyId: required(env, 'OSS_ACCESS_KEY_ID'),
      accessKeySecret: required(env, 'OSS_ACCESS_KEY_SECRET'),
      securityToken: env['OSS_SECURITY_TOKEN'] || undefined,
      region: env['OSS_REGION'] || undefined,
      local: false,
      scratchDir: scratch,
      localFile,
      close: removeScratch,
    };
  }

  // Loaded only when needed: code pointed at real OSS never loads the server.
  const { OssServer } = await import('oss-stream/server');
  const credential = { accessKeyId: 'example-ak', accessKeySecret: 'example-sk' };
  const server = await OssServer.start({ credentials: [credential], buckets: ['examples'] });
  return {
    endpoint: server.endpoint,
    bucketName: 'examples',
    ...credential,
    securityToken: undefined,
    region: server.region,
    local: true,
    scratchDir: scratch,
    localFile,
    close: async () => {
      await server.close();
      await removeScratch();
    },
  };
}

/**
 * `new Bucket(auth, endpoint, name, { region })` for `target`: the one line every oss2 example starts with.
 * Shown here once so the examples can stay about their topic.
 */
export function bucketFor(target: OssTarget): Bucket {
  const auth =
    target.securityToken === undefined
      ? new Auth(target.accessKeyId, target.accessKeySecret)
      : new StsAuth(target.accessKeyId, target.accessKeySecret, target.securityToken);
  return new Bucket(
    auth,
    target.endpoint,
    target.bucketName,
    target.region === undefined ? {} : { region: target.region },
  );
}
