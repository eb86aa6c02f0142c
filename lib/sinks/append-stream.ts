/**
 * `createAppendStream`: a Writable for log shipping. It batches writes and ships each batch with AppendObject,
 * one append in flight at a time (appends are ordered by nature), chaining the object's CRC64 across appends.
 */
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Bucket } from '../bucket.js';
import { appendObject, type AppendObjectResult } from '../api/append-object.js';
import { headObject } from '../api/head-object.js';
import type { ProgressCallback } from '../api/progress.js';
import { checkInteger, DEFAULTS } from '../config.js';
import { crc64, crc64Combine, crc64Equal } from '../core/crc64.js';
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

/** Options of {@link createAppendStream}. */
export interface AppendStreamOptions {
  /**
   * Where to start: `'auto'` (default) appends at the object's current length (HEAD; a missing object starts at 0;
   * a Normal or Multipart object fails with ObjectNotAppendable); a number must equal the current length.
   */
  position?: 'auto' | number | undefined;
  /** Ship a batch when it reaches this many bytes (default 1 MiB). Memory: at most two batches. */
  flushBytes?: number | undefined;
  /** Ship what is buffered after this long (default 1000 ms; 0 disables the timer). */
  flushIntervalMs?: number | undefined;
  /** Headers for the first append (Content-Type, `x-oss-meta-*`…); only the append that creates the object stores them. */
  headers?: Record<string, string> | undefined;
  /** `(consumed, null)` after each batch is stored: bytes shipped by this stream. */
  onProgress?: ProgressCallback | undefined;
  signal?: AbortSignal | undefined;
  /** Attempts per batch for network errors and 5xx (default: the client's retries). */
  retries?: number | undefined;
}

/** What the append stream has done so far; final once `'finish'` fired. */
export interface AppendStreamResult {
  /** The object's length: where the next append goes. */
  nextPosition: number;
  /** CRC64 of the whole object (decimal), verified along the chain. */
  crc64: string;
  /** Bytes this stream appended. */
  size: number;
  /** AppendObject requests made. */
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
 * dropped; any other mismatch is an error naming both positions.
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

  readonly #ctx: OssContext;
  readonly #key: string;
  readonly #flushBytes: number;
  readonly #intervalMs: number;
  readonly #headers: Record<string, string>;
  readonly #onProgress: ProgressCallback | undefined;
  readonly #signal: AbortSignal;
  readonly #controller = new AbortController();
  readonly #retries: number;
  readonly #callerSignal: AbortSignal | undefined;
  readonly #onAbort: () => void;
  #position: number | undefined;
  #crc = '0';
  #size = 0;
  #appends = 0;
  #batch: Buffer;
  /** The buffer of the last batch that landed, reused for the next one: two batch buffers in all. */
  #spare: Buffer | undefined;
  #used = 0;
  #inFlight: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #error: Error | undefined;
  #start: Promise<void>;

  constructor(bucket: Bucket, key: string, opts: AppendStreamOptions = {}) {
    super({ objectMode: true, highWaterMark: 1 });
    this.#ctx = bucket.context;
    this.#key = validateObjectKey(key, this.#ctx.options.limits);
    this.#flushBytes = checkInteger('flushBytes', opts.flushBytes ?? DEFAULTS.appendFlushBytes, 1, this.#ctx.options.limits.maxPutSize);
    this.#intervalMs = checkInteger('flushIntervalMs', opts.flushIntervalMs ?? DEFAULTS.appendFlushIntervalMs, 0);
    this.#headers = validateHeaders(opts.headers);
    this.#onProgress = opts.onProgress;
    this.#retries = checkInteger('retries', opts.retries ?? this.#ctx.options.retries, 0, 100);
    const pos = opts.position ?? 'auto';
    if (pos !== 'auto') checkInteger('position', pos, 0);
    this.#signal = opts.signal === undefined ? this.#controller.signal : AbortSignal.any([opts.signal, this.#controller.signal]);
    this.#callerSignal = opts.signal;
    this.#onAbort = () => this.destroy(new OssAbortError('The append stream was aborted', opts.signal?.reason));
    opts.signal?.addEventListener('abort', this.#onAbort, { once: true });
    this.#batch = Buffer.allocUnsafeSlow(this.#flushBytes);
    this.#start = this.#locate(pos);
    this.#start.catch((err: unknown) => this.#fail(err));
  }

  /** Finds where to append and the object's CRC64 (to chain it). */
  async #locate(pos: 'auto' | number): Promise<void> {
    try {
      const h = await headObject(this.#ctx, this.#key, { signal: this.#signal });
      if (h.objectType !== 'Appendable') {
        throw new ObjectNotAppendableError(`${this.#key} is a ${h.objectType ?? 'non-appendable'} object; append streams need an Appendable object`, {
          code: 'ObjectNotAppendable',
          status: 409,
          requestId: h.requestId,
        });
      }
      const length = h.nextAppendPosition ?? h.size;
      if (pos !== 'auto' && pos !== length) {
        throw new PositionNotEqualToLengthError(`position ${pos} given, but ${this.#key} is ${length} bytes long`, { code: 'PositionNotEqualToLength', status: 409, requestId: h.requestId }, length);
      }
      this.#position = length;
      this.#crc = h.crc64 ?? '0';
    } catch (err) {
      if (err instanceof OssServiceError && err.status === 404) {
        if (pos !== 'auto' && pos !== 0) {
          throw new PositionNotEqualToLengthError(`position ${pos} given, but ${this.#key} does not exist`, { code: 'PositionNotEqualToLength', status: 409 }, 0);
        }
        this.#position = 0;
        this.#crc = '0';
        return;
      }
      throw err;
    }
  }

  override _write(chunk: unknown, encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    const bytes = chunk instanceof Uint8Array ? chunk : typeof chunk === 'string' ? Buffer.from(chunk, encoding) : undefined;
    if (bytes === undefined) {
      cb(new OssArgumentError('upload sinks accept bytes and strings only (is the source in object mode?)', 'chunk'));
      return;
    }
    this.#fill(bytes, 0, cb);
  }

  #fill(bytes: Uint8Array, offset: number, cb: (err?: Error | null) => void): void {
    if (this.#error !== undefined) {
      cb(this.#error);
      return;
    }
    while (offset < bytes.byteLength) {
      if (this.#used === this.#flushBytes) {
        if (this.#inFlight !== undefined) {
          // Two batches at most: wait for the one on the wire.
          this.#inFlight.then(() => this.#fill(bytes, offset, cb), () => cb(this.#error));
          return;
        }
        this.#ship();
      }
      const n = Math.min(this.#flushBytes - this.#used, bytes.byteLength - offset);
      this.#batch.set(bytes.subarray(offset, offset + n), this.#used);
      this.#used += n;
      offset += n;
    }
    if (this.#used === this.#flushBytes && this.#inFlight === undefined) this.#ship();
    else this.#arm();
    cb();
  }

  #arm(): void {
    if (this.#intervalMs === 0 || this.#timer !== undefined || this.#used === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#inFlight === undefined) this.#ship();
      else this.#inFlight.then(() => this.#arm(), () => undefined);
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /** Ships what is buffered now (one append) and resolves when everything buffered so far is stored. */
  async flush(): Promise<void> {
    while (this.#inFlight !== undefined || this.#used > 0) {
      if (this.#error !== undefined) throw this.#error;
      if (this.#inFlight === undefined) this.#ship();
      await this.#inFlight?.catch(() => undefined);
    }
    if (this.#error !== undefined) throw this.#error;
  }

  /** Hands the current batch to the wire (a copy-free swap: the next batch gets a new buffer). */
  #ship(): void {
    if (this.#used === 0 || this.#error !== undefined) return;
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const data = this.#batch.subarray(0, this.#used);
    this.#batch = Buffer.allocUnsafeSlow(this.#flushBytes);
    this.#used = 0;
    this.#inFlight = this.#appendBatch(data).then(
      () => {
        this.#inFlight = undefined;
        this.#arm();
      },
      (err: unknown) => {
        this.#inFlight = undefined;
        this.#fail(err);
        throw err;
      },
    );
    this.#inFlight.catch(() => undefined);
  }

  /** Appends one batch, retrying retryable failures and resolving a lost answer without duplicating bytes. */
  async #appendBatch(data: Buffer): Promise<void> {
    await this.#start;
    const position = this.#position!;
    const batchCrc = crc64(data);
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await appendObject(this.#ctx, this.#key, position, data, {
          headers: position === 0 ? this.#headers : undefined,
          initCrc: this.#crc,
          signal: this.#signal,
          retries: 0,
        });
        this.#landed(r.nextPosition, r.crc64, data.byteLength, r);
        return;
      } catch (err) {
        if (err instanceof PositionNotEqualToLengthError && attempt > 0) {
          // Our earlier attempt may have landed with its answer lost: check length AND the CRC chain.
          const h = await headObject(this.#ctx, this.#key, { signal: this.#signal });
          const expectedCrc = crc64Combine(this.#crc, batchCrc, data.byteLength);
          if (h.nextAppendPosition === position + data.byteLength && h.crc64 !== undefined && crc64Equal(h.crc64, expectedCrc)) {
            this.#landed(position + data.byteLength, expectedCrc, data.byteLength, { etag: h.etag, requestId: h.requestId });
            return;
          }
          throw new OssError(
            `append at position ${position} of ${this.#key} conflicts: the object is now ${h.nextAppendPosition ?? h.size} bytes, and not by our batch (another writer?)`,
            { code: 'PositionNotEqualToLength', status: 409, requestId: err.requestId, cause: err },
          );
        }
        if (attempt >= this.#retries || !retryable(err) || this.#signal.aborted) throw err;
        await sleep(Math.floor(Math.random() * Math.min(this.#ctx.options.retryMaxDelayMs, this.#ctx.options.retryBaseDelayMs * 2 ** attempt)), undefined, {
          signal: this.#signal,
        }).catch(() => undefined);
      }
    }
  }

  #landed(next: number, crc: string, size: number, r: Pick<AppendObjectResult, 'etag' | 'requestId'>): void {
    this.#position = next;
    this.#crc = crc;
    this.#size += size;
    this.#appends++;
    this.result = { nextPosition: next, crc64: crc, size: this.#size, appends: this.#appends, etag: r.etag, requestId: r.requestId };
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
          this.result ??= { nextPosition: this.#position ?? 0, crc64: this.#crc, size: 0, appends: 0, etag: '', requestId: '' };
          cb();
        },
        (err: unknown) => cb(err as Error),
      );
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (err !== null || !this.writableFinished) this.#controller.abort(err ?? new OssAbortError('The append stream was destroyed'));
    const inFlight = this.#inFlight;
    if (inFlight === undefined) {
      cb(err);
      return;
    }
    inFlight.then(
      () => cb(err),
      () => cb(err),
    );
  }
}

function retryable(err: unknown): boolean {
  if (err instanceof OssServiceError) return err.status >= 500 || err.status === 429;
  return err instanceof OssError && (err.code === 'NetworkError' || err.code === 'RequestTimeout');
}

/** Creates an {@link AppendStream} that appends everything written to `key`. */
export function createAppendStream(bucket: Bucket, key: string, opts: AppendStreamOptions = {}): AppendStream {
  return new AppendStream(bucket, key, opts);
}
