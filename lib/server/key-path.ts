/**
 * Maps object keys and blob ids to file names that cannot leave the data root, whatever the key holds (`../`,
 * absolute paths, NUL, backslashes, percent signs, 1023 bytes): the key itself never becomes part of a path, only
 * its SHA-256.
 */
import { createHash } from 'node:crypto';
import { join, relative, isAbsolute, sep } from 'node:path';

/** 64 lower-case hex chars naming the sidecar of `key`. */
export function keyFileName(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Relative path of the sidecar of `key` inside a bucket's `meta` directory: two-level fan-out `ab/abcdef….json`. */
export function keyMetaPath(key: string): string {
  const h = keyFileName(key);
  return join(h.slice(0, 2), `${h}.json`);
}

const BLOB_ID = /^[0-9a-f]{32}$/;

/** True for ids produced by the store (32 lower-case hex chars); anything else is refused before touching disk. */
export function isBlobId(id: string): boolean {
  return BLOB_ID.test(id);
}

/** Throws unless `path` lies strictly inside `root` (defence in depth behind the hashing above). */
export function assertInside(root: string, path: string): string {
  const rel = relative(root, path);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
    throw new Error(`refusing path outside the data root: ${path}`);
  }
  return path;
}
