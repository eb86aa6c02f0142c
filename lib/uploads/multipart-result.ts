/**
 * What a multipart upload (or a stream that fit in one PutObject) reports when it is done: one shape for the
 * stream sinks and resumableUpload, built from the result of the request that committed the object.
 */
import type { CompleteMultipartUploadResult } from '../api/complete-multipart-upload.js';
import type { PutObjectResult } from '../api/put-object.js';

/** A part that was stored: what Complete needs, with its CRC64 and size for the whole-object check. */
export interface UploadedPart {
  partNumber: number;
  etag: string;
  crc64: string;
  size: number;
}

/** What a multipart (or small-stream single put) upload produced. */
export interface MultipartResult {
  /** `'multipart'`, or `'put'` when the stream fit under the threshold (createUploadStream). */
  mode: 'multipart' | 'put';
  status: number;
  requestId: string;
  headers: Record<string, string>;
  /** Quoted ETag of the object. */
  etag: string;
  /** CRC64 of the whole object, verified (decimal). */
  crc64: string;
  /** Bytes stored. */
  size: number;
  /** The multipart upload id (`'multipart'` mode). */
  uploadId?: string | undefined;
  /** Every part, ascending (`'multipart'` mode). */
  parts?: UploadedPart[] | undefined;
  versionId?: string | undefined;
  callbackBody?: string | undefined;
}

/** The result of an upload that fit under the threshold and was stored with one PutObject. */
export function putResult(r: PutObjectResult): MultipartResult {
  return {
    mode: 'put',
    status: r.status,
    requestId: r.requestId,
    headers: r.headers,
    etag: r.etag,
    crc64: r.crc64,
    size: r.size,
    versionId: r.versionId,
    callbackBody: r.callbackBody,
  };
}

/** The result of a committed multipart upload; `size` counts when Complete's answer could not give one. */
export function multipartResult(
  r: CompleteMultipartUploadResult,
  uploadId: string,
  parts: UploadedPart[],
  size: number,
): MultipartResult {
  return {
    mode: 'multipart',
    status: r.status,
    requestId: r.requestId,
    headers: r.headers,
    etag: r.etag,
    crc64: r.crc64,
    size: r.size ?? size,
    uploadId,
    parts,
    versionId: r.versionId,
    callbackBody: r.callbackBody,
  };
}
