/**
 * Random ids for requests and blobs, hex, from a pooled random buffer: one `randomFillSync` per 4 KiB instead of a
 * system call per id, which was 5 % of the server's time on small puts.
 */
import { randomFillSync } from 'node:crypto';

const POOL = Buffer.allocUnsafe(4096);
let used = POOL.length;

/** `bytes` random bytes as lower-case hex (`bytes` ≤ 4096). */
export function randomHex(bytes: number): string {
  if (used + bytes > POOL.length) {
    randomFillSync(POOL);
    used = 0;
  }
  const out = POOL.toString('hex', used, used + bytes);
  used += bytes;
  return out;
}
