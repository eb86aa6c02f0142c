/**
 * Resumable streams: a sink whose source can be reopened at a byte offset (a file range, an HTTP range request, a
 * replayable log) records each finished part in a checkpoint store, and a later run continues from the last part
 * it can trust instead of from byte 0.
 */
import { resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { OssContext } from '../api/context.js';
import { abortIfPresent } from '../api/abort-multipart-upload.js';
import { initiateMultipartUpload } from '../api/initiate-multipart-upload.js';
import { listParts } from '../api/list-parts.js';
import { initiateHeaders } from '../api/upload-headers.js';
import { OssArgumentError, OssServiceError } from '../errors.js';
import type { Window } from '../parts/window.js';
import type { CheckpointPart, CheckpointRecord } from '../uploads/checkpoint-record.js';
import { CheckpointWriter } from '../uploads/checkpoint-writer.js';
import type { CheckpointStore } from '../uploads/resumable-store.js';

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
  if (typeof id !== 'string' || id === '')
    throw new OssArgumentError('resume.id must be a non-empty string', 'resume.id');
  const version = resume.version ?? 0;
  if (!Number.isFinite(version)) throw new OssArgumentError('resume.version must be a finite number', 'resume.version');
  const path = streamRecordPath(id);
  const fresh: CheckpointRecord = {
    uploadId: '',
    bucket: ctx.bucket,
    key,
    path,
    size: contentLength,
    mtimeMs: version,
    partSize,
    parts: [],
  };
  const record = await resume.store.load(ctx.bucket, key, path);
  if (record === undefined) return { uploadId: undefined, parts: [], offset: 0, partSize, record: fresh };
  if (
    record.size !== contentLength ||
    record.mtimeMs !== version ||
    record.key !== key ||
    record.bucket !== ctx.bucket
  ) {
    // Swallowed: the record is dropped either way, and the stream starts over.
    await abortIfPresent(ctx, key, record.uploadId).catch(() => undefined);
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
    if (
      p.partNumber !== kept.length + 1 ||
      s === undefined ||
      s.etag !== p.etag ||
      s.size !== p.size ||
      p.crc64 === undefined
    )
      break;
    kept.push(p);
  }
  const offset = kept.reduce((n, p) => n + p.size, 0);
  return {
    uploadId: record.uploadId,
    parts: kept,
    offset,
    partSize: record.partSize,
    record: { ...record, parts: [...kept] },
  };
}

/** What {@link resumeStream} needs of the sink it drives. */
interface ResumableSink {
  /** The sink itself: the source is piped into it. */
  readonly writable: Writable;
  /** The sink's window: its signal cancels the checkpoint load, a failed save fails it. */
  readonly window: Window;
  /** Headers of the upload, for a new InitiateMultipartUpload. */
  readonly headers: Record<string, string>;
  /**
   * Continues after `state`'s stored parts, recording each new part with `checkpoint`. Throws when the sink failed
   * meanwhile: then no source is opened and no upload started.
   */
  continueFrom(state: ResumeState, checkpoint: CheckpointWriter): void;
}

/**
 * The resume driver of a sink: loads and checks the checkpoint, lets the sink continue after the trusted parts,
 * pipes `resume.source(offset)` into it, and resolves with the upload id (a new upload is on record before its
 * first part goes).
 */
export async function resumeStream(
  ctx: OssContext,
  key: string,
  resume: StreamResumeOptions,
  contentLength: number,
  partSize: number,
  sink: ResumableSink,
): Promise<string> {
  const state = await prepareStreamResume(ctx, key, resume, contentLength, partSize, sink.window.signal);
  const checkpoint = new CheckpointWriter(resume.store, state.record, (err) => sink.window.fail(err));
  sink.continueFrom(state, checkpoint);
  void pipeline(resume.source(state.offset), sink.writable).catch(() => undefined); // errors reach the sink itself
  if (state.uploadId !== undefined) return state.uploadId;
  // No signal, as for any Initiate: one cut off after the server created the upload would leave it unknown.
  const r = await initiateMultipartUpload(ctx, key, { headers: initiateHeaders(sink.headers) });
  state.record.uploadId = r.uploadId; // the writer holds this very record
  // Durable before the first part goes: a crash now must not orphan an upload nobody knows about.
  await checkpoint.save();
  return r.uploadId;
}
