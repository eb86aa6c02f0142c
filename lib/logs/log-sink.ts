/**
 * `createLogSink`: a Writable that ships log lines into rolling appendable objects — one object per writer at a time,
 * named by a key template, rolled by size, by time and when the rendered key changes, optionally gzipped batch by
 * batch — with batches that never split a line.
 */
import { Writable } from 'node:stream';
import type { Bucket } from '../bucket.js';
import { OssAbortError, OssArgumentError, OssError } from '../errors.js';
import { BatchBuffers } from '../sinks/batch-buffers.js';
import { chunkBytes } from '../sinks/chunk-bytes.js';
import { resolveRolling, type RollingOptions } from './rolling-options.js';
import { ObjectRoller, type FailedObject, type RolledObject } from './object-roller.js';
import { Spool, type SpoolOptions } from './spool.js';

/** Options of {@link createLogSink}. */
export interface LogSinkOptions extends RollingOptions {
  /** Aborts the append in flight and errors the sink. */
  signal?: AbortSignal | undefined;
  /**
   * Write-ahead spool: each write is in a file under `spool.dir` before its callback (fsynced every
   * `fsyncIntervalMs`, default 1 s; 0 fsyncs before every callback), batches are read back from it, and a sink
   * started later on the same directory (after a crash) first ships what was left there, exactly once: before each
   * append the spool records which bytes go where, and the object's real length says whether that append landed.
   * Without a spool, a crash loses what is in memory (at most about two batches). One sink per directory at a time;
   * the spool file grows while OSS is slower than the writes and is emptied once everything is stored.
   */
  spool?: SpoolOptions | undefined;
  /** Called for each closed object (also emitted as `'roll'`). */
  onRoll?: ((object: RolledObject) => void) | undefined;
}

/** What a log sink has done so far. */
export interface LogSinkResult {
  /** Bytes written to the sink. */
  bytesIn: number;
  /** Bytes appended to OSS (after gzip). */
  bytesStored: number;
  /** Batches appended. */
  appends: number;
  /** Objects closed so far (`'roll'` events). */
  objects: number;
}

/**
 * A `Writable` of log lines. Batches end at the last newline (a line longer than a batch is cut at `flushBytes`), so
 * an object never starts or ends inside a line; one append is in flight at a time and the write callback waits while
 * one batch is on the wire and the next is full. Memory: two batch buffers, `2 × flushBytes` (the batch on the wire
 * is sent as it is, not copied; with gzip, plus its compressed member); {@link LogSink.bufferedBytes} says how much is
 * held now. `'finish'` fires once every line is stored and the last object is closed.
 *
 * Events: `'roll'` ({@link RolledObject}: key, size, crc64, first and last write time) for each closed object, and
 * `'objectFailed'` ({@link FailedObject}) when an object stops taking appends because it is not ours (another writer
 * created or appended to the key, or it is not Appendable): the batch then goes to the next `{seq}`, nothing stops.
 * Any other failure (network errors after retries, credentials…) errors the sink.
 *
 * @example
 * ```ts
 * const sink = createLogSink(bucket, {
 *   key: 'logs/{hostname}/{yyyy}-{MM}-{dd}/app-{HH}-{seq}.log.gz',
 *   compress: 'gzip',
 * });
 * sink.on('roll', (o) => console.log('stored', o.key, o.size, o.crc64));
 * sink.write('{"msg":"hello"}\n');
 * sink.end();
 * ```
 */
export class LogSink extends Writable {
  readonly #roller: ObjectRoller;
  readonly #batches: BatchBuffers;
  #error: Error | undefined;
  readonly #spool: Spool | undefined;
  readonly #ready: Promise<void>;
  #kicker: NodeJS.Timeout | undefined;
  #result: LogSinkResult = { bytesIn: 0, bytesStored: 0, appends: 0, objects: 0 };

  constructor(bucket: Bucket, opts: LogSinkOptions) {
    super({ objectMode: true, highWaterMark: 1 });
    if (opts === null || typeof opts !== 'object')
      throw new OssArgumentError('createLogSink needs options with a key template', 'options');
    const r = resolveRolling(bucket, opts, { signal: opts.signal });
    this.#roller = new ObjectRoller(bucket, r.template, r.roller);
    this.#batches = new BatchBuffers(r.flushBytes, r.flushIntervalMs, true, {
      send: async (data) => {
        const t = await this.#roller.append(data);
        this.#result.bytesStored += t.length;
        this.#result.appends++;
      },
      error: () => this.#error,
      fail: (err) => this.#fail(err),
      destroyed: () => this.destroyed,
      failWrite: (cb) => cb(this.#error),
    });
    this.#roller.on('roll', (o: RolledObject) => {
      this.#result.objects++;
      opts.onRoll?.(o);
      this.emit('roll', o);
    });
    this.#roller.on('objectFailed', (f: FailedObject) => this.emit('objectFailed', f));
    opts.signal?.addEventListener(
      'abort',
      () => this.destroy(new OssAbortError('The log sink was aborted', opts.signal?.reason)),
      { once: true },
    );
    this.#spool = opts.spool === undefined ? undefined : new Spool(opts.spool, r.flushBytes);
    this.#ready =
      this.#spool === undefined
        ? Promise.resolve()
        : this.#spool.open(bucket, this.#roller, opts.key, (line) => this.emit('notice', line));
    this.#ready.catch((err: unknown) => this.#fail(err));
    if (this.#spool === undefined) this.#roller.prepare();
    if (this.#spool !== undefined && r.flushIntervalMs > 0) {
      this.#kicker = setInterval(() => this.#spool!.kick(), r.flushIntervalMs);
      this.#kicker.unref();
    }
  }

  /** Progress so far. */
  get result(): Readonly<LogSinkResult> {
    return { ...this.#result };
  }

  /**
   * Bytes written and held in memory, not stored yet: the batch filling plus the one on the wire, never more than
   * `2 × flushBytes` (a spool holds its backlog in its file instead, and this is 0).
   */
  get bufferedBytes(): number {
    return this.#batches.held;
  }

  override _write(chunk: unknown, encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    const n = this.#spool === undefined && typeof chunk === 'string' ? this.#batches.writeString(chunk, encoding) : -1;
    if (n >= 0) {
      this.#result.bytesIn += n;
      cb();
      return;
    }
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunkBytes(chunk, encoding);
    if (bytes instanceof OssArgumentError) {
      cb(bytes);
      return;
    }
    if (this.#spool === undefined) {
      this.#batches.fill(bytes, 0, (err) => {
        if (err === undefined || err === null) this.#result.bytesIn += bytes.byteLength;
        cb(err);
      });
      return;
    }
    // Write-ahead: in the spool file before the callback; what ships is read back from it.
    this.#ready
      .then(() => this.#spool!.write(bytes))
      .then(
        () => {
          this.#result.bytesIn += bytes.byteLength;
          cb();
        },
        (err: unknown) => {
          this.#fail(err);
          cb(this.#error);
        },
      );
  }

  /** Ships everything written so far (a partial last line too) and resolves once it is stored. */
  async flush(): Promise<void> {
    if (this.#spool !== undefined) {
      await this.#ready;
      await this.#spool.drain();
      return;
    }
    await this.#batches.flush(() => new OssAbortError('The log sink was destroyed'));
  }

  #fail(err: unknown): void {
    if (this.#error !== undefined) return;
    this.#error = err instanceof Error ? err : new OssError(String(err), { code: 'UnknownError' });
    if (!this.destroyed) this.destroy(this.#error);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.flush()
      .then(() => this.#spool?.close())
      .then(() => this.#roller.close())
      .then(
        () => cb(),
        (err: unknown) => cb(err as Error),
      );
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.#batches.clearTimer();
    if (this.writableFinished) {
      if (this.#kicker !== undefined) clearInterval(this.#kicker);
      cb(err);
      return;
    }
    const cause = err ?? new OssAbortError('The log sink was destroyed before it finished');
    this.#error ??= cause;
    this.#roller.destroy(cause);
    if (this.#kicker !== undefined) clearInterval(this.#kicker);
    const pending = Promise.all([this.#batches.inFlight?.catch(() => undefined), this.#spool?.abort()]);
    pending.then(
      () => cb(cause),
      () => cb(cause),
    );
  }
}

/** Creates a {@link LogSink}: log lines into rolling appendable objects named by `opts.key`. */
export function createLogSink(bucket: Bucket, opts: LogSinkOptions): LogSink {
  return new LogSink(bucket, opts);
}
