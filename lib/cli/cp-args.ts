/**
 * The command line of `oss-stream cp`, parsed with `node:util.parseArgs` into one checked {@link CpCommand}.
 * Everything that can be checked without touching the network or the disk is checked here, so a typo exits with 2
 * before anything starts.
 */
import { checkBufferedPartSize, LIMITS, maxBufferedPartSize } from '../config.js';
import { parseCount, parseDuration, parseHeader, parseMeta, parseSize, UsageError } from './args.js';
import { connectionFrom, parseCommandLine, requireEndpoint, type ConnectionArgs } from './connection-args.js';
import { parseTarget, type OssTarget } from './target.js';

/** The one-line synopsis printed with every usage error. */
export const CP_SYNOPSIS =
  'Usage: oss-stream cp <file | -> oss://bucket/key [options]   (oss-stream cp --help for more)';

/** Help text of `cp`. */
export const CP_USAGE = `Usage: oss-stream cp <file | -> oss://bucket/key [options]

Uploads a file (resumable: rerun the same command after a crash or Ctrl-C to continue) or stdin ("-", streamed
in parts, any length) to OSS. With --append, appends to an Appendable object instead (log shipping).

  oss-stream cp backup.tar oss://my-bucket/backups/backup.tar
  pg_dump db | oss-stream cp - oss://my-bucket/db.sql
  tail -f app.log | oss-stream cp --append - oss://my-bucket/app.log

Options:
  --endpoint <url>         OSS endpoint, e.g. oss-cn-hangzhou.aliyuncs.com or http://127.0.0.1:9000 (env OSS_ENDPOINT).
                           Required, unless --local.
  --local                  try it out: upload to an embedded local server started for the duration of the command;
                           the object is gone when the command ends
  --region <id>            region for V4 signatures, e.g. cn-hangzhou (env OSS_REGION; derived from oss-<region> hosts)
  --signature <v1|v4>      signature version (default v4)
  --part-size <size>       part size, e.g. 8MiB (default 8MiB; 100KiB..${partSizeMaxText()}:
                           Node 20 Buffers stop at 4GiB)
  --concurrency <n|auto>   parts in flight (default auto: found while uploading, within 256 MiB of parts);
                           --parallel is the old name, still accepted
  --checkpoint-dir <dir>   where file uploads keep their resume checkpoints (default ~/.oss-stream-upload)
  --content-type <type>    Content-Type (default: guessed from the file or key name)
  --meta <k=v>             user metadata x-oss-meta-k; repeatable
  --header <'Name: value'> any upload header (Cache-Control, x-oss-storage-class…); repeatable
  --append                 append to the object (created if missing) instead of replacing it
  --flush-interval <time>  with --append: ship buffered lines at least this often (default 1s; 0 = only when full).
                           A batch ends at a line end; only a line longer than a batch (1 MiB) is cut.
                           A file is continued where an earlier run stopped (when the object is a prefix of it).
  --retries <n>            extra attempts after a network error, 5xx, 429 or 408 (default 3; with --append 10, backing
                           off from 250ms to 8s: a server outage of up to 24s loses no line that was read)
  --access-key-id <id>     credentials (prefer env OSS_ACCESS_KEY_ID / OSS_ACCESS_KEY_SECRET / OSS_SESSION_TOKEN:
  --access-key-secret <s>    command lines are visible to other users)
  --security-token <t>
  -q, --quiet              no progress output
  -h, --help               this help

Output: progress on stderr (a bar on a terminal, a line a second otherwise); one summary line on stdout.
Exit codes: 0 ok, 1 failure, 2 usage error, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM). SIGTERM is
handled as Ctrl-C: a file upload keeps its checkpoint, a stdin upload is aborted, --append ships what was read.`;

/** A checked `cp` command line. */
export interface CpCommand extends ConnectionArgs {
  /** A file path, or `undefined` for stdin (`-`). */
  readonly sourcePath: string | undefined;
  readonly target: OssTarget;
  readonly partSize: number | undefined;
  /** A number, or `'auto'` (found while uploading). */
  readonly concurrency: number | 'auto' | undefined;
  readonly checkpointDir: string | undefined;
  /** Upload headers: `--header`s, then `--meta`s, then `--content-type` (later ones win). */
  readonly headers: Readonly<Record<string, string>>;
  readonly append: boolean;
  readonly flushIntervalMs: number | undefined;
  /** `--retries`: extra attempts per request (per append batch with --append). */
  readonly retries: number | undefined;
  readonly quiet: boolean;
}

/** What {@link parseCpArgs} returns: a command, or a request for help. */
export type CpParse = { readonly help: true } | { readonly help: false; readonly command: CpCommand };

function partSizeFrom(text: string): number {
  const n = parseSize(text, '--part-size');
  try {
    // The library's own check: a part is held in memory, so this Node's Buffer limit applies as well as OSS's.
    return checkBufferedPartSize('--part-size', n, LIMITS);
  } catch {
    throw new UsageError(
      `--part-size must be from 100KiB to ${partSizeMaxText()} ` +
        `(OSS limits, and the largest Buffer Node ${process.versions.node} can allocate), got ${text}`,
    );
  }
}

/** The largest `--part-size` on this Node, as the help and the error say it. */
function partSizeMaxText(): string {
  const max = maxBufferedPartSize(LIMITS);
  return max % 2 ** 30 === 0 ? `${max / 2 ** 30}GiB` : `${max} bytes`;
}

/** Sets `name` to `value`, replacing any header of the same name in another case. */
function setHeader(headers: Record<string, string>, name: string, value: string): void {
  for (const k of Object.keys(headers)) if (k.toLowerCase() === name.toLowerCase()) delete headers[k];
  headers[name] = value;
}

/**
 * Parses the arguments after `cp`. `vars` is the environment (`OSS_ENDPOINT`, `OSS_REGION`, `OSS_ACCESS_KEY_ID`,
 * `OSS_ACCESS_KEY_SECRET`, `OSS_SESSION_TOKEN`); flags win over it.
 * @throws UsageError on anything malformed; `parseArgs`' own errors (unknown option, missing value) pass through
 *   with their `ERR_PARSE_ARGS_*` code.
 */
export function parseCpArgs(
  argv: readonly string[],
  vars: Readonly<Record<string, string | undefined>> = process.env,
): CpParse {
  const { values, positionals } = parseCommandLine(argv, {
    'part-size': { type: 'string' },
    concurrency: { type: 'string' },
    parallel: { type: 'string' },
    'checkpoint-dir': { type: 'string' },
    'content-type': { type: 'string' },
    meta: { type: 'string', multiple: true },
    append: { type: 'boolean' },
    'flush-interval': { type: 'string' },
    retries: { type: 'string' },
    'access-key-id': { type: 'string' },
    'access-key-secret': { type: 'string' },
    'security-token': { type: 'string' },
  });
  if (values.help === true) return { help: true };
  if (positionals.length !== 2) {
    throw new UsageError(
      positionals.length < 2
        ? 'cp needs a source (a file or -) and a destination oss://bucket/key'
        : `cp takes one source and one destination, got ${positionals.length} arguments`,
    );
  }
  const [source, dest] = positionals as [string, string];
  if (source.startsWith('oss://'))
    throw new UsageError('cp uploads: the source must be a local file or -, the destination oss://bucket/key');
  const sourcePath = source === '-' ? undefined : source;
  const target = parseTarget(dest, sourcePath);
  const append = values.append === true;

  if (values['flush-interval'] !== undefined && !append)
    throw new UsageError('--flush-interval only applies with --append');
  if (values['checkpoint-dir'] !== undefined && (sourcePath === undefined || append)) {
    throw new UsageError('--checkpoint-dir only applies to file uploads (stdin and --append cannot be resumed)');
  }
  // One name for parts in flight across the library and the command: --concurrency; --parallel stays an alias.
  if (values.concurrency !== undefined && values.parallel !== undefined && values.concurrency !== values.parallel) {
    throw new UsageError('--concurrency and --parallel are the same option: give one');
  }
  const concurrency = values.concurrency ?? values.parallel;
  if (append && (values['part-size'] !== undefined || concurrency !== undefined)) {
    throw new UsageError('--part-size and --concurrency do not apply with --append (appends go one at a time)');
  }

  const headers: Record<string, string> = {};
  for (const h of values.header ?? []) setHeader(headers, ...parseHeader(h));
  for (const m of values.meta ?? []) setHeader(headers, ...parseMeta(m));
  if (values['content-type'] !== undefined) setHeader(headers, 'Content-Type', values['content-type']);

  const connection = connectionFrom(values, vars, {
    id: values['access-key-id'],
    secret: values['access-key-secret'],
    token: values['security-token'],
  });
  const command: CpCommand = {
    ...connection,
    sourcePath,
    target,
    partSize: values['part-size'] === undefined ? undefined : partSizeFrom(values['part-size']),
    concurrency:
      concurrency === undefined || concurrency === 'auto'
        ? concurrency
        : parseCount(concurrency, '--concurrency', 1000),
    checkpointDir: values['checkpoint-dir'],
    headers,
    append,
    flushIntervalMs:
      values['flush-interval'] === undefined ? undefined : parseDuration(values['flush-interval'], '--flush-interval'),
    retries: values.retries === undefined ? undefined : parseCount(values.retries, '--retries', 100, 0),
    quiet: values.quiet === true,
  };
  requireEndpoint(connection);
  return { help: false, command };
}
