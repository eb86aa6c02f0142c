/**
 * `createAppendStream`: a Writable for log shipping. It batches writes and ships each batch with AppendObject,
 * one append in flight at a time (appends are ordered by nature), chaining the object's CRC64 across appends.
 */
import { Writable } from 'node:stream';
import { contextOf, type Bucket } from '../bucket.js';
import type { ProgressCallback } from '../core/progress.js';
import { checkBufferSize, checkInteger, DEFAULTS } from '../config.js';
import { chunkBytes } from './chunk-bytes.js';
import { closeWithClient, SinkOutcome } from './sink-outcome.js';
import type { RetrySchedule } from '../core/retry-policy.js';
import { AppendChain, headOnSchedule } from '../uploads/append-chain.js';
import { BatchBuffers } from './batch-buffers.js';
import { validateHeaders, validateObjectKey } from '../core/validate.js';
import {
  ObjectNotAppendableError,
  OssAbortError,
  OssArgumentError,
  OssError,
  OssServiceError,
  PositionNotEqualToLengthError,
} from '../errors.js';
import type { OssContext } from '../api/context.js';

/** Longest retry delay cap an option may ask for. */
const HOUR = 3_600_000;

/** Options of {@link createAppendStream}. */
export interface AppendStreamOptions {
  /**
   * Where to start: `'auto'` (default) appends at the object's current length (HEAD; a missing object starts at 0;
   * a Normal or Multipart object fails with ObjectNotAppendable); a number must equal the current length.
   */
  position?: 'auto' | number | undefined;
  /** Ship a batch when it reaches this many bytes (default 1 MiB). Memory: at most two batches. */
  flushBytes?: number | undefined;
  /**
   * Ship what is buffered after this long (default 1000 ms; 0 disables the timer). With `lineMode`, the timer ships
   * the complete lines only; a partial line waits for its newline (or `end()`/`flush()`).
   */
  flushIntervalMs?: number | undefined;
  /**
   * End every batch at a line end (`\n`; `\r\n` ends in one too), so the object never holds half a line that a
   * crash or a restarted writer would continue: a full batch ships up to its last newline and the rest starts the
   * next batch. Only a line longer than `flushBytes` is cut, at `flushBytes`. `flush()` and `end()` ship everything,
   * a trailing partial line included. Default `false` (bytes are batched as they come); `oss-stream cp --append`
   * turns it on. Use it for text logs, not for binary data.
   */
  lineMode?: boolean | undefined;
  /**
   * Headers for the first append (Content-Type, `x-oss-meta-*`…); only the append that creates the object stores
   * them.
   */
  headers?: Record<string, string> | undefined;
  /** `(consumed, null)` after each batch is stored: bytes shipped by this stream. */
  onProgress?: ProgressCallback | undefined;
  /** Aborts the append in flight and errors the stream with an `AbortError`; bytes not yet stored are dropped. */
  signal?: AbortSignal | undefined;
  /**
   * Extra attempts per batch after a failure the client retries too: network error, 5xx, 429, 408 or
   * RequestTimeTooSkewed (default 10, not the client's 3: see `retryBaseDelayMs`). A retry after a lost answer is
   * recognized (length and CRC64 chain) and never appends the batch twice. While a batch is being retried, writes
   * continue into the second buffer, then wait (backpressure).
   */
  retries?: number | undefined;
  /**
   * Delay cap before the first retry of a batch, doubling each retry up to `retryMaxDelayMs` (defaults 250 ms and
   * 8 s); each delay is from half the cap to the cap ("equal jitter"). With the defaults a batch is retried for 24 to
   * 48 s before the stream fails, so a server restart or failover loses no line. A 503 with `x-oss-qos-delay-time`
   * waits at least that long.
   */
  retryBaseDelayMs?: number | undefined;
  /** Largest delay between two attempts at one batch (default 8000 ms). */
  retryMaxDelayMs?: number | undefined;
}

/** What the append stream has done so far; final once `'finish'` fired. */
export interface AppendStreamResult {
  /** The object's length: where the next append goes. */
  nextPosition: number;
  /** CRC64 of the whole object (decimal), verified along the chain. */
  crc64: string;
  /** Bytes this stream appended. */
  size: number;
  /** Batches appended (a retried batch counts once). */
  appends: number;
  /** The last append's answer. */
  etag: string;
  requestId: string;
}

/**
 * A `Writable` that appends what it is given to `key`, in batches: when `flushBytes` are buffered, after
 * `flushIntervalMs`, on {@link AppendStream.flush} and at the end. The position comes only from the server's
 * `x-oss-next-append-position`. A lost answer (the append landed but the response did not arrive) is detected on the
 * retry — PositionNotEqualToLength — by checking the object's length and CRC64 chain, so no byte is duplicated or
 * dropped; any other mismatch (another writer appended) is a {@link PositionNotEqualToLengthError} naming both
 * positions, with the object's length as `nextPosition`. One append is in flight at a time; memory is two batch
 * buffers of `flushBytes`, and the write callback waits while both are busy (that is the backpressure).
 *
 * Accepts bytes and strings only (an object-mode chunk fails with an {@link OssArgumentError}). Any failure, and
 * `signal` before `'finish'` (an `AbortError`), ends the stream with that error; `destroy()` without an error ends it
 * the same way but, by Node's convention, emits no `'error'` ({@link AppendStream.done} and `flush()` reject with an
 * `AbortError`). What was stored up to then is in `result`, what was buffered is not appended. `end()` flushes
 * everything, then `'finish'` fires.
 *
 * With `lineMode`, a batch ends at its last newline unless it is all one over-long line. A failed batch is retried
 * for 24–48 s by default (`retries`, `retryBaseDelayMs`, `retryMaxDelayMs`).
 *
 * @example
 * ```ts
 * const sink = createAppendStream(bucket, 'logs/app.log', { flushIntervalMs: 1000 });
 * process.stdin.pipe(sink);
 * ```
 */
export class AppendStream extends Writable {
  /** Progress so far; complete after `'finish'`. */
  result: AppendStreamResult | undefined;
  readonly #outcome = new SinkOutcome<AppendStreamResult>(this, () => this.result);

  readonly #ctx: OssContext;
  readonly #key: string;
  readonly #headers: Record<string, string>;
  readonly #onProgress: ProgressCallback | undefined;
  readonly #signal: AbortSignal;
  readonly #controller = new AbortController();
  readonly #backoff: RetrySchedule;
  readonly #callerSignal: AbortSignal | undefined;
  readonly #onAbort: () => void;
  #position: number | undefined;
  #crc = '0';
  #size = 0;
  #chain: AppendChain | undefined;
  readonly #batches: BatchBuffers;
  #error: Error | undefined;
  /** destroy() without an error: a quiet cancel. */
  #cancelled = false;
  #start: Promise<void>;

  constructor(bucket: Bucket, key: string, opts: AppendStreamOptions = {}) {
    super({ objectMode: true, highWaterMark: 1 });
    this.#ctx = contextOf(bucket);
    this.#key = validateObjectKey(key, this.#ctx.options.limits);
    // A batch is one Buffer: at most what this Node can allocate (4 GiB on Node 20).
    const maxPut = this.#ctx.options.limits.maxPutSize;
    const flushBytes = checkBufferSize('flushBytes', opts.flushBytes ?? DEFAULTS.appendFlushBytes, 1, maxPut);
    const intervalMs = checkInteger('flushIntervalMs', opts.flushIntervalMs ?? DEFAULTS.appendFlushIntervalMs, 0);
    this.#headers = validateHeaders(opts.headers);
    this.#onProgress = opts.onProgress;
    this.#backoff = Object.freeze({
      retries: checkInteger('retries', opts.retries ?? DEFAULTS.appendRetries, 0, 100),
      baseDelayMs: checkInteger('retryBaseDelayMs', opts.retryBaseDelayMs ?? DEFAULTS.appendRetryBaseDelayMs, 0, HOUR),
      maxDelayMs: checkInteger('retryMaxDelayMs', opts.retryMaxDelayMs ?? DEFAULTS.appendRetryMaxDelayMs, 0, HOUR),
      jitter: DEFAULTS.appendRetryJitter,
    });
    if (opts.lineMode !== undefined && typeof opts.lineMode !== 'boolean') {
      throw new OssArgumentError(`lineMode must be a boolean, got ${typeof opts.lineMode}`, 'lineMode');
    }
    const pos = opts.position ?? 'auto';
    if (pos !== 'auto') checkInteger('position', pos, 0);
    this.#signal =
      opts.signal === undefined ? this.#controller.signal : AbortSignal.any([opts.signal, this.#controller.signal]);
    this.#callerSignal = opts.signal;
    this.#onAbort = () => this.destroy(new OssAbortError('The append stream was aborted', opts.signal?.reason));
    opts.signal?.addEventListener('abort', this.#onAbort, { once: true });
    this.#batches = new BatchBuffers(flushBytes, intervalMs, opts.lineMode ?? false, {
      send: (data) => this.#appendBatch(data),
      error: () => this.#error,
      fail: (err) => this.#fail(err),
      destroyed: () => this.destroyed,
      failWrite: (cb) => this.#failWrite(cb),
    });
    closeWithClient(this.#ctx, this, {
      committed: () => this.writableFinished,
      started: () =>
        this.#size > 0 || this.#batches.used > 0 || this.#batches.inFlight !== undefined || this.writableEnded,
    });
    this.#start = this.#locate(pos);
    this.#start.catch((err: unknown) => this.#fail(err));
  }

  /** Finds where to append and the object's CRC64 (to chain it). */
  async #locate(pos: 'auto' | number): Promise<void> {
    try {
      const h = await headOnSchedule(this.#ctx, this.#key, this.#backoff, this.#signal);
      if (h.objectType !== 'Appendable') {
        throw new ObjectNotAppendableError(
          `${this.#key} is a ${h.objectType ?? 'non-appendable'} object; append streams need an Appendable object`,
          {
            code: 'ObjectNotAppendable',
            status: 409,
            requestId: h.requestId,
          },
        );
      }
      const length = h.nextAppendPosition ?? h.size;
      if (pos !== 'auto' && pos !== length) {
        throw new PositionNotEqualToLengthError(
          `position ${pos} given, but ${this.#key} is ${length} bytes long`,
          { code: 'PositionNotEqualToLength', status: 409, requestId: h.requestId },
          length,
        );
      }
      this.#position = length;
      this.#crc = h.crc64 ?? '0';
    } catch (err) {
      if (err instanceof OssServiceError && err.status === 404) {
        if (pos !== 'auto' && pos !== 0) {
          throw new PositionNotEqualToLengthError(
            `position ${pos} given, but ${this.#key} does not exist`,
            { code: 'PositionNotEqualToLength', status: 409 },
            0,
          );
        }
        this.#position = 0;
        this.#crc = '0';
        return;
      }
      throw err;
    }
  }

  override _write(chunk: unknown, encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (typeof chunk === 'string' && this.#batches.writeString(chunk, encoding) >= 0) {
      cb();
      return;
    }
    const bytes = chunkBytes(chunk, encoding);
    if (bytes instanceof OssArgumentError) {
      cb(bytes);
      return;
    }
    this.#batches.fill(bytes, 0, cb);
  }

  /**
   * Fails a held write. After destroy() without an error only once the stream has closed: a write error before that
   * would become the stream's error, and `pipeline`/`finished` would report it instead of a premature close.
   */
  #failWrite(cb: (err?: Error | null) => void): void {
    if (this.destroyed && this.#cancelled && !this.closed) this.once('close', () => cb(this.#error));
    else cb(this.#error);
  }

  /**
   * The outcome as a promise: resolves with {@link result} once everything written is appended; rejects with the
   * stream's error (an `AbortError` after `destroy()`) once the append in flight has settled. Never an unhandled
   * rejection when not called.
   */
  done(): Promise<AppendStreamResult> {
    return this.#outcome.promise;
  }

  /**
   * Ships what is buffered now and resolves when everything written so far is stored; rejects with the stream's
   * error. Writes made while it waits are flushed too.
   */
  flush(): Promise<void> {
    return this.#batches.flush(() => new OssAbortError('The append stream was destroyed'));
  }

  /** Appends one batch through the object's chain (retries, lost answers), once the start position is known. */
  async #appendBatch(data: Buffer): Promise<void> {
    await this.#start;
    this.#chain ??= new AppendChain(this.#ctx, this.#key, {
      position: this.#position!,
      crc64: this.#crc,
      headers: this.#headers,
      backoff: this.#backoff,
      signal: this.#signal,
    });
    const c = this.#chain;
    const r = await c.append(data);
    this.#position = c.position;
    this.#crc = c.crc;
    this.#size = c.size;
    this.result = {
      nextPosition: c.position,
      crc64: c.crc,
      size: c.size,
      appends: c.appends,
      etag: r.etag,
      requestId: r.requestId,
    };
    this.#onProgress?.(this.#size, null);
  }

  #fail(err: unknown): void {
    if (this.#error !== undefined) return;
    this.#error = err instanceof Error ? err : new OssError(String(err), { code: 'UnknownError' });
    if (!this.destroyed) this.destroy(this.#error);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.#start
      .then(() => this.flush())
      .then(
        () => {
          // Nothing written: nothing appended, and a missing object stays missing.
          this.result ??= {
            nextPosition: this.#position ?? 0,
            crc64: this.#crc,
            size: 0,
            appends: 0,
            etag: '',
            requestId: '',
          };
          cb();
        },
        (err: unknown) => cb(err as Error),
      );
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.#callerSignal?.removeEventListener('abort', this.#onAbort);
    this.#batches.clearTimer();
    if (this.writableFinished) {
      cb(err);
      return;
    }
    // destroy() before 'finish' is an abort: buffered bytes are not appended. Without an error it is a cancel, and
    // emits no 'error' (Node's convention, the same on every sink); flush() and done() still say AbortError.
    const cause = err ?? new OssAbortError('The append stream was destroyed before it finished');
    this.#cancelled = err === null && this.#error === undefined;
    this.#error ??= cause;
    this.#controller.abort(cause);
    const settled = (): void => {
      const reported = err === null ? null : (this.#error ?? err);
      this.#outcome.failed(reported, 'The append stream was destroyed before it finished');
      cb(err);
    };
    const inFlight = this.#batches.inFlight;
    if (inFlight === undefined) settled();
    else inFlight.then(settled, settled);
  }
}

/** Creates an {@link AppendStream} that appends everything written to `key`. */
export function createAppendStream(bucket: Bucket, key: string, opts: AppendStreamOptions = {}): AppendStream {
  return new AppendStream(bucket, key, opts);
}
