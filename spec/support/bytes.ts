/**
 * Spec data and checks that need no server: deterministic bytes, chunkings, digests computed independently of
 * lib/, and small promise and callback recorders.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';

/**
 * Deterministic bytes that differ per `seed`. Not periodic over 256 bytes (the `i >> 8` term), so parts or chunks
 * stored at the wrong offset do not compare equal by accident.
 */
export function pattern(n: number, seed = 0): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return b;
}

/** Deterministic pseudo-random bytes (xorshift32 from `seed`), so failures reproduce; no structure to hide behind. */
export function noise(length: number, seed = 0x2545f491): Buffer {
  const out = Buffer.allocUnsafeSlow(length);
  let s = seed | 0;
  for (let i = 0; i < length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s & 0xff;
  }
  return out;
}

/** `data` cut into chunks of the given sizes (cycling; a size below 1 counts as 1), as views. */
export function chunked(data: Buffer, sizes: readonly number[] = [1, 7, 4093, 65_536, 100_003]): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0, i = 0; off < data.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length]!);
    out.push(data.subarray(off, off + n));
    off += n;
  }
  return out;
}

/** Reads a stream to the end. */
export async function readAll(stream: Readable | AsyncIterable<Uint8Array | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream)
    chunks.push(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c.buffer, c.byteOffset, c.byteLength));
  return Buffer.concat(chunks);
}

/** The rejection of `p`; fails the test when `p` resolves. */
export async function rejection(p: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await p;
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error('expected a rejection, the call succeeded');
}

/** Quoted upper-case hex MD5: the ETag of a PutObject/UploadPart of `data`. */
export function md5Etag(data: Uint8Array | string): string {
  return `"${createHash('md5').update(data).digest('hex').toUpperCase()}"`;
}

/** Base64 MD5 (Content-MD5). */
export function md5b64(data: Buffer | string): string {
  return createHash('md5').update(data).digest('base64');
}

// An independent CRC-64 (the crc64-ecma182 native addon), so specs do not grade our CRC with our own code.
const crcLib = createRequire(import.meta.url)('crc64-ecma182') as {
  crc64(data: Buffer): Buffer;
  toUInt64String(crc: Buffer): string;
};

/** CRC-64/XZ of `data` as OSS's decimal string, by an independent implementation. */
export function oracleCrc(data: Buffer | string): string {
  return crcLib.toUInt64String(crcLib.crc64(Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8')));
}

/** A progress callback that records every call. */
export function recorder(): { calls: Array<[number, number | null]>; cb: (n: number, total: number | null) => void } {
  const calls: Array<[number, number | null]> = [];
  return { calls, cb: (n, total) => void calls.push([n, total]) };
}
