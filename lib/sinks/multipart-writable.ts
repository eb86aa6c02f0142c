/**
 * `MultipartWritable`: a plain `Writable` that cuts its input into parts and uploads them with a concurrency
 * window. `'finish'` fires only after CompleteMultipartUpload succeeded and `result` is set.
 */
import { Writable } from 'node:stream';
import { contextOf, type Bucket } from '../bucket.js';
import type { OssContext } from '../api/context.js';
import { abortMultipartUpload } from '../api/abort-multipart-upload.js';
import { completeMultipartUpload, type CompleteMultipartUploadResult } from '../api/complete-multipart-upload.js';
import { initiateMultipartUpload } from '../api/initiate-multipart-upload.js';
import { putObject, type PutObjectResult } from '../api/put-object.js';
import { uploadPart } from '../api/upload-part.js';
import { completeHeaders, initiateHeaders, uploadHeaders } from '../api/upload-headers.js';
import { validateObjectKey } from '../core/validate.js';
import { OssAbortError, OssArgumentError, OssError } from '../errors.js';
import { PartBuffers } from '../parts/part-buffers.js';
import { PartCutter, type Part } from '../parts/part-cutter.js';
import { Window } from '../parts/window.js';
import { ConcurrencyTuner } from '../parts/concurrency-tuner.js';
import { autoConcurrencyMax } from '../config.js';
import { isThrottled } from '../core/retry-policy.js';
import { resolveSinkOptions, type ResolvedSinkOptions, type SinkOptions } from './sink-options.js';
import { chunkBytes } from './chunk-bytes.js';
import { multipartResult, putResult, type MultipartResult, type UploadedPart } from '../uploads/multipart-result.js';
import { resumeStream, type ResumeState } from './stream-resume.js';
import type { CheckpointWriter } from '../uploads/checkpoint-writer.js';
import { UploadProgress } from '../core/progress.js';
import { closeWithClient, SinkOutcome } from './sink-outcome.js';
import { guardUpload } from './exit-guard.js';

/** How many bytes a synchronous writer may push before the sink lets the event loop turn (see #pump). */
const YIELD_BYTES = 256 * 1024;

/** Internal knobs createUploadStream sets. */
interface MultipartInternals {
  /** Send one PutObject when the whole stream fits in `multipartThreshold` bytes. */
  putWhenSmall?: boolean;
}

/**
 * The options key that carries {@link MultipartInternals}. A symbol the package does not export, so the public
 * constructor stays `(bucket, key, options)` in the published types and no user can set an internal knob.
 */
export const SINK_INTERNALS = Symbol('oss-stream.sinkInternals');

/** {@link SinkOptions} as createUploadStream passes them. */
export type InternalSinkOptions = SinkOptions & { [SINK_INTERNALS]?: MultipartInternals };

type Pending = { chunk: Uint8Array; offset: number; cb: (err?: Error | null) => void };

/**
 * Uploads a stream of any length (up to OSS's limits) as a multipart upload.
 *
 * - Memory: at most `(concurrency + 1) × partSize` of part buffers, `maxMemory` with `concurrency: 'auto'` (the
 *   caller's chunks are copied, never retained). When the sink is done they go to a process-wide pool that the
 *   next upload takes them from (at most 256 MiB idle, dropped 30 s after last use, or by `releasePartBuffers()`).
 *   The write callback is held while `concurrency` parts are in flight and the next part is full: that is the
 *   backpressure.
 * - Integrity: each part's CRC64 is verified, and the whole-object CRC64 is combined from the parts and checked
 *   at Complete.
 * - Failure: on any error (a part, the source, `destroy(err)`, `signal`, Complete) it stops, cancels requests in
 *   flight, waits for them, aborts the multipart upload once (unless `leavePartsOnError`) and only then errors with
 *   the first cause; the wait for that cleanup is bounded by the client's `cleanupTimeoutMs` (default 5 s), so a
 *   dead network cannot hold the error back.
 * - `destroy()` without an error cancels the same way but, by Node's convention, emits no `'error'` (`'close'`
 *   follows the cleanup; `pipeline` and `finished` report a premature close and {@link done} an `AbortError`). The
 *   same holds for every sink of this package.
 * - Unknown length: parts start at `partSize` and double every 1,000 parts. A known `contentLength` picks the size
 *   up front (oss2's `determinePartSize`) and is enforced.
 *
 * @example
 * ```ts
 * const sink = new MultipartWritable(bucket, 'backups/db.sql', { partSize: 8 << 20, concurrency: 4 });
 * await pipeline(createReadStream('db.sql'), sink);
 * console.log(sink.result?.etag, sink.result?.crc64);
 * ```
 */
export class MultipartWritable extends Writable {
  /** Set before `'finish'`. */
  result: MultipartResult | undefined;
  readonly #outcome = new SinkOutcome<MultipartResult>(this, () => this.result);

  readonly #ctx: OssContext;
  readonly #key: string;
  readonly #opts: ResolvedSinkOptions;
  readonly #putWhenSmall: boolean;
  readonly #headers: Record<string, string>;
  #cutter: PartCutter;
  readonly #window: Window;
  /** `concurrency: 'auto'`: moves the window's limit. */
  readonly #tuner: ConcurrencyTuner | undefined;
  readonly #buffers: PartBuffers;
  #progress: UploadProgress;
  /** Bytes before this run's first byte (a resumed stream starts after its stored parts). */
  #base = 0;
  #checkpoint: CheckpointWriter | undefined;
  /** Parts cut before the mode is decided (createUploadStream with a threshold above the part size). */
  readonly #held: Part[] = [];
  readonly #done: UploadedPart[] = [];
  #initiating: Promise<string> | undefined;
  #uploadId: string | undefined;
  /** Ends the exit guard of the upload (see exit-guard.ts): once it is aborted or its Complete is sent. */
  #unguard: () => void = () => undefined;
  #pending: Pending | undefined;
  #finalizing = false;
  /** destroy() without an error: a quiet cancel. */
  #cancelled = false;
  /** Bytes accepted since the event loop last got a turn (see #pump). */
  #sinceYield = 0;
  /** The CompleteMultipartUpload request, once sent. */
  #completing: Promise<CompleteMultipartUploadResult> | undefined;

  constructor(bucket: Bucket, key: string, options: SinkOptions = {}) {
    // Object mode on the writable side so that a wrong chunk type becomes our clear error instead of Node's throw
    // inside the source's 'data' handler; strings are decoded by us.
    super({ objectMode: true, highWaterMark: 1 });
    this.#ctx = contextOf(bucket);
    this.#key = validateObjectKey(key, this.#ctx.options.limits);
    this.#opts = resolveSinkOptions(options, this.#ctx.options.limits);
    this.#putWhenSmall = (options as InternalSinkOptions)[SINK_INTERNALS]?.putWhenSmall ?? false;
    this.#headers = uploadHeaders(this.#opts, this.#opts.contentTypeFrom ?? key);
    const c = this.#opts.concurrency;
    if (c === 'auto') {
      const max = autoConcurrencyMax(
        this.#opts.maxMemory,
        this.#opts.partSizeFor(1),
        this.#ctx.options.connectionPoolSize,
      );
      this.#tuner = new ConcurrencyTuner({ max, onChange: (n) => (this.#window.limit = n) });
    }
    // Part buffers are recycled once their part is stored (see PartBuffers).
    this.#buffers = new PartBuffers((this.#tuner?.max ?? (c as number)) + 1);
    const allocate = (size: number): Buffer => this.#buffers.allocate(size);
    this.#cutter = new PartCutter({ partSize: this.#opts.partSizeFor, allocate });
    this.#window = new Window(this.#tuner?.limit ?? (c as number), this.#opts.signal);
    this.#progress = new UploadProgress(this.#opts.onProgress, this.#opts.contentLength ?? null);
    this.#opts.signal?.addEventListener('abort', this.#onAbort, { once: true });
    closeWithClient(this.#ctx, this, {
      committed: () => this.#finished,
      started: () => this.#base + this.#cutter.bytes > 0 || this.#initiating !== undefined || this.writableEnded,
    });
    if (this.#opts.resume !== undefined) this.#startResumable(this.#opts.resume, this.#opts.contentLength!);
    // 'abort' never fires for a signal that is already aborted: without this an idle source would leave us waiting.
    if (this.#opts.signal?.aborted === true) this.#onAbort();
  }

  /** Loads the checkpoint, then reads `resume.source(offset)` (see stream-resume.ts). */
  #startResumable(resume: NonNullable<ResolvedSinkOptions['resume']>, total: number): void {
    const initiating = resumeStream(this.#ctx, this.#key, resume, total, this.#opts.partSizeFor(1), {
      writable: this,
      window: this.#window,
      headers: this.#headers,
      continueFrom: (state: ResumeState, checkpoint: CheckpointWriter) => {
        if (this.#window.failed) throw this.#firstError(); // destroyed meanwhile: open no source, start no upload
        this.#base = state.offset;
        const size = state.partSize;
        const allocate = (n: number): Buffer => this.#buffers.allocate(n);
        const firstPartNumber = state.parts.length + 1;
        this.#cutter = new PartCutter({ partSize: () => size, firstPartNumber, firstOffset: state.offset, allocate });
        this.#progress = new UploadProgress(this.#opts.onProgress, total, state.offset);
        for (const p of state.parts) {
          this.#done.push({ partNumber: p.partNumber, etag: p.etag, crc64: p.crc64!, size: p.size });
        }
        this.#checkpoint = checkpoint;
      },
    });
    this.#initiating = initiating.then((id) => (this.#uploadId = id));
    this.#initiating.catch((err: unknown) => this.destroy(err as Error));
  }

  /** The object is committed (`result` is set once Complete or the single PutObject succeeded). */
  get #finished(): boolean {
    return this.result !== undefined;
  }

  /**
   * Multipart from the start (no `putWhenSmall`, a resumed stream, a declared length above the threshold), or once
   * the bytes offered (cut, plus the rest of the chunk being cut) exceed the threshold.
   */
  get #multipart(): boolean {
    const threshold = this.#opts.multipartThreshold;
    if (!this.#putWhenSmall || this.#opts.resume !== undefined) return true;
    if ((this.#opts.contentLength ?? 0) > threshold) return true;
    const p = this.#pending;
    return this.#base + this.#cutter.bytes + (p === undefined ? 0 : p.chunk.byteLength - p.offset) > threshold;
  }

  /** A resumable sink reads its own source; bytes written before that started would be lost in the restart. */
  get #resumeReady(): boolean {
    return this.#checkpoint !== undefined;
  }

  readonly #onAbort = (): void => {
    this.destroy(new OssAbortError('The upload was aborted', this.#opts.signal?.reason));
  };

  /**
   * The outcome as a promise: resolves with {@link result} once the object is committed; rejects with the stream's
   * error (an `AbortError` after `destroy()`) only once its cleanup is over, so an upload is never left open behind
   * it. Never an unhandled rejection when not called.
   */
  done(): Promise<MultipartResult> {
    return this.#outcome.promise;
  }

  /** The multipart upload id, once initiated. */
  get uploadId(): string | undefined {
    return this.#uploadId;
  }

  /** Parts in flight right now. */
  get partsInFlight(): number {
    return this.#window.inFlight;
  }

  /** Parts allowed in flight now: `concurrency`, or where `'auto'` has moved it. */
  get concurrencyLimit(): number {
    return this.#window.limit;
  }

  override _write(chunk: unknown, encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    const bytes = chunkBytes(chunk, encoding);
    if (bytes instanceof OssArgumentError) {
      cb(bytes);
      return;
    }
    if (this.#window.failed) {
      cb(this.#firstError());
      return;
    }
    if (this.#opts.resume !== undefined && !this.#resumeReady) {
      cb(
        new OssArgumentError(
          'a resumable sink reads resume.source(offset) itself: do not write to it, wait for its finish',
          'resume',
        ),
      );
      return;
    }
    if (
      this.#opts.contentLength !== undefined &&
      this.#base + this.#cutter.bytes + bytes.byteLength > this.#opts.contentLength
    ) {
      cb(
        new OssArgumentError(
          `the stream is longer than contentLength ${this.#opts.contentLength}; the upload was aborted`,
          'contentLength',
        ),
      );
      return;
    }
    // Known to be multipart from the first byte: start the upload now, so its round trip overlaps filling part 1
    // instead of delaying it (a part is only sent once it is full).
    if (this.#multipart && this.#initiating === undefined && bytes.byteLength > 0)
      this.#initiate().catch(() => undefined);
    this.#pending = { chunk: bytes, offset: 0, cb };
    this.#pump();
  }

  /** Copies the pending chunk into parts, handing full parts to the window; holds the callback when it is full. */
  #pump(): void {
    const p = this.#pending;
    if (p === undefined) return;
    while (p.offset < p.chunk.byteLength) {
      if (this.#window.failed) {
        this.#pending = undefined;
        this.#failWrite(p.cb);
        return;
      }
      if (this.#cutter.full) {
        // Lookahead (see #multipart): there is at least one more byte, so the full part is not the last one.
        if (!this.#multipart) {
          this.#held.push(this.#cutter.take());
        } else {
          if (this.#window.isFull) {
            this.#tuner?.blocked();
            this.#window.whenSlot(() => this.#pump());
            return;
          }
          this.#flushHeld();
          if (this.#window.isFull) {
            this.#window.whenSlot(() => this.#pump());
            return;
          }
          this.#send(this.#cutter.take());
        }
      }
      p.offset = this.#cutter.fill(p.chunk, p.offset);
    }
    this.#pending = undefined;
    this.#sinceYield += p.chunk.byteLength;
    if (this.#sinceYield < YIELD_BYTES) {
      p.cb();
      return;
    }
    // A source that produces synchronously (a buffer, a generator) would otherwise fill every free part buffer
    // (copy + CRC, milliseconds) in one go, and no socket write progresses meanwhile: measured, that stalled each
    // 8 MiB part's send by ~5 ms and left the server idle a quarter of the time with one part in flight. A turn
    // of the event loop every 256 KiB (~0.1 ms of hashing) keeps the sockets fed; I/O-bound sources already yield.
    this.#sinceYield = 0;
    setImmediate(p.cb);
  }

  /** Sends held parts while slots are free. */
  #flushHeld(): void {
    while (this.#held.length > 0 && !this.#window.isFull) this.#send(this.#held.shift()!);
  }

  #initiate(): Promise<string> {
    // Not cancelled by a failure or destroy(): once the request left, the server may have created the upload, and
    // only its id lets #cleanup abort it. Cleanup waits for this answer instead of orphaning the upload.
    const t0 = performance.now();
    this.#initiating ??= initiateMultipartUpload(this.#ctx, this.#key, {
      headers: initiateHeaders(this.#headers),
    }).then((r) => {
      // A small request on a fresh connection: the auto ramp's measuring interval.
      this.#tuner?.roundTrip(performance.now() - t0);
      // From now on the process must not exit with this upload open (unless the caller keeps the parts).
      if (!this.#opts.leavePartsOnError) this.#unguard = guardUpload(this.#ctx, this.#key, r.uploadId);
      return (this.#uploadId = r.uploadId);
    });
    return this.#initiating;
  }

  #send(part: Part): void {
    this.#window.run(async (signal) => {
      try {
        const uploadId = await this.#initiate();
        const tuner = this.#tuner;
        // Parts double in size on long streams: fewer of them fit in the memory budget.
        tuner?.capAt(autoConcurrencyMax(this.#opts.maxMemory, part.data.length, this.#ctx.options.connectionPoolSize));
        const t0 = performance.now();
        let handed = 0;
        // Watching the body slices it into 64 KiB socket writes: only pay for that when someone listens, or while
        // the auto ramp counts bytes as they reach the sockets. After the ramp whole parts steer, in one write each.
        const watch = this.#opts.onProgress !== undefined || tuner?.rampingUp === true;
        const r = await uploadPart(this.#ctx, this.#key, uploadId, part.partNumber, part.data, {
          signal,
          // hashed by the cutter while copying; our buffer does not change until the part is stored
          knownCrc64: part.crc64,
          retries: this.#opts.retries,
          onRetry: tuner === undefined ? undefined : (failure) => isThrottled(failure) && tuner.throttled(),
          onBodyProgress: !watch
            ? undefined
            : (n) => {
                // n counts this attempt's bytes: a retry starts again from 0
                if (n > handed) tuner?.sent(n - handed);
                handed = n;
                if (this.#opts.onProgress !== undefined) this.#progress.sent(n, part.partNumber);
              },
        });
        tuner?.partDone(r.size, performance.now() - t0);
        this.#progress.partDone(part.partNumber, r.size);
        this.#done.push({ partNumber: part.partNumber, etag: r.etag, crc64: r.crc64, size: r.size });
        this.#checkpoint?.add({ partNumber: part.partNumber, etag: r.etag, crc64: r.crc64, size: r.size });
        this.#buffers.release(part.data);
      } catch (err) {
        // The request settled: a failed or aborted one had its socket destroyed, so nothing reads the buffer now.
        this.#buffers.release(part.data);
        this.#window.fail(err);
        // A failure while no write waits and before _final must still surface: error the stream now.
        queueMicrotask(() => {
          if (!this.destroyed && this.#pending === undefined && !this.#finalizing) this.destroy(this.#firstError());
        });
        throw err;
      }
    });
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.#finalizing = true;
    this.#finish().then(
      () => {
        this.#buffers.returnAll();
        this.#window.dispose();
        this.#opts.signal?.removeEventListener('abort', this.#onAbort);
        cb();
      },
      (err: unknown) => cb(err as Error),
    );
  }

  async #finish(): Promise<void> {
    const total = this.#base + this.#cutter.bytes;
    const declared = this.#opts.contentLength;
    if (declared !== undefined && total !== declared) {
      throw new OssArgumentError(
        `the stream ended after ${total} bytes, short of contentLength ${declared}; the upload was aborted`,
        'contentLength',
      );
    }
    const last = this.#cutter.take();
    if (!this.#multipart) {
      // Everything fit under the threshold: one PutObject, never a 1-part multipart upload.
      const parts = [...this.#held.splice(0), last];
      const data = parts.length === 1 ? last.data : Buffer.concat(parts.map((p) => p.data));
      let r: PutObjectResult;
      try {
        r = await putObject(this.#ctx, this.#key, data, {
          headers: this.#headers,
          signal: this.#window.signal,
          onProgress: (n) => this.#progress.sent(n),
        });
      } finally {
        // The request settled, whatever its outcome: the part buffers go back for the next upload.
        for (const part of parts) this.#buffers.release(part.data);
      }
      this.result = putResult(r);
      this.#progress.complete(r.size);
      return;
    }
    // A resumed stream whose bytes were all stored already ends with an empty part: nothing to send.
    const queue = [...this.#held.splice(0)];
    if (last.data.length === 0 && this.#base > 0) this.#buffers.release(last.data);
    else queue.push(last);
    for (let i = 0; i < queue.length; i++) {
      await new Promise<void>((resolve) => this.#window.whenSlot(resolve));
      if (this.#window.failed) {
        // Parts that will never go out: their buffers go back now.
        for (const part of queue.slice(i)) this.#buffers.release(part.data);
        break;
      }
      this.#send(queue[i]!);
    }
    await this.#window.settled();
    if (this.#window.failed) throw this.#firstError();
    const uploadId = await this.#initiate();
    const parts = [...this.#done].sort((a, b) => a.partNumber - b.partNumber);
    this.#unguard(); // a commit in flight is never raced by an abort at exit
    this.#completing = completeMultipartUpload(this.#ctx, this.#key, uploadId, parts, {
      headers: completeHeaders(this.#headers),
      callback: this.#opts.callback,
      callbackVar: this.#opts.callbackVar,
      signal: this.#opts.signal,
    });
    const r: CompleteMultipartUploadResult = await this.#completing;
    if (this.#checkpoint !== undefined) {
      // Let the last save land first, or it would bring the record back after the delete.
      await this.#checkpoint.flush().catch(() => undefined);
      await this.#opts.resume!.store.delete(this.#ctx.bucket, this.#key, this.#checkpoint.record.path);
    }
    this.result = multipartResult(r, uploadId, parts, total);
    this.#progress.complete(total);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (this.#finished) {
      cb(err);
      return;
    }
    // destroy() without an error is a cancel: clean up the same way, but emit no 'error' (Node's convention).
    this.#cancelled = err === null;
    this.#window.fail(err ?? new OssAbortError('The upload was destroyed before it finished'));
    const pending = this.#pending;
    this.#pending = undefined;
    void (async () => {
      await this.#window.settled();
      // Every part that was stored is on record before the stream reports its end: the next run trusts the record.
      await this.#checkpoint?.flush().catch(() => undefined);
      // A Complete already sent decides the outcome: aborting alongside it would race the commit. If it committed,
      // there is nothing to clean up (the object is whole); if it failed, abort as usual.
      const committed =
        this.#completing === undefined
          ? false
          : await this.#completing.then(
              () => true,
              () => false,
            );
      if (!committed) await this.#cleanup();
      this.#unguard();
      // What never went out goes back too: parts held for the lookahead, and the part being filled.
      for (const part of this.#held.splice(0)) this.#buffers.release(part.data);
      if (this.#cutter.buffered > 0) this.#buffers.release(this.#cutter.take().data);
      this.#buffers.returnAll();
      this.#window.dispose();
      this.#opts.signal?.removeEventListener('abort', this.#onAbort);
      // The window may have failed first (a part error): report that cause, not the destroy that followed it.
      const first = err === null ? null : (this.#firstError() ?? err);
      if (pending !== undefined) this.#failWrite(pending.cb);
      this.#outcome.failed(first, 'The upload was destroyed before it finished');
      cb(first);
    })();
  }

  /**
   * Aborts the multipart upload once, unless the caller keeps the parts (resume). Never throws, and gives up after
   * the client's `cleanupTimeoutMs`: the error it holds back must reach the caller even when the network is gone.
   */
  async #cleanup(): Promise<void> {
    if (this.#opts.leavePartsOnError || this.#initiating === undefined) return;
    const deadline = AbortSignal.timeout(this.#ctx.options.cleanupTimeoutMs);
    const expired = new Promise<undefined>((resolve) => {
      deadline.addEventListener('abort', () => resolve(undefined), { once: true });
    });
    let uploadId: string | undefined;
    try {
      uploadId = await Promise.race([this.#initiating, expired]);
    } catch {
      return; // never initiated: nothing to abort
    }
    if (uploadId === undefined) return;
    try {
      await abortMultipartUpload(this.#ctx, this.#key, uploadId, { signal: deadline });
    } catch {
      // the upload may already be gone (NoSuchUpload); the original error is what matters
    }
  }

  /**
   * Fails a held write. After a quiet cancel (destroy() without an error) only once the stream has closed: a write
   * error before that would become the stream's error, and `pipeline`/`finished` would report it instead of the
   * premature close every other cancelled stream reports.
   */
  #failWrite(cb: (err?: Error | null) => void): void {
    const err = this.#firstError();
    if (this.#cancelled && !this.closed) this.once('close', () => cb(err));
    else cb(err);
  }

  #firstError(): Error {
    const e = this.#window.error;
    return e instanceof Error ? e : new OssError(String(e), { code: 'UnknownError' });
  }
}
