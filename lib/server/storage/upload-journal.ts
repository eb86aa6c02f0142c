/**
 * Multipart uploads in progress on disk, one directory per upload inside its bucket's directory:
 *
 * ```
 * uploads/<UPLOAD-ID>/upload.json     creation data: id, key, initiated, meta
 * uploads/<UPLOAD-ID>/part-<n>.json   one committed part: number, blob, size, etag, crc64, lastModified
 * ```
 * Every file is replaced atomically and durably ({@link writeFileDurably}). An upload exists exactly while its
 * `upload.json` does: written first (into a fresh directory), removed first; so a crash while an upload is created
 * or removed leaves at most a directory without it, which the next {@link UploadJournal.load} removes. The
 * directory name is an upload id the server generated (32 upper-case hex), never anything a client chose.
 */
import { mkdir, readdir, readFile, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isBlobId } from '../key-path.js';
import { isUploadId, type PartRecord, type UploadInfo } from '../multipart-store.js';
import type { ObjectMeta } from '../object-record.js';
import { syncPath, writeFileDurably } from './durable-write.js';
import type { StoredUpload } from './store.js';

const UPLOAD_FILE = 'upload.json';
const PART_FILE_RE = /^part-(\d{1,6})\.json$/;
const ETAG_RE = /^[0-9A-F]{32}$/;
const DECIMAL_RE = /^\d{1,20}$/;

function partFile(n: number): string {
  return `part-${n}.json`;
}

function isMeta(m: unknown): m is ObjectMeta {
  const o = m as Partial<ObjectMeta> | null;
  return (
    typeof o === 'object' &&
    o !== null &&
    typeof o.contentType === 'string' &&
    typeof o.storageClass === 'string' &&
    typeof o.acl === 'string' &&
    typeof o.userMeta === 'object' &&
    o.userMeta !== null &&
    Array.isArray(o.tags)
  );
}

/** A part record as read back, checked field by field: a torn or hand-edited file must not become a part. */
function asPart(v: unknown, number: number): PartRecord | undefined {
  const p = v as Partial<PartRecord> | null;
  if (typeof p !== 'object' || p === null || number < 1 || p.number !== number) return undefined;
  if (typeof p.blob !== 'string' || !isBlobId(p.blob)) return undefined;
  if (!Number.isSafeInteger(p.size) || p.size! < 0) return undefined;
  if (typeof p.etag !== 'string' || !ETAG_RE.test(p.etag)) return undefined;
  if (typeof p.crc64 !== 'string' || !DECIMAL_RE.test(p.crc64) || BigInt(p.crc64) >= 2n ** 64n) return undefined;
  if (typeof p.lastModified !== 'number' || !Number.isFinite(p.lastModified)) return undefined;
  return { number, blob: p.blob, size: p.size!, etag: p.etag, crc64: p.crc64, lastModified: p.lastModified };
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Reads and writes the upload directories of a disk store. */
export class UploadJournal {
  #tmp: string;

  /** `tmpDir`: the store's staging directory (same file system, wiped at start), for temp files. */
  constructor(tmpDir: string) {
    this.#tmp = tmpDir;
  }

  /** Persists a new upload into `dir` (`<bucket>/uploads/<id>`). */
  async create(dir: string, up: UploadInfo): Promise<void> {
    await mkdir(dir, { recursive: true });
    // The new directory's own entry must be durable too, or a power cut could lose the whole upload.
    await syncPath(join(dir, '..'), true);
    const rec: UploadInfo = { id: up.id, key: up.key, initiated: up.initiated, meta: up.meta };
    await writeFileDurably(this.#tmp, join(dir, UPLOAD_FILE), JSON.stringify(rec));
  }

  /** Persists (or replaces) the record of part `part.number` of the upload in `dir`. */
  async savePart(dir: string, part: PartRecord): Promise<void> {
    const rec: PartRecord = {
      number: part.number,
      blob: part.blob,
      size: part.size,
      etag: part.etag,
      crc64: part.crc64,
      lastModified: part.lastModified,
    };
    await writeFileDurably(this.#tmp, join(dir, partFile(part.number)), JSON.stringify(rec));
  }

  /** Removes the upload in `dir`: its `upload.json` first, so a crash midway leaves no upload, only debris. */
  async remove(dir: string): Promise<void> {
    await unlink(join(dir, UPLOAD_FILE)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    await rm(dir, { recursive: true, force: true });
  }

  /**
   * The uploads under `uploadsDir` with their parts, ordered by id. Removes what is not an upload (directories
   * without a valid `upload.json`, foreign names) and part records that are unreadable or whose blob
   * `blobExists` denies (their bytes are gone, so the part is too).
   */
  async load(uploadsDir: string, blobExists: (blob: string) => boolean): Promise<StoredUpload[]> {
    let names: string[];
    try {
      names = await readdir(uploadsDir);
    } catch {
      return [];
    }
    const out: StoredUpload[] = [];
    for (const name of names.sort()) {
      const dir = join(uploadsDir, name);
      const info = isUploadId(name) ? await readJson(join(dir, UPLOAD_FILE)) : undefined;
      const up = info as Partial<UploadInfo> | undefined;
      if (
        up?.id !== name ||
        typeof up.key !== 'string' ||
        up.key === '' ||
        typeof up.initiated !== 'number' ||
        !isMeta(up.meta)
      ) {
        await rm(dir, { recursive: true, force: true });
        continue;
      }
      out.push({
        id: name,
        key: up.key,
        initiated: up.initiated,
        meta: up.meta,
        parts: await this.#loadParts(dir, blobExists),
      });
    }
    return out;
  }

  async #loadParts(dir: string, blobExists: (blob: string) => boolean): Promise<PartRecord[]> {
    const parts: PartRecord[] = [];
    for (const file of await readdir(dir)) {
      if (file === UPLOAD_FILE) continue;
      const m = PART_FILE_RE.exec(file);
      const part = m === null ? undefined : asPart(await readJson(join(dir, file)), Number(m[1]));
      if (part === undefined || !blobExists(part.blob)) {
        await rm(join(dir, file), { recursive: true, force: true });
        continue;
      }
      parts.push(part);
    }
    return parts.sort((a, b) => a.number - b.number);
  }
}
