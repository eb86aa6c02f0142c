/**
 * Bucket-name and object-key rules as the service enforces them (InvalidBucketName, InvalidObjectName). The
 * bucket-name syntax itself is the client's too, defined once in lib/core/validate.ts.
 */
import { isValidBucketName } from '../core/validate.js';
import { ServerError } from './server-error.js';

/** Throws 400 InvalidBucketName unless `name` is valid. */
export function checkBucketName(name: string): void {
  if (!isValidBucketName(name))
    throw new ServerError(400, 'InvalidBucketName', 'The specified bucket is not valid.', { BucketName: name });
}

/** Throws 400 InvalidObjectName for keys OSS refuses: empty, over `maxKeyBytes` UTF-8 bytes, leading `/` or `\`. */
export function checkObjectKey(key: string, maxKeyBytes: number): void {
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes === 0 || bytes > maxKeyBytes) {
    throw new ServerError(
      400,
      'InvalidObjectName',
      `The length of the object name must be 1 to ${maxKeyBytes} bytes, got ${bytes}.`,
    );
  }
  if (key.startsWith('/') || key.startsWith('\\')) {
    throw new ServerError(400, 'InvalidObjectName', 'The object name must not start with "/" or "\\".');
  }
}

/** Orders keys by UTF-8 bytes, as OSS lists them (plain `<` orders by UTF-16 units, which differs above U+FFFF). */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate unit stands for a code point above U+FFFF, so it sorts after every BMP unit (U+E000..FFFF too).
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}
