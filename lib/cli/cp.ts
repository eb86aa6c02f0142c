/**
 * `oss-stream cp <file | -> oss://bucket/key`: a file goes up with `resumableUpload` (rerun the same command after
 * a crash or Ctrl-C and it continues), stdin streams through `createUploadStream`, and `--append` ships stdin (or
 * a file) with `createAppendStream`. Progress on stderr, one summary line on stdout, one error line on stderr.
 *
 * Exit codes: 0 ok, 1 failure, 2 usage error, 130 interrupted.
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
  DEFAULTS,
  isAbortError,
  OssArgumentError,
  type MultipartWritable,
  ResumableStore,
  resumableUpload,
} from '../index.js';
import { UsageError } from './args.js';
import { openConnection, type Connection } from './connection.js';
import { CP_SYNOPSIS, CP_USAGE, parseCpArgs, type CpCommand, type CpParse } from './cp-args.js';
import { formatBytes } from './format.js';
import { ProgressDisplay, progressModeFor } from './progress-display.js';
import { errorLine, summaryLine, type UploadOutcome } from './report.js';

/** Exit codes of `oss-stream cp` (and of the `oss-stream` command as a whole). */
export const EXIT = Object.freeze({ ok: 0, failure: 1, usage: 2, interrupted: 130 });

const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

function isUsageError(err: unknown): boolean {
  return err instanceof UsageError || (err as { code?: unknown } | null)?.code?.toString().startsWith('ERR_PARSE_ARGS') === true;
}

/** How the running upload reacts to Ctrl-C, and what to tell the user afterwards. */
interface Interruptible {
  /** A graceful first Ctrl-C (append: ship what was read); without it, the first Ctrl-C aborts the upload. */
  stop?: (() => void) | undefined;
  /** What to say after an interruption (one line). */
  afterInterrupt(): Promise<string>;
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
  // A run killed between writing a checkpoint and renaming it into place leaves a temporary file behind.
  await store.sweep().catch(() => 0);
  const absPath = resolve(path);
  const partSize = cmd.partSize ?? DEFAULTS.partSize;
  const recorded = async (): Promise<number | undefined> => {
    const record = await store.load(conn.bucket.name, cmd.target.key, absPath).catch(() => undefined);
    return record?.parts.reduce((sum, p) => sum + p.size, 0);
  };
  ctx.interruptible = {
    afterInterrupt: async () => {
      const stored = await recorded();
      if (stored === undefined) return 'interrupted: nothing was stored; run the same command again to upload the file';
      if (conn.embedded) return `interrupted: ${formatBytes(stored)} had been stored on the embedded server, which is gone now`;
      return `interrupted: ${formatBytes(stored)} of ${formatBytes(ctx.size ?? 0)} are stored and recorded in ${store.directory}; run the same command again to resume`;
    },
    failureHint: async () => ((await recorded()) === undefined || conn.embedded ? undefined : `the checkpoint is kept in ${store.directory}: run the same command again to resume`),
  };
  const display = ctx.display(ctx.size ?? null);
  const t0 = performance.now();
  try {
    const r = await resumableUpload(conn.bucket, cmd.target.key, path, {
      store,
      partSize,
      // A file larger than one part goes multipart, so it is resumable whatever its size.
      multipartThreshold: partSize,
      concurrency: cmd.parallel,
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
  let sink: MultipartWritable | undefined;
  const display = ctx.display(null, () => sink?.partsInFlight);
  sink = createUploadStream(conn.bucket, cmd.target.key, {
    partSize: cmd.partSize,
    concurrency: cmd.parallel,
    headers: { ...cmd.headers },
    onProgress: (done, total) => display.update(done, total),
    signal: ctx.signal,
  });
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
 * Appends stdin (or a file). The first Ctrl-C stops reading and ships what was read, so no line already read is
 * lost; a second one cancels.
 */
async function append(ctx: RunContext): Promise<UploadOutcome> {
  const { cmd, conn } = ctx;
  const source: Readable = cmd.sourcePath === undefined ? process.stdin : createReadStream(cmd.sourcePath);
  const display = ctx.display(ctx.size ?? null);
  const sink = createAppendStream(conn.bucket, cmd.target.key, {
    flushIntervalMs: cmd.flushIntervalMs,
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
    afterInterrupt: async () => `interrupted: ${sink.result?.size ?? 0} bytes read before Ctrl-C were appended`,
    failureHint: async () => `${sink.result?.size ?? 0} bytes were appended before the failure (the object is now ${sink.result?.nextPosition ?? 'unchanged'} bytes long)`,
  };
  const t0 = performance.now();
  try {
    await pump(source, sink);
  } finally {
    display.stop();
  }
  const r = sink.result!;
  const outcome: UploadOutcome = {
    action: 'appended',
    source: cmd.sourcePath ?? 'stdin',
    target: `oss://${conn.bucket.name}/${cmd.target.key}`,
    bytes: r.size,
    sentBytes: r.size,
    seconds: (performance.now() - t0) / 1000,
    details: [`${r.appends} append${r.appends === 1 ? '' : 's'}`, `object now ${r.nextPosition} bytes`],
    etag: r.etag === '' ? '-' : r.etag,
    crc64: r.crc64,
    requestId: r.requestId === '' ? '-' : r.requestId,
  };
  if (stopped) throw new Interrupted(outcome);
  return outcome;
}

/** An append stopped by Ctrl-C after storing what it had read: reported, and exits 130. */
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
  if (!info.isFile()) throw Object.assign(new Error(`${path} is not a regular file`), { code: 'EISDIR' });
  return info.size;
}

/**
 * Runs `oss-stream cp` with `argv` (the arguments after `cp`) and resolves to its exit code. `vars` is the
 * environment read for endpoint, region and credentials.
 */
export async function cpMain(argv: readonly string[], vars: Readonly<Record<string, string | undefined>> = process.env): Promise<number> {
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
      say(errorLine(err));
      return EXIT.failure;
    }
  }

  const controller = new AbortController();
  let interrupts = 0;
  let graceful = false;
  let ctx: RunContext | undefined;
  const onSigint = (): void => {
    interrupts++;
    const stop = ctx?.interruptible?.stop;
    if (interrupts === 1 && stop !== undefined) {
      graceful = true;
      say('oss-stream cp: stopping: shipping what was read (Ctrl-C again to cancel)');
      stop();
    } else if (interrupts === 1 || (interrupts === 2 && graceful)) {
      say('oss-stream cp: interrupting (Ctrl-C again to quit at once)');
      controller.abort();
    } else {
      // Cleanup is stuck or too slow for the user: leave now (a file upload's checkpoint is already on disk).
      process.exit(EXIT.interrupted);
    }
  };
  process.on('SIGINT', onSigint);

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
    if (controller.signal.aborted) return EXIT.interrupted;
    const outcome = cmd.append ? await append(ctx) : cmd.sourcePath === undefined ? await uploadStdin(ctx) : await uploadFile(ctx, cmd.sourcePath);
    process.stdout.write(`${summaryLine(outcome)}\n`);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof Interrupted) {
      process.stdout.write(`${summaryLine(err.outcome)}\n`);
      say(`oss-stream cp: ${await ctx!.interruptible!.afterInterrupt()}`);
      return EXIT.interrupted;
    }
    if (interrupts > 0 && isAbortError(err)) {
      say(`oss-stream cp: ${(await ctx?.interruptible?.afterInterrupt()) ?? 'interrupted'}`);
      return EXIT.interrupted;
    }
    if (isUsageError(err) || err instanceof OssArgumentError) {
      say(`${isUsageError(err) ? `oss-stream cp: ${(err as Error).message}` : errorLine(err)}\n${CP_SYNOPSIS}`);
      return EXIT.usage;
    }
    const hint = await ctx?.interruptible?.failureHint().catch(() => undefined);
    say(`${errorLine(err)}${hint === undefined ? '' : `; ${hint}`}`);
    return EXIT.failure;
  } finally {
    process.off('SIGINT', onSigint);
    await conn?.close().catch(() => undefined);
    for (const c of cleanups) await c().catch(() => undefined);
  }
}
