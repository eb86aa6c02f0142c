/**
 * Multipart uploads in progress, per bucket: their creation metadata and committed parts, in memory for reads and
 * persisted through the {@link Store} for restarts (disk storage keeps them under the root, so an upload survives a
 * crash of the server; discard storage keeps nothing). Part bytes are blobs referenced by part records.
 *
 * The persistence protocol, and why each step comes where it does:
 * - an upload is persisted before its id is answered, so no client holds an id the next start would not know;
 * - a part is durable (bytes and record) before it is listed or answered, so ListParts after a crash shows exactly
 *   the parts a client may have been told about, and never a half-received body;
 * - commits of one part number run in order (the record on disk is the part listed); commits of different numbers
 *   write to disk in parallel, since that is where the time goes (fsync);
 * - Complete and Abort take the upload only once no part record is being written, and then no part can be added:
 *   Complete validates the very parts it commits, and the upload's directory is never removed under a writer;
 * - ListParts waits for the commits under way, so a part whose body was fully received is listed.
 */
import { KeyedMutex } from './key-lock.js';
import { compareKeys } from './names.js';
import type { ObjectMeta } from './object-record.js';
import { ServerError } from './server-error.js';
import type { Store } from './storage/store.js';
import { randomHex } from './ids.js';

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

/** What an upload is, apart from its parts. */
export interface UploadInfo {
  readonly id: string;
  readonly key: string;
  readonly initiated: number;
  readonly meta: ObjectMeta;
}

/** One multipart upload. */
export interface UploadRecord extends UploadInfo {
  readonly parts: Map<number, PartRecord>;
}

let sequence = 0;

/** A new upload id: 32 upper-case hex chars, ordered by creation (time then a counter) and unguessable. */
function newUploadId(): string {
  sequence = (sequence + 1) % 0x10000;
  const time = Date.now().toString(16).padStart(12, '0');
  return `${time}${sequence.toString(16).padStart(4, '0')}${randomHex(8)}`.toUpperCase();
}

const UPLOAD_ID_RE = /^[0-9A-F]{32}$/;

/** True for ids {@link MultipartUploads.create} hands out; anything else is refused before touching disk. */
export function isUploadId(id: string): boolean {
  return UPLOAD_ID_RE.test(id);
}

/** NoSuchUpload as OSS words it. */
export function noSuchUpload(id: string): ServerError {
  return new ServerError(
    404,
    'NoSuchUpload',
    'The specified upload does not exist. ' +
      'The upload ID may be invalid, or the upload may have been aborted or completed.',
    { UploadId: id },
  );
}

/** The uploads of one bucket. */
export class MultipartUploads {
  #uploads = new Map<string, UploadRecord>();
  #locks = new KeyedMutex();
  /** Part records being written, per upload id. */
  #writing = new Map<string, Set<Promise<void>>>();
  #store: Store;
  #bucket: string;

  /** Uploads of bucket `bucket`, persisted through `store`. */
  constructor(store: Store, bucket: string) {
    this.#store = store;
    this.#bucket = bucket;
  }

  /** Takes back an upload persisted by an earlier run (at start). */
  adopt(up: UploadRecord): void {
    this.#uploads.set(up.id, up);
  }

  /** Starts an upload; it is persisted before this resolves (and so before its id is answered). */
  async create(key: string, meta: ObjectMeta): Promise<UploadRecord> {
    const up: UploadRecord = { id: newUploadId(), key, initiated: Date.now(), meta, parts: new Map() };
    await this.#store.saveUpload(this.#bucket, up);
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

  /**
   * Commits a received part (its blob still staged): made durable, then listed; a part of the same number is
   * replaced and its blob dropped. Rejects with NoSuchUpload when Complete or Abort took the upload meanwhile;
   * the caller then still owns (and drops) the part's blob.
   */
  addPart(up: UploadRecord, part: PartRecord): Promise<void> {
    return this.#locks.run(`${up.id}/${part.number}`, async () => {
      if (!this.isLive(up)) throw noSuchUpload(up.id);
      await this.#track(up.id, this.#store.commitPart(this.#bucket, up.id, part));
      await this.#locks.run(up.id, async () => {
        // Taken while the record was written: take() waited for the write, so the upload's removal sees it.
        if (!this.isLive(up)) throw noSuchUpload(up.id);
        const old = up.parts.get(part.number);
        up.parts.set(part.number, part);
        if (old !== undefined && old.blob !== part.blob) await this.#store.dropBlob(old.blob);
      });
    });
  }

  /** Resolves once the part commits of `up` under way are listed (or failed). */
  async settled(up: UploadRecord): Promise<void> {
    await this.#drain(up.id);
    await this.#locks.run(up.id, async () => undefined);
  }

  /**
   * Takes `up` out of the live uploads (Complete, Abort) once `select` accepted it, and returns what `select`
   * returned. `select` runs once no part record of `up` is being written and while no part can be added, so it
   * sees the final part list; when it throws, the upload stays as it was. NoSuchUpload when `up` is no longer live.
   * The persisted state stays until {@link forget}: a Complete whose commit fails puts the upload back with
   * {@link restore}.
   */
  take<T>(up: UploadRecord, select: (up: UploadRecord) => T): Promise<T> {
    return this.#locks.run(up.id, async () => {
      for (;;) {
        if (!this.isLive(up)) throw noSuchUpload(up.id);
        const writing = this.#writing.get(up.id);
        if (writing === undefined || writing.size === 0) break;
        await Promise.allSettled([...writing]);
      }
      // No await from the check above to the removal: no part commit can start in between.
      const out = select(up);
      this.#uploads.delete(up.id);
      return out;
    });
  }

  /** Puts back an upload whose completion failed after it was taken. */
  restore(up: UploadRecord): void {
    this.#uploads.set(up.id, up);
  }

  /** Removes the persisted state of an upload that was taken and is finished for good (blobs are the caller's). */
  forget(up: UploadRecord): Promise<void> {
    return this.#store.deleteUpload(this.#bucket, up.id);
  }

  /** Runs `write` as one of the writes {@link #drain} waits for. */
  #track(id: string, write: Promise<void>): Promise<void> {
    let set = this.#writing.get(id);
    if (set === undefined) this.#writing.set(id, (set = new Set()));
    const tracked: Promise<void> = write.finally(() => {
      set.delete(tracked);
      if (set.size === 0 && this.#writing.get(id) === set) this.#writing.delete(id);
    });
    set.add(tracked);
    return tracked;
  }

  /** Waits until no part record of upload `id` is being written (writes that start meanwhile included). */
  async #drain(id: string): Promise<void> {
    for (let set = this.#writing.get(id); set !== undefined && set.size > 0; set = this.#writing.get(id)) {
      await Promise.allSettled([...set]);
    }
  }

  /** Every live upload, ordered by key (UTF-8 byte order) then by upload id (creation order). */
  sorted(): UploadRecord[] {
    return [...this.#uploads.values()].sort(
      (a, b) => compareKeys(a.key, b.key) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
  }

  get size(): number {
    return this.#uploads.size;
  }

  /** Every upload, for cleanup. */
  all(): UploadRecord[] {
    return [...this.#uploads.values()];
  }
}
