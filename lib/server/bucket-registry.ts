/**
 * The buckets of a server, their objects, and the one place where object records are committed: under the key's
 * lock, blobs moved into place first, then the record written, then blobs of the replaced version released.
 */
import { KeyedMutex } from './key-lock.js';
import { MultipartUploads, type UploadRecord } from './multipart-store.js';
import { checkBucketName, compareKeys } from './names.js';
import type { ObjectRecord } from './object-record.js';
import { ServerError } from './server-error.js';
import type { Store } from './storage/store.js';

/** One bucket: its objects (by key) and its multipart uploads. */
export class BucketState {
  readonly name: string;
  readonly created: number;
  readonly objects = new Map<string, ObjectRecord>();
  readonly uploads: MultipartUploads;
  #sorted: string[] | undefined;

  /** `store` persists the bucket's multipart uploads. */
  constructor(name: string, created: number, store: Store) {
    this.name = name;
    this.created = created;
    this.uploads = new MultipartUploads(store, name);
  }

  /** Keys in UTF-8 byte order (cached until the next change). */
  sortedKeys(): string[] {
    this.#sorted ??= [...this.objects.keys()].sort(compareKeys);
    return this.#sorted;
  }

  /** @internal */
  setRecord(rec: ObjectRecord): void {
    if (!this.objects.has(rec.key)) this.#sorted = undefined;
    this.objects.set(rec.key, rec);
  }

  /** @internal */
  deleteRecord(key: string): void {
    if (this.objects.delete(key)) this.#sorted = undefined;
  }
}

/** Buckets by name, plus the commit protocol. */
export class BucketRegistry {
  readonly store: Store;
  #buckets = new Map<string, BucketState>();
  #locks = new KeyedMutex();

  constructor(store: Store) {
    this.store = store;
  }

  /** Loads what the store kept from earlier runs: objects, and multipart uploads in progress. */
  async load(): Promise<void> {
    for (const b of await this.store.load()) {
      const state = new BucketState(b.name, b.created, this.store);
      for (const rec of b.objects) state.setRecord(rec);
      for (const up of b.uploads) {
        const record: UploadRecord = {
          id: up.id,
          key: up.key,
          initiated: up.initiated,
          meta: up.meta,
          parts: new Map(up.parts.map((p) => [p.number, p])),
        };
        state.uploads.adopt(record);
      }
      this.#buckets.set(b.name, state);
    }
  }

  has(name: string): boolean {
    return this.#buckets.has(name);
  }

  /** The bucket `name`; 404 NoSuchBucket when absent. */
  get(name: string): BucketState {
    const b = this.#buckets.get(name);
    if (b === undefined)
      throw new ServerError(404, 'NoSuchBucket', 'The specified bucket does not exist.', { BucketName: name });
    return b;
  }

  /** All buckets by name. */
  list(): BucketState[] {
    return [...this.#buckets.values()].sort((a, b) => compareKeys(a.name, b.name));
  }

  /** Creates `name` if absent (idempotent for an existing bucket, as for its owner on OSS). */
  async create(name: string): Promise<BucketState> {
    checkBucketName(name);
    const existing = this.#buckets.get(name);
    if (existing !== undefined) return existing;
    const state = new BucketState(name, Date.now(), this.store);
    this.#buckets.set(name, state);
    await this.store.saveBucket(name, state.created);
    return state;
  }

  /** Deletes an empty bucket; 409 BucketNotEmpty when it holds objects or uploads. */
  async remove(name: string): Promise<void> {
    const b = this.get(name);
    if (b.objects.size > 0 || b.uploads.size > 0) {
      throw new ServerError(409, 'BucketNotEmpty', 'The bucket you tried to delete is not empty.', {
        BucketName: name,
      });
    }
    this.#buckets.delete(name);
    await this.store.removeBucket(name);
  }

  /** Runs `fn` holding the lock of `bucket/key`: commits and appends to one key never interleave. */
  withKey<T>(bucket: string, key: string, fn: () => Promise<T>): Promise<T> {
    return this.#locks.run(`${bucket}/${key}`, fn);
  }

  /** Commits `rec` (caller holds the key lock): last commit wins; the previous version's blobs are released. */
  async commitLocked(bucket: BucketState, rec: ObjectRecord): Promise<void> {
    for (const s of rec.segments) await this.store.promote(s.blob);
    await this.store.writeRecord(bucket.name, rec);
    const old = bucket.objects.get(rec.key);
    bucket.setRecord(rec);
    if (old !== undefined) {
      const kept = new Set(rec.segments.map((s) => s.blob));
      for (const s of old.segments) if (!kept.has(s.blob)) await this.store.dropBlob(s.blob);
    }
  }

  /** Deletes `key` (caller holds the key lock); false when there was nothing to delete. */
  async deleteLocked(bucket: BucketState, key: string): Promise<boolean> {
    const old = bucket.objects.get(key);
    if (old === undefined) return false;
    await this.store.deleteRecord(bucket.name, key);
    bucket.deleteRecord(key);
    for (const s of old.segments) await this.store.dropBlob(s.blob);
    return true;
  }
}
