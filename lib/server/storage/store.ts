/**
 * The seam between the server's object logic and where bytes and metadata live: on disk ({@link DiskStore}) or
 * nowhere ({@link DiscardStore}, for benchmarks).
 *
 * Blob life cycle: {@link Store.createBlob} stages a new blob; a commit {@link Store.promote}s it (rename into
 * place) before the record that references it is written; {@link Store.dropBlob} deletes it, deferred while a
 * reader {@link Store.hold}s it.
 */
import type { Readable, Writable } from 'node:stream';
import type { PartRecord, UploadInfo } from '../multipart-store.js';
import type { ObjectRecord } from '../object-record.js';

/** A staged blob and the stream its bytes go to. */
export interface BlobWriter {
  readonly blob: string;
  readonly stream: Writable;
}

/** A multipart upload in progress as persisted: its creation data and its committed parts. */
export interface StoredUpload extends UploadInfo {
  parts: PartRecord[];
}

/** A bucket as persisted. */
export interface StoredBucket {
  name: string;
  created: number;
  objects: ObjectRecord[];
  uploads: StoredUpload[];
}

/** Where a server keeps bytes and records. */
export interface Store {
  readonly kind: 'disk' | 'discard';
  /** Whether object bytes can be read back. */
  readonly keepsBytes: boolean;
  /**
   * Prepares the root and returns what a previous run left: objects and multipart uploads in progress with their
   * committed parts. Staging files, half-received bodies and blobs nothing references are removed.
   */
  load(): Promise<StoredBucket[]>;
  saveBucket(name: string, created: number): Promise<void>;
  removeBucket(name: string): Promise<void>;
  /** A new staged blob. */
  createBlob(): BlobWriter;
  /** A stream writing into committed `blob` from byte `offset` on (appendable objects grow in place). */
  appendBlob(blob: string, offset: number): Writable;
  /** Cuts a committed blob back to `size` (a failed append). */
  truncateBlob(blob: string, size: number): Promise<void>;
  /** Moves a staged blob into place; a no-op for blobs already in place. */
  promote(blob: string): Promise<void>;
  /** Deletes a staged or committed blob, once no reader holds it. Never throws. */
  dropBlob(blob: string): Promise<void>;
  /** Pins blobs against deletion while they are read; call the returned function once done. */
  hold(blobs: readonly string[]): () => void;
  /** Bytes `[start, end]` (inclusive) of a committed blob, or `undefined` when no bytes are kept. */
  readBlob(blob: string, start: number, end: number): Readable | undefined;
  /** Persists a record atomically (replacing any previous one for the key). */
  writeRecord(bucket: string, rec: ObjectRecord): Promise<void>;
  deleteRecord(bucket: string, key: string): Promise<void>;
  /** Persists a new multipart upload (before its id is answered). */
  saveUpload(bucket: string, upload: UploadInfo): Promise<void>;
  /**
   * Makes a received part durable: its staged blob flushed and moved into place, then its record written
   * (replacing any earlier record of that part number). Once this resolves the part survives a crash.
   */
  commitPart(bucket: string, uploadId: string, part: PartRecord): Promise<void>;
  /** Removes the persisted state of an upload (not its blobs); a missing upload is fine. */
  deleteUpload(bucket: string, uploadId: string): Promise<void>;
  /** Absolute data directory (for diagnostics and specs). */
  readonly root: string;
}

/** Chunk size of file streams: large chunks keep syscalls per GiB low. */
export const IO_CHUNK = 1024 * 1024;
