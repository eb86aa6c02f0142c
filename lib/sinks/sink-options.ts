/** Options of the stream sinks, resolved once with their defaults. */
import {
  checkBufferedPartSize,
  checkBufferSize,
  checkConcurrency,
  checkInteger,
  DEFAULTS,
  type Concurrency,
  maxBufferedPartSize,
  type OssLimits,
} from '../config.js';
import type { ProgressCallback } from '../core/progress.js';
import type { UploadHeaderOptions } from '../api/upload-headers.js';
import { determinePartSize, growingPartSize } from '../parts/part-size.js';
import { OssArgumentError } from '../errors.js';
import type { StreamResumeOptions } from './stream-resume.js';

/** Options of {@link MultipartWritable} and {@link createUploadStream}. */
export interface SinkOptions extends UploadHeaderOptions {
  /**
   * Part size in bytes (default 8 MiB; 100 KiB..5 GiB, and at most the largest Buffer this Node can allocate:
   * 4 GiB on Node 20, since each part is held in memory). Memory holds at most `(concurrency + 1) × partSize` of
   * part buffers. For unknown lengths parts double every 1,000 parts; with `contentLength` the size is raised if
   * needed to fit 10,000 parts.
   */
  partSize?: number | undefined;
  /**
   * Parts in flight: a number (1..1000), or `'auto'` (the default): start with 16, add parts while the measured
   * throughput still rises, halve on throttling (503, `x-oss-qos-delay-time`), never beyond `maxMemory` of part
   * buffers nor the client's `connectionPoolSize` (see `parts/concurrency-tuner.ts`).
   */
  concurrency?: Concurrency | undefined;
  /**
   * `concurrency: 'auto'` (the default): most bytes of part buffers, the part being filled included (default 256 MiB,
   * or two parts if they are larger; a smaller value given here is an error). Ignored with a fixed concurrency, whose
   * memory is `(concurrency + 1) × partSize`.
   */
  maxMemory?: number | undefined;
  /** createUploadStream: streams up to this many bytes become one PutObject (default: `partSize`). */
  multipartThreshold?: number | undefined;
  /** Total length when known: picks the part size up front and is enforced (more or fewer bytes fail). */
  contentLength?: number | undefined;
  /** `(consumed, total | null)`, byte-accurate and monotonic; reaches `total` only once the object is committed. */
  onProgress?: ProgressCallback | undefined;
  /** Aborts the upload: requests in flight are cancelled and the multipart upload is aborted. */
  signal?: AbortSignal | undefined;
  /** Extra attempts per part for retryable failures (default: the client's). */
  retries?: number | undefined;
  /** Keep the uploaded parts when the upload fails (to resume it); default false: AbortMultipartUpload. */
  leavePartsOnError?: boolean | undefined;
  /** Name to guess the Content-Type from (default: the key). */
  contentTypeFrom?: string | undefined;
  /**
   * Make the upload resumable: each finished part is recorded in `resume.store`, and a later sink with the same
   * store, key and `resume.id` continues after the last recorded part, reading from `resume.source(offset)`. The
   * sink then reads its source itself: don't write to it, wait for `'finish'` (e.g. `await finished(sink)`).
   * Needs `contentLength`. On failure the parts are kept (that is the point); the record is deleted on success.
   */
  resume?: StreamResumeOptions | undefined;
}

/** {@link SinkOptions} with defaults applied and checked. */
export interface ResolvedSinkOptions extends UploadHeaderOptions {
  readonly partSize: number;
  readonly partSizeFor: (partNumber: number) => number;
  readonly concurrency: Concurrency;
  readonly maxMemory: number;
  readonly multipartThreshold: number;
  readonly contentLength: number | undefined;
  readonly onProgress: ProgressCallback | undefined;
  readonly signal: AbortSignal | undefined;
  readonly retries: number | undefined;
  readonly leavePartsOnError: boolean;
  readonly contentTypeFrom: string | undefined;
  readonly resume: StreamResumeOptions | undefined;
}

/** Applies the sink defaults and checks every option against the service limits. */
export function resolveSinkOptions(opts: SinkOptions, limits: OssLimits): ResolvedSinkOptions {
  if (opts === null || typeof opts !== 'object') throw new OssArgumentError('options must be an object', 'options');
  const requested = opts.partSize;
  const partSize = checkBufferedPartSize('partSize', requested ?? DEFAULTS.partSize, limits);
  const maxPart = maxBufferedPartSize(limits);
  const concurrency = checkConcurrency('concurrency', opts.concurrency ?? DEFAULTS.concurrency);
  const givenMemory = opts.maxMemory === undefined ? undefined : checkInteger('maxMemory', opts.maxMemory, 1);
  let maxMemory: number;
  // What fits under the threshold is joined into one Buffer for the PutObject: the Buffer limit applies too.
  const threshold = opts.multipartThreshold ?? partSize;
  const multipartThreshold = checkBufferSize('multipartThreshold', threshold, 0, limits.maxPutSize);
  const contentLength =
    opts.contentLength === undefined
      ? undefined
      : checkInteger('contentLength', opts.contentLength, 0, limits.maxObjectSize);
  if (opts.retries !== undefined) checkInteger('retries', opts.retries, 0, 100);
  if (opts.onProgress !== undefined && typeof opts.onProgress !== 'function')
    throw new OssArgumentError('onProgress must be a function', 'onProgress');
  if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal))
    throw new OssArgumentError('signal must be an AbortSignal', 'signal');
  let partSizeFor: (n: number) => number;
  if (contentLength !== undefined) {
    const needed = Math.ceil(contentLength / partSize);
    if (requested !== undefined && needed > limits.maxParts) {
      throw new OssArgumentError(
        `contentLength ${contentLength} needs ${needed} parts of ${partSize} bytes; ` +
          `the limit is ${limits.maxParts} parts: use partSize ≥ ${Math.ceil(contentLength / limits.maxParts)}`,
        'partSize',
      );
    }
    const fixed = Math.max(1, Math.min(determinePartSize(contentLength, partSize, limits), limits.maxPartSize));
    if (fixed > maxPart) {
      throw new OssArgumentError(
        `contentLength ${contentLength} needs parts of ${fixed} bytes to fit ${limits.maxParts} parts, ` +
          `over ${maxPart} bytes, the largest Buffer Node ${process.versions.node} can allocate; ` +
          'upload a file this size with resumableUpload ' +
          '(it reads parts from the file instead of holding them in memory)',
        'contentLength',
      );
    }
    partSizeFor = () => fixed;
    maxMemory = autoMemory(concurrency, givenMemory, fixed);
  } else {
    // Growth stops at the largest part this Node can hold, not at a size whose allocation would throw.
    const growthLimits = maxPart < limits.maxPartSize ? { ...limits, maxPartSize: maxPart } : limits;
    partSizeFor = (n) => growingPartSize(n, partSize, 1000, growthLimits);
    maxMemory = autoMemory(concurrency, givenMemory, partSize);
  }
  return Object.freeze({
    headers: opts.headers,
    callback: opts.callback,
    callbackVar: opts.callbackVar,
    tags: opts.tags,
    meta: opts.meta,
    partSize,
    partSizeFor,
    concurrency,
    maxMemory,
    multipartThreshold,
    contentLength,
    onProgress: opts.onProgress,
    signal: opts.signal,
    retries: opts.retries,
    // a resumable upload keeps its parts on failure: the next run continues with them
    leavePartsOnError: opts.leavePartsOnError ?? opts.resume !== undefined,
    resume: checkResume(opts.resume, contentLength),
    contentTypeFrom: opts.contentTypeFrom,
  });
}

/**
 * The memory budget of an auto window: room for one part in flight and one being filled at least. A caller who set
 * `maxMemory` below that gets an error (the budget could not hold); the default budget grows to two parts instead,
 * so a large `partSize` alone keeps working (with one part in flight).
 */
function autoMemory(concurrency: Concurrency, maxMemory: number | undefined, partSize: number): number {
  if (maxMemory === undefined) return Math.max(DEFAULTS.maxMemory, 2 * partSize);
  if (concurrency === 'auto' && maxMemory < 2 * partSize) {
    throw new OssArgumentError(
      `maxMemory ${maxMemory} cannot hold two parts of ${partSize} bytes (one in flight, one being filled): ` +
        `raise maxMemory to at least ${2 * partSize} or lower partSize`,
      'maxMemory',
    );
  }
  return maxMemory;
}

function checkResume(
  resume: StreamResumeOptions | undefined,
  contentLength: number | undefined,
): StreamResumeOptions | undefined {
  if (resume === undefined) return undefined;
  if (resume === null || typeof resume !== 'object')
    throw new OssArgumentError('resume must be { store, source }', 'resume');
  if (resume.store === null || typeof resume.store !== 'object' || typeof resume.store.load !== 'function') {
    throw new OssArgumentError('resume.store must be a checkpoint store (e.g. new ResumableStore())', 'resume.store');
  }
  if (typeof resume.source !== 'function')
    throw new OssArgumentError('resume.source must be a function (offset) => Readable', 'resume.source');
  if (contentLength === undefined) {
    throw new OssArgumentError(
      'a resumable stream needs contentLength: its parts are cut on a fixed grid that a later run must reproduce',
      'contentLength',
    );
  }
  return resume;
}
