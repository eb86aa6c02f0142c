/**
 * Disk storage under one root directory:
 *
 * ```
 * <root>/tmp/<blob>                     staged bodies and parts, wiped at start
 * <root>/blobs/<blob>                   committed bytes (ids are random 32-hex, never derived from keys)
 * <root>/buckets/<bucket>/bucket.json   bucket record
 * <root>/buckets/<bucket>/meta/ab/<sha256(key)>.json   object record (sidecar), written to tmp/ then renamed
 * <root>/buckets/<bucket>/uploads/<UPLOAD-ID>/…        multipart uploads in progress (see upload-journal.ts)
 * ```
 * A record becomes visible only by the rename of its sidecar, after its blobs were fully written and moved into
 * place, so a crash leaves either the old or the new object, never half of one. Blobs no record references
 * (a crash between the two renames) are removed at the next start.
 *
 * A multipart part is committed the same way when UploadPart succeeds (bytes fsynced, blob moved into place, part
 * record written durably), so uploads in progress survive a crash or `kill -9` of the server: the next start lists
 * them with exactly their committed parts, while bodies that were still arriving are staging files and vanish.
 * An upload whose parts an object already references was completed just before a crash (the object record is
 * written before the upload is removed): its leftover state is removed at start.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { assertInside, isBlobId, keyMetaPath } from '../key-path.js';
import { isUploadId, type PartRecord, type UploadInfo } from '../multipart-store.js';
import { isValidBucketName } from '../../core/validate.js';
import type { ObjectRecord } from '../object-record.js';
import { BlobHolds } from './blob-holds.js';
import { syncPath } from './durable-write.js';
import { IO_CHUNK, type BlobWriter, type Store, type StoredBucket, type StoredUpload } from './store.js';
import { UploadJournal } from './upload-journal.js';
import { randomHex } from '../ids.js';

/** Stores bytes and sidecar records under `root`. */
export class DiskStore implements Store {
  readonly kind = 'disk' as const;
  readonly keepsBytes = true;
  readonly root: string;
  #tmp: string;
  #blobs: string;
  #buckets: string;
  #staged = new Set<string>();
  #holds = new BlobHolds();
  #madeDirs = new Set<string>();
  #journal: UploadJournal;

  constructor(root: string) {
    this.root = root;
    this.#tmp = join(root, 'tmp');
    this.#blobs = join(root, 'blobs');
    this.#buckets = join(root, 'buckets');
    this.#journal = new UploadJournal(this.#tmp);
  }

  async load(): Promise<StoredBucket[]> {
    await rm(this.#tmp, { recursive: true, force: true });
    await Promise.all([this.#tmp, this.#blobs, this.#buckets].map((d) => mkdir(d, { recursive: true })));
    const out: StoredBucket[] = [];
    const referenced = new Set<string>();
    const present = new Set(await readdir(this.#blobs));
    for (const name of await readdir(this.#buckets)) {
      if (!isValidBucketName(name)) continue;
      const dir = join(this.#buckets, name);
      let created = Date.now();
      try {
        created = (JSON.parse(await readFile(join(dir, 'bucket.json'), 'utf8')) as { created: number }).created;
      } catch {
        // A bucket directory without a readable record still holds objects: keep it with a fresh date.
      }
      const objects = await this.#loadRecords(join(dir, 'meta'));
      const inObjects = new Set(objects.flatMap((rec) => rec.segments.map((s) => s.blob)));
      for (const b of inObjects) referenced.add(b);
      const uploads: StoredUpload[] = [];
      for (const up of await this.#journal.load(join(dir, 'uploads'), (b) => present.has(b))) {
        // Parts already in an object: Complete committed, then the crash came before it removed the upload.
        if (up.parts.some((p) => inObjects.has(p.blob))) {
          await this.#journal.remove(this.#uploadDir(name, up.id));
          continue;
        }
        for (const p of up.parts) referenced.add(p.blob);
        uploads.push(up);
      }
      out.push({ name, created, objects, uploads });
    }
    for (const blob of present) {
      if (!referenced.has(blob)) await rm(join(this.#blobs, blob), { force: true, recursive: true });
    }
    return out;
  }

  async #loadRecords(metaDir: string): Promise<ObjectRecord[]> {
    const recs: ObjectRecord[] = [];
    let fans: string[];
    try {
      fans = await readdir(metaDir);
    } catch {
      return recs;
    }
    for (const fan of fans) {
      if (!/^[0-9a-f]{2}$/.test(fan)) continue;
      let files: string[];
      try {
        files = await readdir(join(metaDir, fan));
      } catch {
        continue;
      }
      for (const file of files) {
        try {
          const rec = JSON.parse(await readFile(join(metaDir, fan, file), 'utf8')) as ObjectRecord;
          // Ignore sidecars that were not written by us for this very key (renamed or hand-edited files).
          if (typeof rec.key !== 'string' || keyMetaPath(rec.key) !== join(fan, file)) continue;
          if (!Array.isArray(rec.segments) || !rec.segments.every((s) => isBlobId(s.blob))) continue;
          recs.push(rec);
        } catch {
          // unreadable sidecar: treat the object as absent
        }
      }
    }
    return recs;
  }

  async saveBucket(name: string, created: number): Promise<void> {
    const dir = this.#bucketDir(name);
    await mkdir(join(dir, 'meta'), { recursive: true });
    await writeFile(join(dir, 'bucket.json'), JSON.stringify({ name, created }));
  }

  async removeBucket(name: string): Promise<void> {
    await rm(this.#bucketDir(name), { recursive: true, force: true });
    for (const d of this.#madeDirs) if (d.startsWith(this.#bucketDir(name))) this.#madeDirs.delete(d);
  }

  createBlob(): BlobWriter {
    const blob = randomHex(16);
    this.#staged.add(blob);
    const stream = createWriteStream(join(this.#tmp, blob), { highWaterMark: IO_CHUNK });
    return { blob, stream };
  }

  appendBlob(blob: string, offset: number): Writable {
    return createWriteStream(this.#blobPath(blob), { flags: 'r+', start: offset, highWaterMark: IO_CHUNK });
  }

  async truncateBlob(blob: string, size: number): Promise<void> {
    await truncate(this.#blobPath(blob), size);
  }

  async promote(blob: string): Promise<void> {
    if (!this.#staged.has(blob)) return;
    await rename(join(this.#tmp, blob), join(this.#blobs, blob));
    this.#staged.delete(blob);
  }

  async dropBlob(blob: string): Promise<void> {
    if (this.#holds.deferIfHeld(blob)) return;
    const path = this.#blobPath(blob);
    this.#staged.delete(blob);
    await unlink(path).catch(() => undefined);
  }

  hold(blobs: readonly string[]): () => void {
    return this.#holds.hold(blobs, (b) => void this.dropBlob(b));
  }

  readBlob(blob: string, start: number, end: number): Readable {
    return createReadStream(this.#blobPath(blob), { start, end, highWaterMark: IO_CHUNK });
  }

  async writeRecord(bucket: string, rec: ObjectRecord): Promise<void> {
    const final = this.#recordPath(bucket, rec.key);
    const dir = join(final, '..');
    if (!this.#madeDirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.#madeDirs.add(dir);
    }
    const temp = join(this.#tmp, `${randomHex(16)}.json`);
    await writeFile(temp, JSON.stringify(rec));
    await rename(temp, final);
  }

  async deleteRecord(bucket: string, key: string): Promise<void> {
    await unlink(this.#recordPath(bucket, key)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  async saveUpload(bucket: string, upload: UploadInfo): Promise<void> {
    await this.#journal.create(this.#uploadDir(bucket, upload.id), upload);
  }

  async commitPart(bucket: string, uploadId: string, part: PartRecord): Promise<void> {
    const dir = this.#uploadDir(bucket, uploadId);
    if (this.#staged.has(part.blob)) {
      // Bytes on disk before the record that vouches for them, and the move into blobs/ durable before it too.
      await syncPath(join(this.#tmp, part.blob));
      await this.promote(part.blob);
      await syncPath(this.#blobs, true);
    }
    await this.#journal.savePart(dir, part);
  }

  async deleteUpload(bucket: string, uploadId: string): Promise<void> {
    await this.#journal.remove(this.#uploadDir(bucket, uploadId));
  }

  #uploadDir(bucket: string, uploadId: string): string {
    if (!isUploadId(uploadId)) throw new Error(`invalid upload id ${JSON.stringify(uploadId)}`);
    return assertInside(this.root, join(this.#bucketDir(bucket), 'uploads', uploadId));
  }

  #bucketDir(name: string): string {
    if (!isValidBucketName(name)) throw new Error(`invalid bucket name ${JSON.stringify(name)}`);
    return assertInside(this.root, join(this.#buckets, name));
  }

  #recordPath(bucket: string, key: string): string {
    return assertInside(this.root, join(this.#bucketDir(bucket), 'meta', keyMetaPath(key)));
  }

  #blobPath(blob: string): string {
    if (!isBlobId(blob)) throw new Error(`invalid blob id ${JSON.stringify(blob)}`);
    return join(this.#staged.has(blob) ? this.#tmp : this.#blobs, blob);
  }
}
