/**
 * Gzip for appendable objects: each batch becomes one complete gzip member. RFC 1952 lets members follow one
 * another, and `gunzip`, `zcat` and Node's `zlib.gunzip` read them all, so an object built from whole members is a
 * valid gzip file after every append — readers never see half a member.
 */
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';

const gzipAsync = promisify(gzip);

/** One gzip member of `data`, compressed on libuv's thread pool (the event loop keeps serving writes meanwhile). */
export function gzipMember(data: Uint8Array, level: number): Promise<Buffer> {
  return gzipAsync(data, { level });
}

/**
 * The most bytes a gzip member of `n` input bytes can take: deflate's stored-block worst case (5 bytes per 16 KiB
 * block) plus the 18-byte gzip header and trailer, rounded up generously.
 */
export function gzipBound(n: number): number {
  return n + 5 * Math.ceil(n / 16_384) + 64;
}
