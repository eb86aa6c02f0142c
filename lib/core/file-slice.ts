/**
 * A byte range of a file that can be read again and again: the unit of retry for file uploads (oss2's
 * `SizedFileAdapter`, made re-readable).
 */
import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { OssArgumentError } from '../errors.js';

/**
 * `size` bytes of a file starting at `offset`. Each {@link FileSlice.stream} call opens a fresh reader of exactly
 * that range, so a failed request can be retried with the same bytes.
 *
 * @example
 * ```ts
 * const size = (await stat('big.bin')).size;
 * const partSize = determinePartSize(size, 1024 * 1024);
 * for (let n = 1, off = 0; off < size; n++, off += partSize)
 *   await bucket.uploadPart(key, uploadId, n, new FileSlice('big.bin', off, Math.min(partSize, size - off)));
 * ```
 */
export class FileSlice {
  /** The file path, or the open handle (not closed by us). */
  readonly file: string | FileHandle;
  readonly offset: number;
  readonly size: number;

  constructor(file: string | FileHandle, offset: number, size: number) {
    if (
      typeof file !== 'string' &&
      (file === null || typeof file !== 'object' || typeof (file as FileHandle).fd !== 'number')
    ) {
      throw new OssArgumentError('FileSlice needs a file path or an open FileHandle', 'file');
    }
    if (typeof file === 'string' && file.length === 0)
      throw new OssArgumentError('FileSlice file path is empty', 'file');
    if (!Number.isSafeInteger(offset) || offset < 0)
      throw new OssArgumentError(`FileSlice offset must be a non-negative integer, got ${offset}`, 'offset');
    if (!Number.isSafeInteger(size) || size < 0)
      throw new OssArgumentError(`FileSlice size must be a non-negative integer, got ${size}`, 'size');
    this.file = file;
    this.offset = offset;
    this.size = size;
  }

  /** The file's path, when the slice was made from one. */
  get path(): string | undefined {
    return typeof this.file === 'string' ? this.file : undefined;
  }

  /** A new reader of exactly this range (1 MiB reads). An empty slice yields an empty stream. */
  stream(highWaterMark = 1024 * 1024): Readable {
    // fs streams take an inclusive `end`, so an empty range cannot be expressed: hand out an empty stream instead
    if (this.size === 0) return Readable.from([]);
    const range = { start: this.offset, end: this.offset + this.size - 1 };
    if (typeof this.file === 'string') return createReadStream(this.file, { ...range, highWaterMark });
    return this.file.createReadStream({ ...range, highWaterMark, autoClose: false });
  }
}
