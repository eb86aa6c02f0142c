/**
 * `Bucket`: oss2's client for one bucket, in TypeScript. A thin facade: each method is one wire operation from
 * `lib/api/`, so the class stays small and every operation stays testable on its own.
 */
import { stat } from 'node:fs/promises';
import { MAX_PRESIGN_EXPIRES_SECONDS, type ClientOptions } from './config.js';
import type { CredentialsProvider } from './core/credentials.js';
import { FileSlice } from './core/file-slice.js';
import { validateHeaders, validateObjectKey } from './core/validate.js';
import { OssArgumentError } from './errors.js';
import { withFileBytes } from './parts/file-part-reader.js';
import { OssContext } from './api/context.js';
import type { UploadData } from './api/body.js';
import { abortMultipartUpload } from './api/abort-multipart-upload.js';
import { appendObject, type AppendObjectOptions, type AppendObjectResult } from './api/append-object.js';
import {
  completeMultipartUpload,
  type CompletedPart,
  type CompleteMultipartUploadOptions,
  type CompleteMultipartUploadResult,
} from './api/complete-multipart-upload.js';
import { deleteObject } from './api/delete-object.js';
import { getObject, type GetObjectOptions, type GetObjectResult } from './api/get-object.js';
import { headObject, type HeadObjectResult } from './api/head-object.js';
import {
  initiateMultipartUpload,
  type InitiateMultipartUploadOptions,
  type InitiateMultipartUploadResult,
} from './api/initiate-multipart-upload.js';
import {
  listMultipartUploads,
  type ListedUpload,
  type ListMultipartUploadsOptions,
} from './api/list-multipart-uploads.js';
import { listParts, type ListedPart, type ListPartsOptions } from './api/list-parts.js';
import { putObject, type PutObjectOptions, type PutObjectResult } from './api/put-object.js';
import type { OssResult } from './api/result.js';
import { uploadPart, type UploadPartOptions, type UploadPartResult } from './api/upload-part.js';

/** Methods {@link Bucket.signUrl} signs. */
export type SignableMethod = 'GET' | 'PUT' | 'HEAD' | 'POST' | 'DELETE';

const SIGNABLE_METHODS: ReadonlySet<string> = new Set(['GET', 'PUT', 'HEAD', 'POST', 'DELETE']);

/**
 * Where a Bucket keeps its request path. Not a declared property, so the published types show neither it nor
 * `OssContext`; a registered symbol rather than a `#private` field because the package ships an ESM and a CJS build,
 * and a program that loads both must be able to hand a Bucket from one to a sink from the other.
 */
const CONTEXT = Symbol.for('oss-stream.bucket-context');

/**
 * The request path behind `bucket`, for the sinks, resumable uploads and log shipping of this package. Not exported
 * by the package: users hold a {@link Bucket}, never its transport.
 */
export function contextOf(bucket: Bucket): OssContext {
  const held = typeof bucket === 'object' && bucket !== null ? (bucket as { [CONTEXT]?: OssContext }) : undefined;
  const ctx = held?.[CONTEXT];
  if (ctx === undefined)
    throw new OssArgumentError('bucket must be a Bucket (new Bucket(auth, endpoint, name))', 'bucket');
  return ctx;
}

/**
 * A client for one bucket.
 *
 * @example
 * ```ts
 * import { Auth, Bucket } from 'oss-stream';
 * const bucket = new Bucket(new Auth(process.env.OSS_ACCESS_KEY_ID!, process.env.OSS_ACCESS_KEY_SECRET!),
 *   'oss-cn-hangzhou.aliyuncs.com', 'my-bucket');
 * const r = await bucket.putObject('remote.txt', 'content of object');
 * console.log(r.status, r.requestId, r.etag, r.headers['date']);
 * await bucket.close();
 * ```
 */
export class Bucket {
  /** The request path shared by the operations and the stream sinks (see {@link contextOf}). */
  readonly #context: OssContext;

  /**
   * @param auth - {@link Auth}, {@link StsAuth} or {@link ProviderAuth}
   * @param endpoint - `oss-cn-hangzhou.aliyuncs.com`, `https://…`, or a local server's `http://127.0.0.1:port`
   * @param bucketName - the bucket
   * @param options - region (V4; derived from `oss-<region>` endpoints), signature version (default `'v4'`), path
   *   style, dispatcher, pool size, timeouts, retries
   */
  constructor(auth: CredentialsProvider, endpoint: string, bucketName: string, options: ClientOptions = {}) {
    this.#context = new OssContext(auth, endpoint, bucketName, options);
    Object.defineProperty(this, CONTEXT, { value: this.#context });
  }

  /** The bucket's name. */
  get name(): string {
    return this.#context.bucket;
  }

  /**
   * Uploads `data` with one PutObject (≤ 5 GiB). Strings go as UTF-8; bytes, strings, file slices and untouched
   * `fs.ReadStream`s are retried on network errors; other streams and iterables are sent once, chunked unless
   * `contentLength` is given. The server's CRC64 is checked against the bytes sent. A {@link FileSlice} of up to
   * 16 MiB is read into memory first (a pooled buffer, resent as is on a retry); a larger one streams from the file,
   * reopened for every attempt.
   */
  putObject(key: string, data: UploadData, opts?: PutObjectOptions): Promise<PutObjectResult> {
    if (!(data instanceof FileSlice)) return putObject(this.#context, key, data, opts);
    return withFileBytes(data, (body) => putObject(this.#context, key, body, opts));
  }

  /**
   * Uploads the file at `path` (Content-Type from the file name unless given). Up to 16 MiB it is read into memory
   * and sent from there (a retry resends those bytes); a larger file streams, reopened for every attempt.
   */
  async putObjectFromFile(key: string, path: string, opts: PutObjectOptions = {}): Promise<PutObjectResult> {
    validateObjectKey(key, this.#context.options.limits);
    if (typeof path !== 'string' || path === '') throw new OssArgumentError('path must be a non-empty string', 'path');
    const info = await stat(path);
    if (!info.isFile()) throw new OssArgumentError(`${path} is not a regular file`, 'path');
    return this.putObject(key, new FileSlice(path, 0, info.size), {
      ...opts,
      contentTypeFrom: opts.contentTypeFrom ?? path,
    });
  }

  /**
   * Appends `data` at `position` (0 creates an Appendable object). Typed errors: `PositionNotEqualToLengthError`
   * (with `nextPosition`) and `ObjectNotAppendableError`. Pass `initCrc` to verify the whole-object CRC64 chain.
   */
  appendObject(
    key: string,
    position: number,
    data: UploadData,
    opts?: AppendObjectOptions,
  ): Promise<AppendObjectResult> {
    return appendObject(this.#context, key, position, data, opts);
  }

  /** Starts a multipart upload; the headers given here are stored with the object. */
  initMultipartUpload(key: string, opts?: InitiateMultipartUploadOptions): Promise<InitiateMultipartUploadResult> {
    return initiateMultipartUpload(this.#context, key, opts);
  }

  /**
   * Uploads part `partNumber` (1..10,000); a {@link FileSlice} reads only its range and is retryable: up to 16 MiB
   * it is read into memory first (a pooled buffer, resent as is on a retry), a larger one streams from the file.
   */
  uploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    data: UploadData,
    opts?: UploadPartOptions,
  ): Promise<UploadPartResult> {
    if (!(data instanceof FileSlice)) return uploadPart(this.#context, key, uploadId, partNumber, data, opts);
    // knownCrc64 is the caller's claim about bytes they passed: a slice read here is hashed as it is sent instead.
    return withFileBytes(data, (body) =>
      uploadPart(
        this.#context,
        key,
        uploadId,
        partNumber,
        body,
        body === data ? opts : { ...opts, knownCrc64: undefined },
      ),
    );
  }

  /** Commits the parts (sorted for you); with each part's `crc64` and `size`, the whole-object CRC64 is verified. */
  completeMultipartUpload(
    key: string,
    uploadId: string,
    parts: readonly CompletedPart[],
    opts?: CompleteMultipartUploadOptions,
  ): Promise<CompleteMultipartUploadResult> {
    return completeMultipartUpload(this.#context, key, uploadId, parts, opts);
  }

  /** Drops an upload and its stored parts. */
  abortMultipartUpload(key: string, uploadId: string, opts?: { signal?: AbortSignal }): Promise<OssResult> {
    return abortMultipartUpload(this.#context, key, uploadId, opts);
  }

  /** Every stored part of an upload (all pages). */
  listParts(key: string, uploadId: string, opts?: ListPartsOptions): Promise<ListedPart[]> {
    return listParts(this.#context, key, uploadId, opts);
  }

  /** Every open multipart upload (all pages), optionally under a prefix. */
  listMultipartUploads(opts?: ListMultipartUploadsOptions): Promise<ListedUpload[]> {
    return listMultipartUploads(this.#context, opts);
  }

  /** An object's metadata (size, ETag, type, next append position, CRC64, `x-oss-meta-*`). */
  headObject(key: string, opts?: { signal?: AbortSignal }): Promise<HeadObjectResult> {
    return headObject(this.#context, key, opts);
  }

  /** Streams an object back; full reads verify the CRC64 as the bytes flow. */
  getObject(key: string, opts?: GetObjectOptions): Promise<GetObjectResult> {
    return getObject(this.#context, key, opts);
  }

  /** Deletes an object. */
  deleteObject(key: string, opts?: { signal?: AbortSignal }): Promise<OssResult> {
    return deleteObject(this.#context, key, opts);
  }

  /**
   * A presigned URL for `method` on `key`, valid for `expiresSeconds`. Headers given (Content-Type, `x-oss-*`) are
   * signed and must be sent by whoever uses the URL.
   */
  async signUrl(
    method: SignableMethod,
    key: string,
    expiresSeconds: number,
    opts: { headers?: Record<string, string>; query?: Record<string, string | null> } = {},
  ): Promise<string> {
    if (!SIGNABLE_METHODS.has(method))
      throw new OssArgumentError(
        `method must be one of ${[...SIGNABLE_METHODS].join(', ')}, got ${String(method)}`,
        'method',
      );
    validateObjectKey(key, this.#context.options.limits);
    const max = MAX_PRESIGN_EXPIRES_SECONDS;
    if (!Number.isSafeInteger(expiresSeconds) || expiresSeconds < 1 || expiresSeconds > max) {
      const message = `expiresSeconds must be an integer from 1 to ${max} (7 days), got ${expiresSeconds}`;
      throw new OssArgumentError(message, 'expiresSeconds');
    }
    const query = opts.query ?? {};
    if (
      query === null ||
      typeof query !== 'object' ||
      Object.values(query).some((v) => v !== null && typeof v !== 'string')
    ) {
      throw new OssArgumentError('query must be an object of strings (null for a bare parameter)', 'query');
    }
    return this.#context.presign(method, key, expiresSeconds, validateHeaders(opts.headers), query);
  }

  /**
   * Closes the client. Uploads still running on it are cancelled first, as a serious caller expects from "close":
   * every sink (createUploadStream, MultipartWritable, createPutStream, createAppendStream) fails with an
   * `AbortError` ("The client was closed…") and its multipart upload is aborted over the still-open connections;
   * a `resumableUpload` stops as on its `signal` (checkpoint and parts kept for the next run). Resolves once their
   * cleanup is over (at most about `cleanupTimeoutMs`) and the connections are closed. Sinks that already committed
   * their object are left alone. Later requests fail fast with `RequestError`.
   */
  close(): Promise<void> {
    return this.#context.close();
  }
}
