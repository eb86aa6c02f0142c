/**
 * Multipart uploads in progress, per bucket: their creation metadata and uploaded parts. Kept in memory (a server
 * restart forgets them, like an expired upload: NoSuchUpload); part bytes are staged blobs until Complete.
 */
import { randomBytes } from 'node:crypto';
import { compareKeys } from './names.js';
import type { ObjectMeta } from './object-record.js';
import { ServerError } from './server-error.js';

/** One uploaded part. */
export interface PartRecord {
  number: number;
  blob: string;
  size: number;
  /** Upper-case hex MD5, no quotes. */
  etag: string;
  crc64: string;
  lastModified: number;
}

/** One multipart upload. */
export interface UploadRecord {
  readonly id: string;
  readonly key: string;
  readonly initiated: number;
  readonly meta: ObjectMeta;
  readonly parts: Map<number, PartRecord>;
}

let sequence = 0;

/** A new upload id: 32 upper-case hex chars, ordered by creation (time then a counter) and unguessable. */
function newUploadId(): string {
  sequence = (sequence + 1) % 0x10000;
  const time = Date.now().toString(16).padStart(12, '0');
  return `${time}${sequence.toString(16).padStart(4, '0')}${randomBytes(8).toString('hex')}`.toUpperCase();
}

/** NoSuchUpload as OSS words it. */
export function noSuchUpload(id: string): ServerError {
  return new ServerError(404, 'NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', { UploadId: id });
}

/** The uploads of one bucket. */
export class MultipartUploads {
  #uploads = new Map<string, UploadRecord>();

  /** Starts an upload. */
  create(key: string, meta: ObjectMeta): UploadRecord {
    const up: UploadRecord = { id: newUploadId(), key, initiated: Date.now(), meta, parts: new Map() };
    this.#uploads.set(up.id, up);
    return up;
  }

  /** The live upload `id` of `key`; 404 NoSuchUpload when unknown, finished, or started for another key. */
  get(id: string, key: string): UploadRecord {
    const up = this.#uploads.get(id);
    if (up === undefined || up.key !== key) throw noSuchUpload(id);
    return up;
  }

  /** Whether `up` is still live (not completed or aborted meanwhile). */
  isLive(up: UploadRecord): boolean {
    return this.#uploads.get(up.id) === up;
  }

  /** Removes `up`; returns false when it was no longer live. */
  remove(up: UploadRecord): boolean {
    if (!this.isLive(up)) return false;
    this.#uploads.delete(up.id);
    return true;
  }

  /** Puts back an upload whose completion failed after it was removed. */
  restore(up: UploadRecord): void {
    this.#uploads.set(up.id, up);
  }

  /** Every live upload, ordered by key (UTF-8 byte order) then by upload id (creation order). */
  sorted(): UploadRecord[] {
    return [...this.#uploads.values()].sort((a, b) => compareKeys(a.key, b.key) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  get size(): number {
    return this.#uploads.size;
  }

  /** Every upload, for cleanup. */
  all(): UploadRecord[] {
    return [...this.#uploads.values()];
  }
}
