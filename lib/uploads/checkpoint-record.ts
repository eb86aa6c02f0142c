/**
 * The checkpoint record of a resumable upload: its on-disk format, how a record read back is checked, and how a
 * record written by an older format version is upgraded. Pure functions, no I/O.
 *
 * Format version 2 (current), one JSON object:
 * ```json
 * { "format": "oss-stream/resumable-upload", "version": 2, "uploadId": "…", "bucket": "b", "key": "k",
 *   "path": "/abs/file", "size": 67108864, "mtimeMs": 1718000000123.456, "partSize": 262144,
 *   "parts": [{ "partNumber": 1, "etag": "\"…\"", "crc64": "1234…", "size": 262144 }] }
 * ```
 * Format version 1 had no per-part CRC64 or size and an integer-millisecond `mtime`:
 * `{ "format", "version": 1, "uploadId", "bucket", "key", "path", "size", "mtime", "partSize",
 *   "parts": [{ "partNumber", "etag" }] }`.
 * It is still read: its parts come back without a CRC64, and the upload verifies them against ListParts and the
 * file before trusting them. Records are always written in the current version.
 *
 * No credential, signature or header value is ever part of a record.
 */
import { crc64Equal } from '../core/crc64.js';
import { partCount } from '../parts/part-size.js';

/** The `format` tag every record carries. */
export const CHECKPOINT_FORMAT = 'oss-stream/resumable-upload';
/** The version written by this library. */
export const CHECKPOINT_VERSION = 2;

/** A part the record says is stored. */
export interface CheckpointPart {
  partNumber: number;
  /** ETag as OSS returned it (quoted). */
  etag: string;
  /**
   * CRC64 (decimal) of the part as the client computed it while sending. `undefined` only in a record upgraded from
   * format version 1; such a part is re-verified before it counts.
   */
  crc64: string | undefined;
  /** Bytes in the part. */
  size: number;
}

/** One resumable upload of one file to one object. */
export interface CheckpointRecord {
  uploadId: string;
  bucket: string;
  key: string;
  /** Absolute path of the source file. */
  path: string;
  /** File size when the upload started. */
  size: number;
  /** File modification time (ms, `fs.Stats.mtimeMs`) when the upload started. */
  mtimeMs: number;
  /** Part size of this upload; on resume it wins over the caller's (the parts already stored have this size). */
  partSize: number;
  /** Parts stored, ascending. */
  parts: CheckpointPart[];
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isCount = (v: unknown, min: number): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
const isCrc = (v: unknown): v is string => typeof v === 'string' && /^\d{1,20}$/.test(v) && crc64Equal(v, v);

/** Size of part `n` of a `size`-byte file cut in `partSize` parts. */
export function expectedPartSize(size: number, partSize: number, n: number): number {
  return Math.min(partSize, size - (n - 1) * partSize);
}

/** The JSON text of `record` in the current format. Throws on a part without a CRC64 (a bug, never user data). */
export function serializeCheckpoint(record: CheckpointRecord): string {
  const parts = [...record.parts]
    .sort((a, b) => a.partNumber - b.partNumber)
    .map((p) => {
      if (p.crc64 === undefined)
        throw new Error(`checkpoint part ${p.partNumber} has no CRC64; verify it before saving`);
      return { partNumber: p.partNumber, etag: p.etag, crc64: p.crc64, size: p.size };
    });
  return JSON.stringify({
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    uploadId: record.uploadId,
    bucket: record.bucket,
    key: record.key,
    path: record.path,
    size: record.size,
    mtimeMs: record.mtimeMs,
    partSize: record.partSize,
    parts,
  });
}

/**
 * Reads a record written by any known format version. Returns `undefined` for anything that is not a complete,
 * self-consistent record (truncated or corrupt JSON, missing or mistyped fields, a part number out of range or
 * listed twice, a part size that does not fit the part grid, an unknown version): the caller discards it.
 */
export function parseCheckpoint(text: string): CheckpointRecord | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(raw) || raw['format'] !== CHECKPOINT_FORMAT) return undefined;
  const version = raw['version'];
  const mtime = version === 1 ? raw['mtime'] : version === CHECKPOINT_VERSION ? raw['mtimeMs'] : undefined;
  const { uploadId, bucket, key, path, size, partSize, parts } = raw;
  if (!isText(uploadId) || !isText(bucket) || !isText(key) || !isText(path)) return undefined;
  if (!isCount(size, 0) || !isCount(partSize, 1) || !Array.isArray(parts)) return undefined;
  if (typeof mtime !== 'number' || !Number.isFinite(mtime) || (version === 1 && !Number.isSafeInteger(mtime)))
    return undefined;
  const count = partCount(size, partSize);
  const seen = new Set<number>();
  const out: CheckpointPart[] = [];
  for (const p of parts) {
    if (!isObject(p) || !isCount(p['partNumber'], 1) || p['partNumber'] > count || !isText(p['etag'])) return undefined;
    const n = p['partNumber'];
    if (seen.has(n)) return undefined;
    seen.add(n);
    const expected = expectedPartSize(size, partSize, n);
    if (version === 1) {
      // v1 kept neither CRC64 nor size: the size follows from the part grid, the CRC64 is re-verified on resume.
      out.push({ partNumber: n, etag: p['etag'], crc64: undefined, size: expected });
      continue;
    }
    if (!isCrc(p['crc64']) || p['size'] !== expected) return undefined;
    out.push({ partNumber: n, etag: p['etag'], crc64: p['crc64'], size: expected });
  }
  out.sort((a, b) => a.partNumber - b.partNumber);
  return { uploadId, bucket, key, path, size, mtimeMs: mtime, partSize, parts: out };
}

/**
 * True when the file still looks like the one the record was started from (same size, same modification time).
 * A version-1 record kept whole milliseconds, so it is compared at that precision.
 */
export function fileUnchanged(record: CheckpointRecord, stats: { size: number; mtimeMs: number }): boolean {
  if (record.size !== stats.size) return false;
  return (
    record.mtimeMs === stats.mtimeMs ||
    (Number.isInteger(record.mtimeMs) && record.mtimeMs === Math.trunc(stats.mtimeMs))
  );
}
