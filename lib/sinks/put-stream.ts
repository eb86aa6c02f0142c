/** `createPutStream`: one PutObject whose request body is the stream itself. */
import { Readable, Writable } from 'node:stream';
import type { Bucket } from '../bucket.js';
import { putObject, type PutObjectResult } from '../api/put-object.js';
import type { ProgressCallback } from '../api/progress.js';
import type { UploadHeaderOptions } from '../api/upload-headers.js';
import { checkInteger } from '../config.js';
import { validateObjectKey } from '../core/validate.js';
import { OssAbortError, OssArgumentError } from '../errors.js';

/** Options of {@link createPutStream}. */
export interface PutStreamOptions extends UploadHeaderOptions {
  /**
   * Total bytes, when known: sent as Content-Length (else chunked encoding) and enforced: a source that is longer or
   * shorter fails the stream with an {@link OssArgumentError} and nothing is stored.
   */
  contentLength?: number | undefined;
  /** `(consumed, total | null)` as bytes reach the socket; `total` is reached only once the server stored the object. */
  onProgress?: ProgressCallback | undefined;
  /** Cancels the request; the stream errors with an `AbortError` and nothing is stored. */
  signal?: AbortSignal | undefined;
  /** Name to guess the Content-Type from (default: the key). */
  contentTypeFrom?: string | undefined;
}

/** The body fed by the writable side: pulled by the transport, so the socket's pace is the stream's pace. */
class BodySource extends Readable {
  #wake: (() => void) | undefined;

  constructor() {
    super({ highWaterMark: 1024 * 1024 });
  }

  /** Queues `chunk`; `done` runs once the transport wants more (at once while under the high-water mark). */
  offer(chunk: Uint8Array, done: () => void): void {
    if (this.push(chunk)) done();
    else this.#wake = done;
  }

  override _read(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }
}

/**
 * A `Writable` whose bytes become ONE PutObject (≤ 5 GiB), streamed as they are written: chunked encoding unless
 * `contentLength` is given, never buffered whole (about 1 MiB is queued for the socket). The request starts at
 * construction. `'finish'` fires once the server stored the object; `result` is set before it. Accepts bytes and
 * strings only; an object-mode chunk fails the stream with an {@link OssArgumentError}.
 *
 * Not retryable by nature: the bytes are gone once sent, so a network error fails the stream and nothing is stored
 * (the request is aborted before the body is complete). `destroy()` or `signal` before `'finish'` aborts the request
 * and errors the stream with an `AbortError`. For retries and objects over 5 GiB use {@link createUploadStream},
 * which holds parts in memory.
 *
 * @example
 * ```ts
 * const sink = createPutStream(bucket, 'reports/today.csv', { headers: { 'Content-Type': 'text/csv' } });
 * await pipeline(Readable.from(rows()), sink);
 * console.log(sink.result?.etag);
 * ```
 */
export class PutStream extends Writable {
  /** Set before `'finish'`. */
  result: PutObjectResult | undefined;
  readonly #source = new BodySource();
  readonly #controller = new AbortController();
  readonly #request: Promise<PutObjectResult>;
  readonly #declared: number | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort: () => void;
  #written = 0;
  /** The last declared byte, kept from the socket until the source ends: see {@link _write}. */
  #held: Uint8Array | undefined;

  constructor(bucket: Bucket, key: string, opts: PutStreamOptions = {}) {
    super({ objectMode: true, highWaterMark: 1 });
    const { limits } = bucket.context.options;
    validateObjectKey(key, limits);
    if (opts.contentLength !== undefined) checkInteger('contentLength', opts.contentLength, 0, limits.maxPutSize);
    this.#declared = opts.contentLength;
    this.#signal = opts.signal;
    const signal = opts.signal === undefined ? this.#controller.signal : AbortSignal.any([opts.signal, this.#controller.signal]);
    this.#request = putObject(bucket.context, key, this.#source, {
      headers: opts.headers,
      callback: opts.callback,
      callbackVar: opts.callbackVar,
      contentLength: opts.contentLength,
      onProgress: opts.onProgress,
      contentTypeFrom: opts.contentTypeFrom,
      signal,
    });
    // An early failure (bad credentials, server gone) must error the writable even if nobody writes.
    this.#request.catch((err: unknown) => {
      if (!this.destroyed && !this.writableFinished) this.destroy(err as Error);
    });
    this.#onAbort = () => this.destroy(new OssAbortError('The upload was aborted', opts.signal?.reason));
    opts.signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  override _write(chunk: unknown, encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    let bytes = chunk instanceof Uint8Array ? chunk : typeof chunk === 'string' ? Buffer.from(chunk, encoding) : undefined;
    if (bytes === undefined) {
      cb(new OssArgumentError(`upload sinks accept bytes and strings only, got ${describe(chunk)} (is the source in object mode?)`, 'chunk'));
      return;
    }
    if (bytes.byteLength === 0) {
      cb();
      return;
    }
    const declared = this.#declared;
    this.#written += bytes.byteLength;
    if (declared !== undefined) {
      if (this.#written > declared) {
        cb(new OssArgumentError(`the data is longer than contentLength ${declared}; nothing was stored`, 'contentLength'));
        return;
      }
      if (this.#written === declared) {
        // The server commits as soon as the declared bytes arrive, so the last one waits for the end of the source:
        // a source that turns out longer then fails before the object exists. A copy, so no caller chunk is pinned.
        this.#held = Uint8Array.of(bytes[bytes.byteLength - 1]!);
        bytes = bytes.subarray(0, bytes.byteLength - 1);
        if (bytes.byteLength === 0) {
          cb();
          return;
        }
      }
    }
    this.#source.offer(bytes, () => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.#declared !== undefined && this.#written < this.#declared) {
      cb(new OssArgumentError(`the data ended after ${this.#written} bytes, short of contentLength ${this.#declared}; nothing was stored`, 'contentLength'));
      return;
    }
    if (this.#held !== undefined) this.#source.push(this.#held);
    this.#source.push(null);
    this.#request.then(
      (r) => {
        this.result = r;
        cb();
      },
      (err: unknown) => cb(err as Error),
    );
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.#signal?.removeEventListener('abort', this.#onAbort);
    if (this.result !== undefined) {
      cb(err);
      return;
    }
    const cause = err ?? new OssAbortError('The upload was destroyed before it finished');
    this.#controller.abort(cause);
    this.#source.destroy();
    // Wait for the request to settle so no socket write outlives the stream.
    this.#request.then(
      () => cb(cause),
      () => cb(cause),
    );
  }
}

/** A short description of a rejected chunk for the error message. */
function describe(chunk: unknown): string {
  if (chunk === null) return 'null';
  if (typeof chunk === 'object') return `an object (${chunk.constructor?.name ?? 'Object'})`;
  return `a ${typeof chunk}`;
}

/** Creates a {@link PutStream}: one PutObject whose body is what you write. */
export function createPutStream(bucket: Bucket, key: string, opts: PutStreamOptions = {}): PutStream {
  return new PutStream(bucket, key, opts);
}
