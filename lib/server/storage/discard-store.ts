/**
 * Storage that keeps no bytes: bodies are read (so they are counted and hashed) and thrown away. Records live in
 * memory only, so HEAD, append positions, multipart and listings behave, while GetObject has nothing to return.
 * For benchmarks that measure the client, not the disk.
 */
import { Writable } from 'node:stream';
import { IO_CHUNK, type BlobWriter, type Store, type StoredBucket } from './store.js';
import { randomHex } from '../ids.js';

/** Discards every byte written to it. */
function sink(): Writable {
  return new Writable({
    highWaterMark: IO_CHUNK,
    write(_chunk, _enc, cb) {
      cb();
    },
    writev(_chunks, cb) {
      cb();
    },
  });
}

/** A {@link Store} that stores nothing. */
export class DiscardStore implements Store {
  readonly kind = 'discard' as const;
  readonly keepsBytes = false;
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  // Uploads, like objects, live in memory only: nothing survives a restart of a discarding server.
  async load(): Promise<StoredBucket[]> {
    return [];
  }
  async saveBucket(): Promise<void> {}
  async removeBucket(): Promise<void> {}
  createBlob(): BlobWriter {
    return { blob: randomHex(16), stream: sink() };
  }
  appendBlob(): Writable {
    return sink();
  }
  async truncateBlob(): Promise<void> {}
  async promote(): Promise<void> {}
  async dropBlob(): Promise<void> {}
  hold(): () => void {
    return () => undefined;
  }
  readBlob(): undefined {
    return undefined;
  }
  async writeRecord(): Promise<void> {}
  async deleteRecord(): Promise<void> {}
  async saveUpload(): Promise<void> {}
  async commitPart(): Promise<void> {}
  async deleteUpload(): Promise<void> {}
}
