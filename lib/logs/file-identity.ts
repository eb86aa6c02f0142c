/**
 * Which file is which across rotations: a file is its device and inode plus a fingerprint of its first bytes (an
 * inode can be reused after a delete, and copytruncate keeps the inode while replacing the content), and rotated
 * files are found again next to the path they came from.
 */
import { createHash } from 'node:crypto';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Bytes of a file's start that identify it. */
export const FINGERPRINT_BYTES = 1024;

/** A file as the shipper knows it. */
export interface FileIdentity {
  dev: number;
  ino: number;
  /** How many leading bytes {@link fp} covers (grows up to {@link FINGERPRINT_BYTES} as the file grows). */
  fpLen: number;
  /** SHA-256 (hex, 32 digits) of the first `fpLen` bytes. */
  fp: string;
}

/** Fingerprint of the first `len` bytes of an open file, or `undefined` if it is shorter now. */
async function fingerprint(fh: FileHandle, len: number): Promise<string | undefined> {
  const buf = Buffer.allocUnsafe(len);
  let got = 0;
  while (got < len) {
    const { bytesRead } = await fh.read(buf, got, len - got, got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got < len ? undefined : createHash('sha256').update(buf.subarray(0, len)).digest('hex').slice(0, 32);
}

/** The identity of an open file, fingerprinting as much of its start as it has (up to {@link FINGERPRINT_BYTES}). */
export async function identify(fh: FileHandle): Promise<FileIdentity & { size: number; mtimeMs: number }> {
  const st = await fh.stat();
  const fpLen = Math.min(st.size, FINGERPRINT_BYTES);
  return { dev: st.dev, ino: st.ino, fpLen, fp: (await fingerprint(fh, fpLen))!, size: st.size, mtimeMs: st.mtimeMs };
}

/** True when the open file still starts with the bytes `id` fingerprinted. */
export async function sameStart(fh: FileHandle, id: FileIdentity): Promise<boolean> {
  return (await fingerprint(fh, id.fpLen)) === id.fp;
}

/** An open file found for an identity. */
interface FoundFile {
  fh: FileHandle;
  path: string;
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
}

const COMPRESSED = /\.(gz|bz2|xz|zst|lz4|zip)$/i;

/**
 * Rotated siblings of `path`: regular files in its directory whose name starts with its name (`app.log.1`,
 * `app.log-20260105`), not compressed (their bytes are not the log's bytes), sorted oldest first by mtime.
 */
export async function siblings(
  path: string,
): Promise<{ path: string; dev: number; ino: number; size: number; mtimeMs: number }[]> {
  const dir = dirname(path);
  const name = basename(path);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const out = [];
  for (const n of names) {
    if (n === name || !n.startsWith(name) || COMPRESSED.test(n)) continue;
    const p = join(dir, n);
    try {
      const st = await stat(p);
      if (st.isFile()) out.push({ path: p, dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs });
    } catch {
      // rotated away meanwhile
    }
  }
  return out.sort((a, b) => a.mtimeMs - b.mtimeMs || a.path.localeCompare(b.path));
}

/**
 * Finds the file `id` names among `path` and its rotated siblings, holding at least `minSize` bytes: the same inode
 * with the same start (renamed, or still at `path`), or else a file with the same start (a copytruncate copy).
 * `skipIno` excludes an inode (the live file, once it is known to be truncated).
 */
export async function findFile(
  path: string,
  id: FileIdentity,
  minSize: number,
  skipIno?: number,
): Promise<FoundFile | undefined> {
  const tryOpen = async (p: string, wantInode: boolean): Promise<FoundFile | undefined> => {
    let fh: FileHandle;
    try {
      fh = await open(p, 'r');
    } catch {
      return undefined;
    }
    const st = await fh.stat();
    const inodeOk = st.dev === id.dev && st.ino === id.ino;
    if (st.ino !== skipIno && inodeOk === wantInode && st.size >= minSize && (await sameStart(fh, id))) {
      return { fh, path: p, dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
    }
    await fh.close();
    return undefined;
  };
  // The path first, its siblings listed after: a rotation (rename, or copy then truncate) that the check of the path
  // just missed has put the file, or its copy, among them by then. Listed before, both could be missed.
  const atPath = await tryOpen(path, true);
  if (atPath !== undefined) return atPath;
  const candidates = [{ path }, ...(await siblings(path))];
  for (const wantInode of [true, false]) {
    for (const c of wantInode ? candidates.slice(1) : candidates) {
      const f = await tryOpen(c.path, wantInode);
      if (f !== undefined) return f;
    }
  }
  return undefined;
}
