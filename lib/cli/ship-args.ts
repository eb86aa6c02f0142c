/**
 * The command line of `oss-stream ship`, parsed with `node:util.parseArgs` into one checked {@link ShipCommand}, so a
 * typo exits with 2 before anything starts.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseDuration, parseHeader, parseSize, UsageError } from './args.js';
import { connectionFrom, parseCommandLine, requireEndpoint, type ConnectionArgs } from './connection-args.js';
import { parseTarget, type OssTarget } from './target.js';

/** The one-line synopsis printed with every usage error. */
export const SHIP_SYNOPSIS =
  'Usage: oss-stream ship <file>... oss://bucket/<key template> [options]   (oss-stream ship --help)';

/** Help text of `ship`. */
export const SHIP_USAGE = `Usage: oss-stream ship <file>... oss://bucket/<key template> [options]

Follows files like tail -F (rotation by rename or copytruncate) and ships their lines into rolling appendable
objects, exactly once: after a crash or kill -9, run the same command again and nothing is lost or duplicated.
Lines written while it was down are shipped on restart, from the files.

  oss-stream ship /var/log/app.log 'oss://my-bucket/logs/{hostname}/{yyyy}{MM}{dd}/app-{HH}-{seq}.log'
  oss-stream ship --once --compress gzip app.log 'oss://my-bucket/logs/app-{yyyy}{MM}{dd}-{seq}.log.gz'   (cron)

Key template: {yyyy} {MM} {dd} {HH} {mm} {ss} (UTC unless --time-zone local), {hostname}, {pid}, {hash},
{seq} (required), and --var name=value placeholders. One writer per object: put {hostname} in the key.

Options:
  --endpoint <url>         OSS endpoint (env OSS_ENDPOINT), required unless --local; credentials from
                           OSS_ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET and OSS_SESSION_TOKEN
  --local                  try it out on an embedded local server that lives as long as the command
  --region <id>            region for V4 signatures (env OSS_REGION)
  --signature <v1|v4>      signature version (default v4)
  --state-dir <dir>        where the state file lives (default ~/.oss-stream-ship)
  --once                   ship what the files hold now and exit (whole lines; the rest goes next time)
  --compress gzip          append each batch as a gzip member (name objects .log.gz)
  --gzip-level <1-9>       default 6
  --roll-size <size>       start a new object before this size (default 1GiB, at most 5GiB)
  --roll-interval <time>   start a new object after this long (default: only by size and key)
  --flush-size <size>      ship a batch at this many bytes (default 1MiB; up to 4× that while catching up)
  --flush-interval <time>  ship whole lines at least this often (default 1s)
  --poll-interval <time>   check files this often without file-system events (default 250ms)
  --time-zone <utc|local>  of the date placeholders (default utc)
  --var <name=value>       a key template placeholder; repeatable
  --header <'Name: value'> a header stored with each object; repeatable
  -q, --quiet              no progress output
  -h, --help               this help

Progress on stderr. SIGINT/SIGTERM ship the whole lines already written, then exit (130 for SIGINT, 0 for SIGTERM).
Exit codes: 0 ok, 1 failure, 2 usage error, 130 interrupted.`;

/** A checked `ship` command line. */
interface ShipCommand extends ConnectionArgs {
  readonly paths: readonly string[];
  readonly target: OssTarget;
  readonly stateDir: string;
  readonly once: boolean;
  readonly compress: 'gzip' | 'none';
  readonly gzipLevel: number | undefined;
  readonly rollBytes: number | undefined;
  readonly rollIntervalMs: number | undefined;
  readonly flushBytes: number | undefined;
  readonly flushIntervalMs: number | undefined;
  readonly pollIntervalMs: number | undefined;
  readonly timeZone: 'utc' | 'local';
  readonly vars: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly quiet: boolean;
}

/** What {@link parseShipArgs} returns. */
export type ShipParse = { readonly help: true } | { readonly help: false; readonly command: ShipCommand };

/**
 * Parses the arguments after `ship`; `vars` is the environment (`OSS_ENDPOINT`, `OSS_REGION`, the credentials).
 * @throws UsageError on anything malformed (and `parseArgs`' own `ERR_PARSE_ARGS_*` errors).
 */
export function parseShipArgs(
  argv: readonly string[],
  vars: Readonly<Record<string, string | undefined>> = process.env,
): ShipParse {
  const { values, positionals } = parseCommandLine(argv, {
    'state-dir': { type: 'string' },
    once: { type: 'boolean' },
    compress: { type: 'string' },
    'gzip-level': { type: 'string' },
    'roll-size': { type: 'string' },
    'roll-interval': { type: 'string' },
    'flush-size': { type: 'string' },
    'flush-interval': { type: 'string' },
    'poll-interval': { type: 'string' },
    'time-zone': { type: 'string' },
    var: { type: 'string', multiple: true },
  });
  if (values.help === true) return { help: true };
  if (positionals.length < 2)
    throw new UsageError('ship needs at least one file and a destination oss://bucket/<key template>');
  const dest = positionals[positionals.length - 1]!;
  const paths = positionals.slice(0, -1);
  if (paths.some((p) => p.startsWith('oss://') || p === '-'))
    throw new UsageError('ship follows local files: give file paths, then one oss://bucket/<key template>');
  const target = parseTarget(dest, undefined);
  if (!target.key.includes('{seq}'))
    throw new UsageError(
      `the key template needs {seq} (each rolled object needs a key of its own), got ${JSON.stringify(target.key)}`,
    );
  const connection = connectionFrom(values, vars);
  const compress = values.compress ?? 'none';
  if (compress !== 'gzip' && compress !== 'none')
    throw new UsageError(`--compress must be gzip or none, got ${JSON.stringify(compress)}`);
  let gzipLevel: number | undefined;
  if (values['gzip-level'] !== undefined) {
    gzipLevel = Number(values['gzip-level']);
    if (!Number.isInteger(gzipLevel) || gzipLevel < 1 || gzipLevel > 9)
      throw new UsageError(`--gzip-level must be 1 to 9, got ${values['gzip-level']}`);
  }
  const tz = values['time-zone'] ?? 'utc';
  if (tz !== 'utc' && tz !== 'local')
    throw new UsageError(`--time-zone must be utc or local, got ${JSON.stringify(tz)}`);
  const varsOut: Record<string, string> = {};
  for (const v of values.var ?? []) {
    const eq = v.indexOf('=');
    if (eq < 1) throw new UsageError(`--var must be name=value, got ${JSON.stringify(v)}`);
    varsOut[v.slice(0, eq)] = v.slice(eq + 1);
  }
  const headers: Record<string, string> = {};
  for (const h of values.header ?? []) {
    const [name, value] = parseHeader(h);
    headers[name] = value;
  }
  const size = (name: 'roll-size' | 'flush-size') =>
    values[name] === undefined ? undefined : parseSize(values[name], `--${name}`);
  const duration = (name: 'roll-interval' | 'flush-interval' | 'poll-interval') =>
    values[name] === undefined ? undefined : parseDuration(values[name], `--${name}`);
  // As for cp: a follower without its environment must fail, not ship into a server that vanishes with it.
  requireEndpoint(connection);
  return {
    help: false,
    command: {
      ...connection,
      paths,
      target,
      stateDir: values['state-dir'] ?? join(homedir(), '.oss-stream-ship'),
      once: values.once === true,
      compress,
      gzipLevel,
      rollBytes: size('roll-size'),
      rollIntervalMs: duration('roll-interval'),
      flushBytes: size('flush-size'),
      flushIntervalMs: duration('flush-interval'),
      pollIntervalMs: duration('poll-interval'),
      timeZone: tz,
      vars: varsOut,
      headers,
      quiet: values.quiet === true,
    },
  };
}
