/**
 * `resumableUpload`: oss2's `resumable_upload` made safe. A file above the threshold goes up as a multipart upload
 * whose progress is checkpointed (at most once a second, and whenever it stops), and a resume keeps every part the
 * server lists once its file range hashes the same, so a crash, a `kill -9`, a lost network or an abort never costs
 * more than the parts that were on the wire, and the final object is always verified against the file's CRC64.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { contextOf, type Bucket } from '../bucket.js';
import {
  autoConcurrencyMax,
  CHECKPOINT_INTERVAL_MS,
  checkInteger,
  DEFAULTS,
  MAX_BUFFER_BYTES,
  resolveConcurrency,
  type Concurrency,
  type OssLimits,
} from '../config.js';
import { ConcurrencyTuner } from '../parts/concurrency-tuner.js';
import { isThrottled } from '../core/retry-policy.js';
import type { OssContext } from '../api/context.js';
import { abortIfPresent } from '../api/abort-multipart-upload.js';
import { completeMultipartUpload, type CompleteMultipartUploadResult } from '../api/complete-multipart-upload.js';
import { initiateMultipartUpload } from '../api/initiate-multipart-upload.js';
import { listParts, type ListedPart } from '../api/list-parts.js';
import { UploadProgress, type ProgressCallback } from '../core/progress.js';
import { putObject } from '../api/put-object.js';
import { completeHeaders, initiateHeaders, uploadHeaders, type UploadHeaderOptions } from '../api/upload-headers.js';
import { uploadPart } from '../api/upload-part.js';
import { FileSlice } from '../core/file-slice.js';
import { FilePartReader, withFileBytes } from '../parts/file-part-reader.js';
import { validateObjectKey } from '../core/validate.js';
import { OssAbortError, OssArgumentError, OssCallbackError, OssError, OssIntegrityError } from '../errors.js';
import { determinePartSize } from '../parts/part-size.js';
import { Window } from '../parts/window.js';
import { multipartResult, putResult, type MultipartResult, type UploadedPart } from '../uploads/multipart-result.js';
import { fileUnchanged, type CheckpointRecord } from '../uploads/checkpoint-record.js';
import { CheckpointWriter } from '../uploads/checkpoint-writer.js';
import { partRanges, reconcileParts, type PartRange } from './reconcile-parts.js';
import { ResumableStore, type CheckpointStore } from '../uploads/resumable-store.js';

/** Options of {@link resumableUpload}. */
export interface ResumableUploadOptions extends UploadHeaderOptions {
  /** Where checkpoints are kept (default `new ResumableStore()`: `~/.oss-stream-upload`). */
  store?: CheckpointStore | undefined;
  /** Files up to this many bytes go up with one PutObject and no checkpoint (default 10 MiB). */
  multipartThreshold?: number | undefined;
  /**
   * Preferred part size (default 8 MiB, as the stream sinks), raised by {@link determinePartSize} so the file fits
   * in 10,000 parts. Up to 5 GiB: a part too large to hold in memory (see `maxMemory`) streams from the file
   * instead, so the Buffer limit of the stream sinks does not apply. A resumed upload keeps the part size it
   * started with.
   */
  partSize?: number | undefined;
  /**
   * Parts in flight, each read whole from its file range into a pooled part buffer, hashed, and sent (and resent)
   * from it: memory is at most `concurrency × partSize`. A number, or `'auto'` (the default): found while
   * uploading, as in the stream sinks, at most `maxMemory ÷ partSize − 1` parts and the client's
   * `connectionPoolSize`.
   */
  concurrency?: Concurrency | undefined;
  /**
   * The most memory the parts in flight may hold (default 256 MiB). With `concurrency: 'auto'` it bounds the window
   * to `maxMemory ÷ partSize − 1` parts; when the most parts in flight times `partSize` is over it (a large fixed
   * `concurrency` or `partSize`), parts stream from the file instead of being read into memory: a 256 KiB chunk at
   * a time, but several times the CPU per GiB (a fresh buffer for every read).
   */
  maxMemory?: number | undefined;
  /** @deprecated Use `concurrency` (the same option, named as in the stream sinks); kept as an alias. */
  parallel?: number | undefined;
  /**
   * `(consumed, total)`. A resumed upload first reports the bytes already stored, then counts bytes as they reach
   * the socket; `total` is reported only once the object is committed.
   */
  onProgress?: ProgressCallback | undefined;
  /**
   * Stops the upload: requests in flight are cancelled and the call rejects with an `AbortError`. The checkpoint
   * and the multipart upload are KEPT, so calling `resumableUpload` again continues where this one stopped. Use
   * {@link abandonResumable} to drop them instead.
   */
  signal?: AbortSignal | undefined;
  /** Extra attempts per request for retryable failures (default: the client's). */
  retries?: number | undefined;
  /** Name to guess the Content-Type from (default: the file path). */
  contentTypeFrom?: string | undefined;
}

/** What {@link resumableUpload} produced. */
export interface ResumableUploadResult extends MultipartResult {
  /** Bytes an earlier, interrupted attempt had stored and this call did not send again (0 for a fresh upload). */
  resumedBytes: number;
}

interface Resolved {
  store: CheckpointStore;
  multipartThreshold: number;
  partSize: number;
  concurrency: Concurrency;
  maxMemory: number;
  onProgress: ProgressCallback | undefined;
  signal: AbortSignal | undefined;
  retries: number | undefined;
}

function resolveOptions(opts: ResumableUploadOptions, limits: OssLimits): Resolved {
  if (opts === null || typeof opts !== 'object') throw new OssArgumentError('options must be an object', 'options');
  const store = opts.store ?? new ResumableStore();
  if (
    store === null ||
    typeof store !== 'object' ||
    typeof store.load !== 'function' ||
    typeof store.save !== 'function' ||
    typeof store.delete !== 'function'
  ) {
    throw new OssArgumentError(
      'store must have load(), save() and delete() (a ResumableStore, or your own CheckpointStore)',
      'store',
    );
  }
  if (opts.onProgress !== undefined && typeof opts.onProgress !== 'function')
    throw new OssArgumentError('onProgress must be a function', 'onProgress');
  if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal))
    throw new OssArgumentError('signal must be an AbortSignal', 'signal');
  return {
    store,
    multipartThreshold: checkInteger(
      'multipartThreshold',
      opts.multipartThreshold ?? DEFAULTS.multipartThreshold,
      0,
      limits.maxPutSize,
    ),
    partSize: checkInteger('partSize', opts.partSize ?? DEFAULTS.partSize, 1, limits.maxPartSize),
    concurrency: resolveConcurrency(opts),
    maxMemory: checkInteger('maxMemory', opts.maxMemory ?? DEFAULTS.maxMemory, 1),
    onProgress: opts.onProgress,
    signal: opts.signal,
    retries: opts.retries === undefined ? undefined : checkInteger('retries', opts.retries, 0, 100),
  };
}

function isCode(err: unknown, code: string): boolean {
  return err instanceof OssError && err.code === code;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new OssAbortError('The upload was aborted', signal.reason);
}

/**
 * Uploads the file at `filePath` as `key`, resumably.
 *
 * - Up to `multipartThreshold` bytes (default 10 MiB): one PutObject, nothing checkpointed.
 * - Above: a multipart upload with `determinePartSize(size, partSize)` parts, `concurrency` in flight, each read from
 *   its file range (one open handle per upload) into a pooled part buffer and sent from it; a retry resends that
 *   buffer. After each stored part the checkpoint is rewritten atomically (see {@link ResumableStore}).
 * - With a checkpoint from an earlier attempt: a corrupt one is discarded; if the file's size or modification time
 *   changed, the old upload is aborted and a new one started; if the upload is gone (`NoSuchUpload`), a new one is
 *   started. Otherwise the record is reconciled with ListParts (a part the server holds with another ETag or size
 *   is re-sent; a stored part the record missed is kept only if its CRC64 matches the file), and only the missing
 *   parts are sent.
 * - Complete verifies the whole object's CRC64 against the combination of every part's CRC64 (including parts
 *   from earlier attempts, which oss2 skips). The checkpoint is deleted once the object is committed.
 * - Failure or abort: requests in flight are cancelled, and every part buffer goes back to the pool; the checkpoint
 *   and the multipart upload are kept so the next call resumes. Only a committed object, or a file that changed
 *   during the upload (`FileChanged`: its size or modification time at the end, or a part that read short, caught
 *   before that part is sent), which aborts the upload, removes the checkpoint.
 * - Headers are stored at InitiateMultipartUpload: a resumed upload keeps the first attempt's headers; the
 *   callback (sent with Complete) and `x-oss-object-acl` / `x-oss-forbid-overwrite` come from the current call.
 *
 * @example
 * ```ts
 * const store = new ResumableStore({ root: '/tmp' });
 * const r = await resumableUpload(bucket, 'remote.bin', 'local.bin', {
 *   store, multipartThreshold: 100 * 1024, partSize: 100 * 1024, concurrency: 4,
 *   onProgress: (n, total) => console.log(n, total),
 * });
 * console.log(r.mode, r.crc64, r.resumedBytes);
 * ```
 */
export async function resumableUpload(
  bucket: Bucket,
  key: string,
  filePath: string,
  opts: ResumableUploadOptions = {},
): Promise<ResumableUploadResult> {
  const ctx = contextOf(bucket);
  // bucket.close() stops the upload as its signal would (checkpoint and parts kept for the next run) and waits for
  // it, instead of letting its next request fail on a closed client.
  const closing = new AbortController();
  // A malformed options object or signal is left for upload() to refuse with its usual argument error.
  const checkable = opts !== null && typeof opts === 'object' && (opts.signal ?? closing.signal) instanceof AbortSignal;
  const signal = opts?.signal === undefined ? closing.signal : AbortSignal.any([opts.signal, closing.signal]);
  const run = upload(ctx, key, filePath, checkable ? { ...opts, signal } : opts);
  const settled = run.then(
    () => undefined,
    () => undefined,
  );
  const untrack = ctx.track({
    cancel: (reason) => {
      closing.abort(reason);
      return settled;
    },
  });
  try {
    return await run;
  } finally {
    untrack();
  }
}

async function upload(
  ctx: OssContext,
  key: string,
  filePath: string,
  opts: ResumableUploadOptions,
): Promise<ResumableUploadResult> {
  const limits = ctx.options.limits;
  validateObjectKey(key, limits);
  if (typeof filePath !== 'string' || filePath === '')
    throw new OssArgumentError('filePath must be a non-empty string', 'filePath');
  const o = resolveOptions(opts, limits);
  const path = resolve(filePath);
  // Validates headers and callback before any I/O, and gives Initiate and Complete their share.
  const headers = uploadHeaders(opts, opts.contentTypeFrom ?? path);
  throwIfAborted(o.signal);
  const info = await stat(path);
  if (!info.isFile()) throw new OssArgumentError(`${path} is not a regular file`, 'filePath');
  // Two uploads of one file to one key would race on one record and one upload id: the second one stops here.
  const unlock = await o.store.lock?.(ctx.bucket, key, path);
  try {
    return await fromCheckpoint({ ctx, key, path, info, headers, o, opts });
  } finally {
    await unlock?.();
  }
}

/** One upload of one file version, as {@link upload} resolved it. */
interface UploadJob {
  ctx: OssContext;
  key: string;
  /** Absolute. */
  path: string;
  info: { size: number; mtimeMs: number };
  headers: Record<string, string>;
  o: Resolved;
  opts: ResumableUploadOptions;
}

/** Resumes the recorded upload of this file version, or starts one (a put when it is small). */
async function fromCheckpoint(job: UploadJob): Promise<ResumableUploadResult> {
  const { ctx, key, path, info, o, opts } = job;
  let record = await o.store.load(ctx.bucket, key, path);
  if (record !== undefined && !fileUnchanged(record, info)) {
    // Parts of another version of the file: useless, and billed while they stay.
    await abortIfPresent(ctx, key, record.uploadId);
    await o.store.delete(ctx.bucket, key, path);
    record = undefined;
  }
  throwIfAborted(o.signal);
  if (record === undefined && info.size <= o.multipartThreshold) {
    const r = await withFileBytes(new FileSlice(path, 0, info.size), (body) =>
      putObject(ctx, key, body, {
        headers: opts.headers,
        callback: opts.callback,
        callbackVar: opts.callbackVar,
        tags: opts.tags,
        meta: opts.meta,
        contentTypeFrom: opts.contentTypeFrom ?? path,
        onProgress: o.onProgress,
        signal: o.signal,
      }),
    );
    return { ...putResult(r), resumedBytes: 0 };
  }
  return multipart(job, record);
}

/**
 * The reader of a multipart upload's parts: into pooled buffers when the most parts in flight fit in `maxMemory`
 * (and a part in one Buffer), else none, and each part streams from the file through its own reader, which holds
 * no more than a 256 KiB chunk at once but costs several times the CPU (fresh memory for every read).
 */
async function partReader(
  path: string,
  partSize: number,
  mostInFlight: number,
  maxMemory: number,
): Promise<FilePartReader | undefined> {
  if (partSize > MAX_BUFFER_BYTES || mostInFlight * partSize > maxMemory) return undefined;
  return FilePartReader.open(path, partSize);
}

/** Aborts an upload of a file that changed, and forgets it: its parts hold a version of the file that is gone. */
async function dropUpload(
  ctx: OssContext,
  key: string,
  uploadId: string,
  store: CheckpointStore,
  path: string,
): Promise<void> {
  await abortIfPresent(ctx, key, uploadId);
  await store.delete(ctx.bucket, key, path);
}

async function multipart(job: UploadJob, previous: CheckpointRecord | undefined): Promise<ResumableUploadResult> {
  const { ctx, key, path, info, headers, o, opts } = job;
  let record: CheckpointRecord | undefined;
  let todo: PartRange[] = [];
  if (previous !== undefined) {
    let listed: ListedPart[] | undefined;
    try {
      listed = await listParts(ctx, key, previous.uploadId, { signal: o.signal });
    } catch (err) {
      if (!isCode(err, 'NoSuchUpload')) throw err;
      await o.store.delete(ctx.bucket, key, path);
    }
    if (listed !== undefined) {
      let plan;
      try {
        plan = await reconcileParts(previous, listed, o.signal);
      } catch (err) {
        // The file reader's own abort error is not ours: callers branch on OssAbortError.
        throwIfAborted(o.signal);
        throw err;
      }
      record = { ...previous, parts: plan.done };
      todo = plan.todo;
    }
  }
  let initiateMs: number | undefined;
  if (record === undefined) {
    const partSize = determinePartSize(info.size, o.partSize, ctx.options.limits);
    const t0 = performance.now();
    const init = await initiateMultipartUpload(ctx, key, { headers: initiateHeaders(headers), signal: o.signal });
    initiateMs = performance.now() - t0;
    record = {
      uploadId: init.uploadId,
      bucket: ctx.bucket,
      key,
      path,
      size: info.size,
      mtimeMs: info.mtimeMs,
      partSize,
      parts: [],
    };
    todo = partRanges(info.size, partSize);
  }
  const resumedBytes = record.parts.reduce((s, p) => s + p.size, 0);
  let tuner: ConcurrencyTuner | undefined;
  if (o.concurrency === 'auto') {
    const max = autoConcurrencyMax(o.maxMemory, record.partSize, ctx.options.connectionPoolSize);
    tuner = new ConcurrencyTuner({ max, onChange: (n) => (window.limit = n) });
    // A small request on a fresh connection: the ramp's measuring interval (a resumed upload keeps the 100 ms).
    if (initiateMs !== undefined) tuner.roundTrip(initiateMs);
  }
  const window = new Window(tuner?.limit ?? (o.concurrency as number), o.signal);
  const writer = new CheckpointWriter(o.store, record, (err) => window.fail(err), CHECKPOINT_INTERVAL_MS);
  // Written before the first part: an upload that exists only on the server is an orphan nobody can resume.
  try {
    await writer.save();
  } catch (err) {
    const ours = previous === undefined || previous.uploadId !== record.uploadId;
    if (ours) await abortIfPresent(ctx, key, record.uploadId).catch(() => {});
    throw err;
  }

  const progress = new UploadProgress(o.onProgress, info.size, resumedBytes);
  progress.begin();
  const uploadId = record.uploadId;
  const reader = await partReader(path, record.partSize, tuner?.max ?? (o.concurrency as number), o.maxMemory);
  try {
    for (const range of todo) {
      if (window.isFull) tuner?.blocked();
      await new Promise<void>((r) => window.whenSlot(r));
      if (window.failed) break;
      window.run(async (signal) => {
        // Read inside the window: the next parts are read while the earlier ones are on the wire.
        const part = await reader?.read(range.offset, range.size);
        try {
          const t0 = performance.now();
          let handed = 0;
          const data = part?.data ?? new FileSlice(path, range.offset, range.size);
          const r = await uploadPart(ctx, key, uploadId, range.partNumber, data, {
            signal,
            // hashed as it was read; the buffer does not change until the request settled
            knownCrc64: part?.crc64,
            retries: o.retries,
            onRetry: tuner === undefined ? undefined : (failure) => isThrottled(failure) && tuner.throttled(),
            // Progress slices the body into socket writes: only pay for it when someone listens (or 'auto' ramps).
            onBodyProgress:
              o.onProgress === undefined && tuner === undefined
                ? undefined
                : (n) => {
                    // n counts this attempt's bytes: a retry starts again from 0
                    if (n > handed) tuner?.sent(n - handed);
                    handed = n;
                    progress.sent(n, range.partNumber);
                  },
          });
          tuner?.partDone(r.size, performance.now() - t0);
          if (r.size !== range.size) {
            throw new OssError(
              `part ${range.partNumber} of ${path} had ${r.size} bytes instead of ${range.size}: ` +
                'the file changed during the upload',
              { code: 'FileChanged' },
            );
          }
          progress.partDone(range.partNumber, r.size);
          writer.add({ partNumber: range.partNumber, etag: r.etag, crc64: r.crc64, size: r.size });
        } finally {
          if (part !== undefined) reader!.release(part);
        }
      });
    }
    await window.settled();
  } finally {
    window.dispose();
    await reader?.close();
  }
  // Whatever happened, the parts that did finish are worth writing down before reporting.
  const saveError = await writer.flush().then(
    () => undefined,
    (err: unknown) => err ?? new Error('checkpoint save failed'),
  );
  if (window.failed) {
    // A part read short: the parts stored so far hold another version of the file, useless for a resume.
    // (If the abort fails, the record stays: the next run sees the changed file and aborts the upload then.)
    if (isCode(window.error, 'FileChanged')) await dropUpload(ctx, key, uploadId, o.store, path).catch(() => {});
    throw window.error;
  }
  if (saveError !== undefined) throw saveError;

  const now = await stat(path);
  if (!fileUnchanged(record, now)) {
    await dropUpload(ctx, key, uploadId, o.store, path);
    throw new OssError(`${path} changed during the upload (size or modification time); the upload was aborted`, {
      code: 'FileChanged',
    });
  }
  const parts: UploadedPart[] = writer.record.parts.map((p) => ({
    partNumber: p.partNumber,
    etag: p.etag,
    crc64: p.crc64!,
    size: p.size,
  }));
  let r: CompleteMultipartUploadResult;
  try {
    r = await completeMultipartUpload(ctx, key, uploadId, parts, {
      headers: completeHeaders(headers),
      callback: opts.callback,
      callbackVar: opts.callbackVar,
      signal: o.signal,
    });
  } catch (err) {
    // Committed, even though the call failed: the upload id is spent, so the checkpoint is too. (A Complete whose
    // answer was lost is recognized as committed by completeMultipartUpload itself.)
    if (err instanceof OssCallbackError || err instanceof OssIntegrityError)
      await o.store.delete(ctx.bucket, key, path);
    throw err;
  }
  await o.store.delete(ctx.bucket, key, path);
  progress.complete(info.size);
  return { ...multipartResult(r, uploadId, parts, info.size), resumedBytes };
}
