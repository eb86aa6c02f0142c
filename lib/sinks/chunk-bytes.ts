/**
 * What a sink's `_write` accepts: bytes as they are, strings encoded, anything else a clear argument error. The
 * sinks take their writable side in object mode so a wrong chunk reaches this check instead of Node's throw.
 */
import { OssArgumentError } from '../errors.js';

function describe(chunk: unknown): string {
  if (chunk === null) return 'null';
  if (typeof chunk === 'object') return `an object (${chunk.constructor?.name ?? 'Object'})`;
  return `a ${typeof chunk}`;
}

/** `chunk` as bytes, or the error to fail the write with. */
export function chunkBytes(chunk: unknown, encoding: BufferEncoding): Uint8Array | OssArgumentError {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, encoding);
  return new OssArgumentError(
    `upload sinks accept bytes and strings only, got ${describe(chunk)} — is the source in object mode? ` +
      'For stream-chain use chain([...], { readableObjectMode: false, writableObjectMode: false })',
    'chunk',
  );
}
