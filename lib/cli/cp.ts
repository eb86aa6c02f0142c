/**
 * `oss-stream cp <file | -> oss://bucket/key`: a file goes up with `resumableUpload` (rerun the same command after
 * a crash or Ctrl-C and it continues), stdin streams through `createUploadStream`, and `--append` ships stdin (or
 * a file) with `createAppendStream`. Progress on stderr, one summary line on stdout, one error line on stderr.
 *
 * Exit codes: 0 ok, 1 failure, 2 usage error, 130 interrupted (SIGINT), 143 terminated (SIGTERM, handled as SIGINT:
 * `docker stop`, systemd and `timeout` send it, and they deserve the same cleanup as Ctrl-C).
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createReadStream } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import {
  createAppendStream,
  createUploadStream,
  isAbortError,
  OssArgumentError,
  type MultipartWritable,
  ResumableStore,
  resumableUpload,
} from '../index.js';
import { DEFAULTS } from '../config.js';
import { isUsageError, UsageError } from './args.js';
import { appendStartFor } from './append-resume.js';
import { openConnection, type Connection } from './connection.js';
import { CP_SYNOPSIS, CP_USAGE, parseCpArgs, type CpCommand, type CpParse } from './cp-args.js';
import { formatBytes } from './format.js';
import { ProgressDisplay, progressModeFor } from './progress-display.js';
import { errorLine, summaryLine, type UploadOutcome } from './report.js';

/** Exit codes of `oss-stream cp` (and of the `oss-stream` command as a whole). */
const EXIT = Object.freeze({ ok: 0, failure: 1, usage: 2, interrupted: 130, terminated: 143 });

/** The signals that stop an upload the orderly way, the name a user knows each by, and the exit code it gives. */
const STOP_SIGNALS = Object.freeze({
  SIGINT: { label: 'Ctrl-C', exit: EXIT.interrupted },
  SIGTERM: { label: 'SIGTERM', exit: EXIT.terminated },
} as const);
type StopSignal = keyof typeof STOP_SIGNALS;

const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** How the running upload reacts to Ctrl-C (or SIGTERM), and what to tell the user afterwards. */
interface Interruptible {
  /** A graceful first signal (append: ship what was read); without it, the first signal aborts the upload. */
  stop?: (() => void) | undefined;
  /** What to say after an interruption (one line); `label` names the signal (`Ctrl-C`, `SIGTERM`). */
  afterInterrupt(label: string): Promise<string>;
  /** Appended to the error line of a failure, if any. */
  failureHint(): Promise<string | undefined>;
}

interface RunContext {
  readonly cmd: CpCommand;
  readonly conn: Connection;
  readonly size: number | undefined;
  readonly signal: AbortSignal;
  readonly display: (total: number | null, inFlight?: () => number | undefined) => ProgressDisplay;
  /** Set by the mode before it starts. */
  interruptible: Interruptible | undefined;
  /** Scratch directories to remove at exit. */
  readonly cleanups: (() => Promise<void>)[];
}

/** The file, resumably. */
async function uploadFile(ctx: RunContext, path: string): Promise<UploadOutcome> {
  const { cmd, conn } = ctx;
  let dir = cmd.checkpointDir === undefined ? undefined : resolve(cmd.checkpointDir);
  if (dir === undefined && conn.embedded) {
    // The embedded server forgets its uploads at exit, so a checkpoint of one must not outlive the command either.
    const scratch = await mkdtemp(join(tmpdir(), 'oss-stream-cp-'));
    ctx.cleanups.push(() => rm(scratch, { recursive: true, force: true }));
    dir = scratch;
  }
  const store = new ResumableStore(dir === undefined ? {} : { dir });
  const absPath = resolve(path);
  // A run killed between writing a checkpoint and renaming it into place leaves a temporary file behind.
  await store.sweep().catch(() => 0);
  const partSize = cmd.partSize ?? DEFAULTS.partSize;
  const recorded = async (): Promise<number | undefined> => {
    const record = await store.load(conn.bucket.name, cmd.target.key, absPath).catch(() => undefined);
    return record?.parts.reduce((sum, p) => sum + p.size, 0);
  };
  ctx.interruptible = {
    afterInterrupt: async () => {
      const stored = await recorded();
      if (stored === undefined) return 'interrupted: nothing was stored; run the same command again to upload the file';
      if (conn.embedded)
        return `interrupted: ${formatBytes(stored)} had been stored on the embedded server, which is gone now`;
      return (
        `interrupted: ${formatBytes(stored)} of ${formatBytes(ctx.size ?? 0)} are stored and recorded in ` +
        `${store.directory}; run the same command again to resume`
      );
    },
    failureHint: async () =>
      (await recorded()) === undefined || conn.embedded
        ? undefined
        : `the checkpoint is kept in ${store.directory}: run the same command again to resume`,
  };
  const display = ctx.display(ctx.size ?? null);
  const t0 = performance.now();
  try {
    const r = await resumableUpload(conn.bucket, cmd.target.key, path, {
      store,
      partSize,
      // A file larger than one part goes multipart, so it is resumable whatever its size.
      multipartThreshold: partSize,
      concurrency: cmd.concurrency,
      headers: { ...cmd.headers },
      onProgress: (done, total) => display.update(done, total),
      signal: ctx.signal,
    });
    display.stop();
    const details = r.mode === 'multipart' ? [`multipart, ${r.parts?.length ?? 0} parts`] : ['one PutObject'];
    if (r.resumedBytes > 0) details.push(`resumed: ${r.resumedBytes} bytes were already stored`);
    return {
      action: 'uploaded',
      source: path,
      target: `oss://${conn.bucket.name}/${cmd.target.key}`,
      bytes: r.size,
      sentBytes: r.size - r.resumedBytes,
      seconds: (performance.now() - t0) / 1000,
      details,
      etag: r.etag,
      crc64: r.crc64,
      requestId: r.requestId,
    };
  } finally {
    display.stop();
  }
}

/** Stdin (of unknown length) as one object: one PutObject when it is small, else a multipart upload. */
async function uploadStdin(ctx: RunContext): Promise<UploadOutcome> {
  const { cmd, conn } = ctx;
  // The display reads the sink's parts in flight lazily, so it can exist before the sink it reports on.
  const holder: { sink?: MultipartWritable } = {};
  const display = ctx.display(null, () => holder.sink?.partsInFlight);
  const sink = (holder.sink = createUploadStream(conn.bucket, cmd.target.key, {
    partSize: cmd.partSize,
    concurrency: cmd.concurrency,
    headers: { ...cmd.headers },
    onProgress: (done, total) => display.update(done, total),
    signal: ctx.signal,
  }));
  ctx.interruptible = {
    afterInterrupt: async () => 'interrupted: the upload was cancelled and its parts deleted; nothing was stored',
    failureHint: async () => undefined,
  };
  const t0 = performance.now();
  try {
    await pipeline(process.stdin, sink);
  } finally {
    display.stop();
  }
  const r = sink.result!;
  return {
    action: 'uploaded',
    source: 'stdin',
    target: `oss://${conn.bucket.name}/${cmd.target.key}`,
    bytes: r.size,
    sentBytes: r.size,
    seconds: (performance.now() - t0) / 1000,
    details: [r.mode === 'multipart' ? `multipart, ${r.parts?.length ?? 0} parts` : 'one PutObject'],
    etag: r.etag,
    crc64: r.crc64,
    requestId: r.requestId,
  };
}

/**
 * Appends stdin (or a file), batches ending at line ends. The first Ctrl-C (or SIGTERM) stops reading and ships what
 * was read, so no line already read is lost; a second one cancels. A file continues where an earlier run of the
 * same command stopped (see append-resume.ts), so running it twice does not append the file twice.
 */
async function append(ctx: RunContext): Promise<UploadOutcome> {
  const { cmd, conn } = ctx;
  const path = cmd.sourcePath;
  const start =
    path === undefined
      ? { offset: 0, position: 'auto' as const }
      : await appendStartFor(conn.bucket, cmd.target.key, path, ctx.size ?? 0);
  const source: Readable = path === undefined ? process.stdin : createReadStream(path, { start: start.offset });
  const remaining = ctx.size === undefined ? null : ctx.size - start.offset;
  const display = ctx.display(remaining);
  const sink = createAppendStream(conn.bucket, cmd.target.key, {
    position: start.position,
    flushIntervalMs: cmd.flushIntervalMs,
    lineMode: true,
    retries: cmd.retries,
    headers: { ...cmd.headers },
    onProgress: (done) => display.update(done),
    signal: ctx.signal,
  });
  let stopped = false;
  ctx.interruptible = {
    stop: () => {
      stopped = true;
      source.unpipe(sink);
      source.destroy();
      sink.end();
    },
    afterInterrupt: async (label) => `interrupted: ${sink.result?.size ?? 0} bytes read before ${label} were appended`,
    failureHint: async () => {
      const r = sink.result;
      if (r === undefined) return 'nothing was appended before the failure';
      return `${r.size} bytes were appended before the failure (the object is now ${r.nextPosition} bytes long)`;
    },
  };
  const t0 = performance.now();
  try {
    await pump(source, sink);
  } finally {
    display.stop();
  }
  const r = sink.result!;
  const details = [`${r.appends} append${r.appends === 1 ? '' : 's'}`, `object now ${r.nextPosition} bytes`];
  if (start.offset > 0) details.push(`continued: the first ${start.offset} bytes of the file were already appended`);
  const outcome: UploadOutcome = {
    action: 'appended',
    source: cmd.sourcePath ?? 'stdin',
    target: `oss://${conn.bucket.name}/${cmd.target.key}`,
    bytes: r.size,
    sentBytes: r.size,
    seconds: (performance.now() - t0) / 1000,
    details,
    etag: r.etag === '' ? '-' : r.etag,
    crc64: r.crc64,
    requestId: r.requestId === '' ? '-' : r.requestId,
  };
  if (stopped) throw new Interrupted(outcome);
  return outcome;
}

/** An append stopped by Ctrl-C (SIGTERM) after storing what it had read: reported, and exits 130 (143). */
class Interrupted extends Error {
  constructor(readonly outcome: UploadOutcome) {
    super('interrupted');
  }
}

/** `source.pipe(sink)` that can be cut short (unpipe + end) and settles when the sink does. */
async function pump(source: Readable, sink: Writable): Promise<void> {
  source.once('error', (err) => sink.destroy(err));
  source.pipe(sink);
  await finished(sink);
}

async function sourceSize(path: string): Promise<number> {
  const info = await stat(path);
  // A directory is a mistake in the command line (cp uploads one file), not a failure of the upload.
  if (info.isDirectory()) throw new UsageError(`${path} is a directory: cp uploads one file (or - for stdin)`);
  if (!info.isFile()) throw Object.assign(new Error(`${path} is not a regular file`), { code: 'EINVAL' });
  return info.size;
}

/**
 * Errors that mean the command line was wrong: exit 2 with the usage line. The library's argument errors count
 * (a malformed header), except EntityTooLarge: the data outgrew a limit (a 5 GiB appendable object), which is a
 * failure of the upload, reported with its code.
 */
export function isCommandLineError(err: unknown): boolean {
  return isUsageError(err) || (err instanceof OssArgumentError && err.code !== 'EntityTooLarge');
}

/**
 * Runs `oss-stream cp` with `argv` (the arguments after `cp`) and resolves to its exit code. `vars` is the
 * environment read for endpoint, region and credentials.
 */
export async function cpMain(
  argv: readonly string[],
  vars: Readonly<Record<string, string | undefined>> = process.env,
): Promise<number> {
  let parsed: CpParse;
  try {
    parsed = parseCpArgs(argv, vars);
  } catch (err) {
    if (!isUsageError(err)) throw err;
    say(`oss-stream cp: ${(err as Error).message}\n${CP_SYNOPSIS}`);
    return EXIT.usage;
  }
  if (parsed.help) {
    process.stdout.write(`${CP_USAGE}\n`);
    return EXIT.ok;
  }
  const cmd = parsed.command;

  let size: number | undefined;
  if (cmd.sourcePath !== undefined) {
    try {
      size = await sourceSize(cmd.sourcePath);
    } catch (err) {
      if (isUsageError(err)) {
        say(`oss-stream cp: ${(err as Error).message}\n${CP_SYNOPSIS}`);
        return EXIT.usage;
      }
      say(errorLine(err));
      return EXIT.failure;
    }
  }

  const controller = new AbortController();
  let interrupts = 0;
  let graceful = false;
  // The first signal names the interruption (label and exit code); later ones of either kind escalate it.
  let stoppedBy: (typeof STOP_SIGNALS)[StopSignal] | undefined;
  let ctx: RunContext | undefined;
  const onSignal = (signal: StopSignal): void => {
    interrupts++;
    stoppedBy ??= STOP_SIGNALS[signal];
    const again = `${STOP_SIGNALS[signal].label} again`;
    const stop = ctx?.interruptible?.stop;
    if (interrupts === 1 && stop !== undefined) {
      graceful = true;
      say(`oss-stream cp: stopping: shipping what was read (${again} to cancel)`);
      stop();
    } else if (interrupts === 1 || (interrupts === 2 && graceful)) {
      say(`oss-stream cp: interrupting (${again} to quit at once)`);
      controller.abort();
    } else {
      // Cleanup is stuck or too slow for the user: leave now (a file upload's checkpoint is already on disk).
      process.exit(stoppedBy.exit);
    }
  };
  const onSigint = (): void => onSignal('SIGINT');
  const onSigterm = (): void => onSignal('SIGTERM');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);

  let conn: Connection | undefined;
  const cleanups: (() => Promise<void>)[] = [];
  try {
    conn = await openConnection({ ...cmd, bucket: cmd.target.bucket }, say);
    const mode = progressModeFor(process.stderr, cmd.quiet);
    ctx = {
      cmd,
      conn,
      size,
      signal: controller.signal,
      display: (total, inFlight) => new ProgressDisplay({ mode, total, inFlight }),
      interruptible: undefined,
      cleanups,
    };
    // Ctrl-C before the upload started: nothing to resume or ship.
    if (controller.signal.aborted) return stoppedBy?.exit ?? EXIT.interrupted;
    const outcome = cmd.append
      ? await append(ctx)
      : cmd.sourcePath === undefined
        ? await uploadStdin(ctx)
        : await uploadFile(ctx, cmd.sourcePath);
    process.stdout.write(`${summaryLine(outcome)}\n`);
    return EXIT.ok;
  } catch (err) {
    const label = stoppedBy?.label ?? 'Ctrl-C';
    if (err instanceof Interrupted) {
      process.stdout.write(`${summaryLine(err.outcome)}\n`);
      say(`oss-stream cp: ${await ctx!.interruptible!.afterInterrupt(label)}`);
      return stoppedBy?.exit ?? EXIT.interrupted;
    }
    if (interrupts > 0 && isAbortError(err)) {
      say(`oss-stream cp: ${(await ctx?.interruptible?.afterInterrupt(label)) ?? 'interrupted'}`);
      return stoppedBy?.exit ?? EXIT.interrupted;
    }
    if (isCommandLineError(err)) {
      say(`${isUsageError(err) ? `oss-stream cp: ${(err as Error).message}` : errorLine(err)}\n${CP_SYNOPSIS}`);
      return EXIT.usage;
    }
    const hint = await ctx?.interruptible?.failureHint().catch(() => undefined);
    say(`${errorLine(err)}${hint === undefined ? '' : `; ${hint}`}`);
    return EXIT.failure;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    await conn?.close().catch(() => undefined);
    for (const c of cleanups) await c().catch(() => undefined);
  }
}
