/**
 * Resumable streams: a sink whose source can be reopened at a byte offset (a file range, an HTTP range request, a
 * replayable log) records each finished part in a checkpoint store, and a later run continues from the last part
 * it can trust instead of from byte 0.
 */
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import type { OssContext } from '../api/context.js';
import { abortMultipartUpload } from '../api/abort-multipart-upload.js';
import { listParts } from '../api/list-parts.js';
import { OssArgumentError, OssServiceError } from '../errors.js';
import type { CheckpointPart, CheckpointRecord } from '../resumable/checkpoint-record.js';
import type { CheckpointStore } from '../resumable/resumable-store.js';

/** How a stream upload resumes. */
export interface StreamResumeOptions {
  /** Where checkpoint records live (e.g. `new ResumableStore()`). */
  store: CheckpointStore;
  /** Opens the source at byte `offset`: the sink reads from it itself, so don't write to a resumable sink. */
  source: (offset: number) => Readable | AsyncIterable<Uint8Array | string>;
  /** Names the source in the store (default: the object key); one record per (bucket, key, id). */
  id?: string | undefined;
  /**
   * A version of the source (e.g. its mtime or an HTTP ETag hashed to a number): a record made from another
   * version is discarded and its upload aborted. Default 0.
   */
  version?: number | undefined;
}

/** Where a resumed stream starts. */
export interface ResumeState {
  /** The upload to continue, or `undefined` to start a new one. */
  uploadId: string | undefined;
  /** Parts 1..n already stored and verified against the server (a contiguous prefix). */
  parts: CheckpointPart[];
  /** First byte to read from the source. */
  offset: number;
  /** Part size to use (the recorded one wins: stored parts have it). */
  partSize: number;
  /** The record to keep updating. */
  record: CheckpointRecord;
}

/**
 * The store path of a stream source: an absolute pseudo path (stores key records by absolute path) that no real
 * file upload uses, so a stream's record never collides with a file's.
 */
function streamRecordPath(id: string): string {
  return resolve(`/.oss-stream-streams/${encodeURIComponent(id)}`);
}

/**
 * Loads and checks the record of a stream upload: keeps the longest prefix of parts that the record lists AND the
 * server still lists with the same ETag and size (a hole or a mismatch ends the prefix; the rest is re-sent).
 * A record for another size, version or part grid, or whose upload is gone, is discarded (its upload aborted).
 */
export async function prepareStreamResume(
  ctx: OssContext,
  key: string,
  resume: StreamResumeOptions,
  contentLength: number,
  partSize: number,
  signal?: AbortSignal,
): Promise<ResumeState> {
  const id = resume.id ?? key;
  if (typeof id !== 'string' || id === '') throw new OssArgumentError('resume.id must be a non-empty string', 'resume.id');
  const version = resume.version ?? 0;
  if (!Number.isFinite(version)) throw new OssArgumentError('resume.version must be a finite number', 'resume.version');
  const path = streamRecordPath(id);
  const fresh: CheckpointRecord = { uploadId: '', bucket: ctx.bucket, key, path, size: contentLength, mtimeMs: version, partSize, parts: [] };
  const record = await resume.store.load(ctx.bucket, key, path);
  if (record === undefined) return { uploadId: undefined, parts: [], offset: 0, partSize, record: fresh };
  if (record.size !== contentLength || record.mtimeMs !== version || record.key !== key || record.bucket !== ctx.bucket) {
    await abortQuietly(ctx, key, record.uploadId);
    await resume.store.delete(ctx.bucket, key, path);
    return { uploadId: undefined, parts: [], offset: 0, partSize, record: fresh };
  }
  let listed;
  try {
    listed = await listParts(ctx, key, record.uploadId, { signal });
  } catch (err) {
    if (err instanceof OssServiceError && err.code === 'NoSuchUpload') {
      await resume.store.delete(ctx.bucket, key, path);
      return { uploadId: undefined, parts: [], offset: 0, partSize, record: fresh };
    }
    throw err;
  }
  const onServer = new Map(listed.map((p) => [p.partNumber, p]));
  const kept: CheckpointPart[] = [];
  for (const p of record.parts) {
    const s = onServer.get(p.partNumber);
    if (p.partNumber !== kept.length + 1 || s === undefined || s.etag !== p.etag || s.size !== p.size || p.crc64 === undefined) break;
    kept.push(p);
  }
  const offset = kept.reduce((n, p) => n + p.size, 0);
  return { uploadId: record.uploadId, parts: kept, offset, partSize: record.partSize, record: { ...record, parts: [...kept] } };
}

async function abortQuietly(ctx: OssContext, key: string, uploadId: string): Promise<void> {
  try {
    await abortMultipartUpload(ctx, key, uploadId);
  } catch {
    // already gone: nothing to clean up
  }
}
