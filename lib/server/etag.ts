/**
 * ETags as OSS forms them: upper-case hex MD5 for PutObject and parts, `<HEX>-<n>` for multipart objects (the MD5
 * of the concatenated binary part MD5s), and for appendable objects a value derived from the content's CRC-64
 * and length (OSS's appendable ETag is not a content MD5 either; this one changes whenever the content does).
 */
import { createHash } from 'node:crypto';

/** Upper-case hex of an MD5 digest. */
export function md5Etag(md5: Buffer): string {
  return md5.toString('hex').toUpperCase();
}

/**
 * ETag of a received body: its MD5, or, when the server's benchmark mode skipped MD5, the same CRC-64-derived form
 * as an appendable object's.
 */
export function bodyEtag(digest: { md5: Buffer | undefined; crc64: string; size: number }): string {
  return digest.md5 === undefined ? appendableEtag(digest.crc64, digest.size) : md5Etag(digest.md5);
}

/** `<HEX>-<n>` from the parts' upper-case hex MD5s, in part order. */
export function multipartEtag(partMd5Hex: readonly string[]): string {
  const h = createHash('md5');
  for (const hex of partMd5Hex) h.update(Buffer.from(hex, 'hex'));
  return `${h.digest('hex').toUpperCase()}-${partMd5Hex.length}`;
}

/** ETag of an appendable object with CRC-64 `crc64` and `size` bytes. */
export function appendableEtag(crc64: string, size: number): string {
  return createHash('md5').update(`${crc64}:${size}`).digest('hex').toUpperCase();
}

/** An ETag as sent by a client (quoted or not, any case) in the stored form: no quotes, upper-case. */
export function normalizeEtag(etag: string): string {
  return etag
    .trim()
    .replace(/^"|"$/g, '')
    .replace(/^&quot;|&quot;$/g, '')
    .toUpperCase();
}
