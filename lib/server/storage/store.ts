/**
 * The seam between the server's object logic and where bytes and metadata live: on disk ({@link DiskStore}) or
 * nowhere ({@link DiscardStore}, for benchmarks).
 *
 * Blob life cycle: {@link Store.createBlob} stages a new blob; a commit {@link Store.promote}s it (rename into
 * place) before the record that references it is written; {@link Store.dropBlob} deletes it, deferred while a
 * reader {@link Store.hold}s it.
 */
import type { Readable, Writable } from 'node:stream';
import type { ObjectRecord } from '../object-record.js';

/** A staged blob and the stream its bytes go to. */
export interface BlobWriter {
  readonly blob: string;
  readonly stream: Writable;
}

/** A bucket as persisted. */
export interface StoredBucket {
  name: string;
  created: number;
  objects: ObjectRecord[];
}

/** Where a server keeps bytes and records. */
export interface Store {
  readonly kind: 'disk' | 'discard';
  /** Whether object bytes can be read back. */
  readonly keepsBytes: boolean;
  /** Prepares the root and returns what a previous run left (orphaned blobs and staging files are removed). */
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
  /** Absolute data directory (for diagnostics and specs). */
  readonly root: string;
}

/** Chunk size of file streams: large chunks keep syscalls per GiB low. */
export const IO_CHUNK = 1024 * 1024;
