/**
 * Reconciles a checkpoint record with what the server lists (ListParts): which parts can be kept, and which must
 * be sent (again). The server is the truth about what is stored; the record (or the file) is the truth about what
 * should be stored.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { ListedPart } from '../api/list-parts.js';
import { Crc64, crc64Equal } from '../core/crc64.js';
import { partCount } from '../parts/part-size.js';
import { expectedPartSize, type CheckpointPart, type CheckpointRecord } from '../uploads/checkpoint-record.js';

/** Part `partNumber` covers `size` bytes of the file from `offset`. */
export interface PartRange {
  partNumber: number;
  offset: number;
  size: number;
}

/** The outcome of {@link reconcileParts}. */
interface Reconciled {
  /** Parts stored and verified, each with its CRC64 and size, ascending. */
  done: CheckpointPart[];
  /** Parts to send, ascending. */
  todo: PartRange[];
  /** Parts kept only after hashing their file range (not in the record, or recorded without a CRC64). */
  verified: number;
}

/** Every part of a `size`-byte file cut in `partSize` parts (oss2's `_split_to_parts`). */
export function partRanges(size: number, partSize: number): PartRange[] {
  const out: PartRange[] = [];
  const count = partCount(size, partSize);
  for (let n = 1; n <= count; n++)
    out.push({ partNumber: n, offset: (n - 1) * partSize, size: expectedPartSize(size, partSize, n) });
  return out;
}

/** ETags compare without quotes and case (OSS sends `"HEX"`, XML listings may differ in quoting). */
function sameEtag(a: string, b: string): boolean {
  const norm = (s: string) => s.trim().replace(/^"|"$/g, '').toUpperCase();
  return norm(a) === norm(b);
}

/** CRC64 and MD5 of `size` bytes of `path` from `offset`. */
export async function hashFileRange(
  path: string,
  offset: number,
  size: number,
  signal?: AbortSignal,
): Promise<{ crc64: string; md5: string }> {
  const crc = new Crc64();
  const md5 = createHash('md5');
  if (size > 0) {
    const stream = createReadStream(path, {
      start: offset,
      end: offset + size - 1,
      highWaterMark: 1024 * 1024,
      signal,
    });
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      crc.update(chunk);
      md5.update(chunk);
    }
  }
  // A file that shrank yields fewer bytes: the CRC would then describe another range, so it must not match.
  if (crc.length !== size) return { crc64: '', md5: '' };
  return { crc64: crc.digest(), md5: md5.digest('hex') };
}

/**
 * Which parts of `record` are really stored, given the server's listing.
 *
 * - Recorded and listed with the same ETag and size (and the same CRC64, when the listing has one): kept.
 * - Recorded but not listed, or listed with another ETag or size: sent again (the server lost it, or someone
 *   replaced it).
 * - Listed but not recorded (the process died after the part was stored, before the record was saved), or
 *   recorded without a CRC64 (a version-1 record): the file range is hashed and the part is kept only when its
 *   CRC64 equals the listed `HashCrc64ecma` (or, with no CRC listed, its MD5 equals the part's ETag, which is how
 *   OSS forms part ETags). So a kill costs at most the parts that were still on the wire.
 * - Everything else: sent.
 */
export async function reconcileParts(
  record: CheckpointRecord,
  listed: readonly ListedPart[],
  signal?: AbortSignal,
): Promise<Reconciled> {
  const recorded = new Map(record.parts.map((p) => [p.partNumber, p]));
  const onServer = new Map(listed.map((p) => [p.partNumber, p]));
  const done: CheckpointPart[] = [];
  const todo: PartRange[] = [];
  let verified = 0;
  for (const range of partRanges(record.size, record.partSize)) {
    const n = range.partNumber;
    const rec = recorded.get(n);
    const lst = onServer.get(n);
    if (lst === undefined || lst.size !== range.size) {
      todo.push(range);
      continue;
    }
    const listedCrc = lst.hashCrc64ecma;
    if (rec !== undefined && !sameEtag(rec.etag, lst.etag)) {
      todo.push(range);
      continue;
    }
    if (rec?.crc64 !== undefined) {
      if (listedCrc !== undefined && !crc64Equal(rec.crc64, listedCrc)) todo.push(range);
      else done.push(rec);
      continue;
    }
    const local = await hashFileRange(record.path, range.offset, range.size, signal);
    const ok =
      local.crc64 !== '' &&
      (listedCrc !== undefined ? crc64Equal(local.crc64, listedCrc) : sameEtag(local.md5, lst.etag));
    if (ok) {
      done.push({ partNumber: n, etag: lst.etag, crc64: local.crc64, size: range.size });
      verified++;
    } else {
      todo.push(range);
    }
  }
  return { done, todo, verified };
}
