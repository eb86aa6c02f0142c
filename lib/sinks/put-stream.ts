/** `createPutStream`: one PutObject whose request body is the stream itself. */
import { Writable } from 'node:stream';
import { contextOf, type Bucket } from '../bucket.js';
import { putObject, type PutObjectResult } from '../api/put-object.js';
import type { ProgressCallback } from '../core/progress.js';
import { uploadHeaders, type UploadHeaderOptions } from '../api/upload-headers.js';
import { checkInteger } from '../config.js';
import { chunkBytes } from './chunk-bytes.js';
import { closeWithClient, SinkOutcome } from './sink-outcome.js';
import { validateObjectKey } from '../core/validate.js';
import { OssAbortError, OssArgumentError } from '../errors.js';

/** Options of {@link createPutStream}. */
export interface PutStreamOptions extends UploadHeaderOptions {
  /**
   * Total bytes, when known: sent as Content-Length (else chunked encoding) and enforced: a source that is longer or
   * shorter fails the stream with an {@link OssArgumentError} and nothing is stored.
   */
  contentLength?: number | undefined;
  /**
   * `(consumed, total | null)` as bytes reach the socket; `total` is reached only once the server stored the
   * object.
   */
  onProgress?: ProgressCallback | undefined;
  /** Cancels the request; the stream errors with an `AbortError` and nothing is stored. */
  signal?: AbortSignal | undefined;
  /** Name to guess the Content-Type from (default: the key). */
  contentTypeFrom?: string | undefined;
}

/** Queued bytes beyond which the write callback waits for the socket. */
const QUEUE_BYTES = 1024 * 1024;
/** Small queued chunks are joined up to this size: one socket write (and one chunk frame) per tiny write is waste. */
const JOIN_BYTES = 64 * 1024;

/**
 * The request body, fed by the writable side and pulled by the transport, so the socket's pace is the stream's
 * pace. Not a `Readable`: its async iterator would join everything buffered into one copy of up to its high-water
 * mark, making progress jump a megabyte at a time. Chunks pass through as written; only small ones are joined.
 */
class BodyQueue implements AsyncIterable<Uint8Array> {
  readonly #chunks: Uint8Array[] = [];
  #head = 0;
  #queued = 0;
  #ended = false;
  #error: Error | undefined;
  /** The writer's callback, held while the queue is over {@link QUEUE_BYTES}. */
  #wake: (() => void) | undefined;
  /** The transport's pending pull. */
  #pull: { resolve: (r: IteratorResult<Uint8Array>) => void; reject: (err: Error) => void } | undefined;

  /** Queues `chunk`; `done` runs at once while under the high-water mark, else when the transport catches up. */
  offer(chunk: Uint8Array, done: () => void): void {
    this.#chunks.push(chunk);
    this.#queued += chunk.byteLength;
    this.#serve();
    if (this.#queued <= QUEUE_BYTES) done();
    else this.#wake = done;
  }

  /** The source ended: the body ends once the queue is drained. */
  end(): void {
    this.#ended = true;
    this.#serve();
  }

  /**
   * The body must not end cleanly: a pending or later pull rejects, so the transport aborts the request instead of
   * closing the body (which would commit a truncated object).
   */
  destroy(err: Error = new Error('the put stream was destroyed')): void {
    this.#error ??= err;
    this.#chunks.length = 0;
    this.#head = 0;
    this.#queued = 0;
    this.#wake = undefined;
    this.#serve();
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return {
      next: () =>
        new Promise<IteratorResult<Uint8Array>>((resolve, reject) => {
          this.#pull = { resolve, reject };
          this.#serve();
        }),
      return: async () => {
        // The transport gave up on the body (the request failed): nothing more will be sent.
        this.destroy();
        return { done: true, value: undefined };
      },
    };
  }

  #serve(): void {
    const pull = this.#pull;
    if (pull === undefined) return;
    if (this.#error !== undefined) {
      this.#pull = undefined;
      pull.reject(this.#error);
      return;
    }
    if (this.#head === this.#chunks.length) {
      if (!this.#ended) return;
      this.#pull = undefined;
      pull.resolve({ done: true, value: undefined });
      return;
    }
    this.#pull = undefined;
    pull.resolve({ done: false, value: this.#take() });
    if (this.#queued <= QUEUE_BYTES && this.#wake !== undefined) {
      const w = this.#wake;
      this.#wake = undefined;
      w();
    }
  }

  /** The next chunk as written, or small queued chunks joined into one copy of at most {@link JOIN_BYTES}. */
  #take(): Uint8Array {
    const first = this.#chunks[this.#head]!;
    let end = this.#head + 1;
    let size = first.byteLength;
    while (end < this.#chunks.length && size + this.#chunks[end]!.byteLength <= JOIN_BYTES)
      size += this.#chunks[end++]!.byteLength;
    let out: Uint8Array;
    if (end === this.#head + 1) out = first;
    else {
      out = new Uint8Array(size);
      let at = 0;
      for (let i = this.#head; i < end; i++) {
        out.set(this.#chunks[i]!, at);
        at += this.#chunks[i]!.byteLength;
      }
    }
    for (let i = this.#head; i < end; i++) this.#chunks[i] = EMPTY;
    this.#head = end;
    this.#queued -= size;
    // Compact now and then so the array does not grow with the number of chunks ever written.
    if (this.#head > 1024 && this.#head * 2 > this.#chunks.length) {
      this.#chunks.splice(0, this.#head);
      this.#head = 0;
    }
    return out;
  }
}

const EMPTY = new Uint8Array(0);

/**
 * A `Writable` whose bytes become ONE PutObject (≤ 5 GiB), streamed as they are written: chunked encoding unless
 * `contentLength` is given, never buffered whole (about 1 MiB is queued for the socket). The request is dispatched
 * at construction and goes out with the first bytes. `'finish'` fires once the server stored the object; `result`
 * is set before it. Accepts bytes and strings only; an object-mode chunk fails the stream with an
 * {@link OssArgumentError}.
 *
 * Not retryable by nature: the bytes are gone once sent, so a network error fails the stream and nothing is stored
 * (the request is aborted before the body is complete). `signal` before `'finish'` aborts the request and errors
 * the stream with an `AbortError`; `destroy()` without an error aborts it too but, by Node's convention, emits no
 * `'error'` ({@link PutStream.done} rejects with an `AbortError`). For retries and objects over 5 GiB use
 * {@link createUploadStream},
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
  readonly #outcome = new SinkOutcome<PutObjectResult>(this, () => this.result);
  readonly #source = new BodyQueue();
  readonly #controller = new AbortController();
  readonly #request: Promise<PutObjectResult>;
  readonly #declared: number | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort: () => void;
  #written = 0;
  /** The last declared byte, kept from the socket until the source ends (see `_write`). */
  #held: Uint8Array | undefined;

  constructor(bucket: Bucket, key: string, opts: PutStreamOptions = {}) {
    super({ objectMode: true, highWaterMark: 1 });
    const { limits } = contextOf(bucket).options;
    validateObjectKey(key, limits);
    if (opts.contentLength !== undefined) checkInteger('contentLength', opts.contentLength, 0, limits.maxPutSize);
    uploadHeaders(opts, undefined); // bad headers, tags or meta: thrown here, not as a stream error later
    this.#declared = opts.contentLength;
    this.#signal = opts.signal;
    const signal =
      opts.signal === undefined ? this.#controller.signal : AbortSignal.any([opts.signal, this.#controller.signal]);
    this.#request = putObject(contextOf(bucket), key, this.#source, {
      headers: opts.headers,
      callback: opts.callback,
      callbackVar: opts.callbackVar,
      tags: opts.tags,
      meta: opts.meta,
      contentLength: opts.contentLength,
      onProgress: opts.onProgress,
      contentTypeFrom: opts.contentTypeFrom,
      signal,
    });
    // A failure while the source is still writing (bad credentials, reset, server gone) must error the writable now.
    this.#request.catch((err: unknown) => {
      if (!this.destroyed && !this.writableFinished) this.destroy(err as Error);
    });
    // The request is dispatched now and waits for the body: an idle put stream, too, must go before the client closes.
    closeWithClient(contextOf(bucket), this, {
      committed: () => this.result !== undefined,
      started: () => this.#written > 0 || this.writableEnded,
    });
    this.#onAbort = () => this.destroy(new OssAbortError('The upload was aborted', opts.signal?.reason));
    opts.signal?.addEventListener('abort', this.#onAbort, { once: true });
    // 'abort' never fires for a signal that is already aborted, and the request waits for a first byte: an idle
    // source would leave the sink waiting.
    if (opts.signal?.aborted === true) this.#onAbort();
  }

  /**
   * The outcome as a promise: resolves with {@link result} once the object is stored; rejects with the stream's
   * error (an `AbortError` after `destroy()`) once the request has settled. Never an unhandled rejection when not
   * called.
   */
  done(): Promise<PutObjectResult> {
    return this.#outcome.promise;
  }

  override _write(chunk: unknown, encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    const checked = chunkBytes(chunk, encoding);
    if (checked instanceof OssArgumentError) {
      cb(checked);
      return;
    }
    let bytes = checked;
    if (bytes.byteLength === 0) {
      cb();
      return;
    }
    const declared = this.#declared;
    this.#written += bytes.byteLength;
    if (declared !== undefined) {
      if (this.#written > declared) {
        cb(
          new OssArgumentError(
            `the data is longer than contentLength ${declared}; nothing was stored`,
            'contentLength',
          ),
        );
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
      cb(
        new OssArgumentError(
          `the data ended after ${this.#written} bytes, short of contentLength ${this.#declared}; nothing was stored`,
          'contentLength',
        ),
      );
      return;
    }
    if (this.#held !== undefined) this.#source.offer(this.#held, () => undefined);
    this.#source.end();
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
    this.#source.destroy(cause);
    this.#controller.abort(cause);
    // Wait for the request to settle so no socket write outlives the stream. destroy() without an error is a
    // cancel: no 'error' event (Node's convention), the same on every sink.
    const settled = (): void => {
      this.#outcome.failed(err, 'The upload was destroyed before it finished');
      cb(err);
    };
    this.#request.then(settled, settled);
  }
}

/** A short description of a rejected chunk for the error message. */
/** Creates a {@link PutStream}: one PutObject whose body is what you write. */
export function createPutStream(bucket: Bucket, key: string, opts: PutStreamOptions = {}): PutStream {
  return new PutStream(bucket, key, opts);
}
