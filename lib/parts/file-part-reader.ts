/**
 * Parts of one file read into pooled, reused buffers with one open handle, each hashed (CRC64) right after it is
 * read. A file part streamed through `fs.createReadStream` lands in a fresh buffer per read, and on these hosts the
 * page faults of first-touched memory cost more than the read itself: 0.7–0.9 s of CPU per GiB, against 0.1 s for
 * `FileHandle.read` into a reused buffer (a 512 MiB file in 8 MiB parts × 4: see `bench/tools/client-cpu.ts`).
 *
 * A part is read whole, at its offset, before its request is opened, so the request body is a buffer: a retry
 * resends the same bytes from memory (the CRC64 computed once holds for every attempt, and a file changed between
 * attempts cannot mix two versions into one part). The buffer goes back to the pool once the request settled,
 * whatever its outcome: a request that failed or was aborted has had its socket destroyed or its answer read, so
 * nothing can still send from it.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { crc64 } from '../core/crc64.js';
import { OssError } from '../errors.js';
import { partBuffers, type BufferPool } from './buffer-pool.js';

/** One part read from the file. */
export interface FilePart {
  /** Exactly the part's bytes: a view on a pooled buffer, valid until {@link FilePartReader.release}. */
  readonly data: Buffer;
  /** CRC64 of {@link data}, decimal string. */
  readonly crc64: string;
}

/** Reads parts of one file; {@link close} once no part is in flight any more. */
export class FilePartReader {
  readonly #file: FileHandle;
  readonly #path: string;
  readonly #bufferSize: number;
  readonly #pool: BufferPool;

  private constructor(file: FileHandle, path: string, bufferSize: number, pool: BufferPool) {
    this.#file = file;
    this.#path = path;
    this.#bufferSize = bufferSize;
    this.#pool = pool;
  }

  /**
   * Opens `path` for reading parts of at most `partSize` bytes. Every part takes a buffer of exactly `partSize`
   * (the last, shorter part a view on one), so all the parts of an upload, and of the uploads that follow it with
   * the same part size, share one size of pooled buffer.
   */
  static async open(path: string, partSize: number, pool: BufferPool = partBuffers): Promise<FilePartReader> {
    return new FilePartReader(await open(path, 'r'), path, partSize, pool);
  }

  /**
   * The `size` bytes at `offset`, read into a pooled buffer and hashed. Rejects with `FileChanged` when the file
   * ends before the range does (it shrank since the upload was planned); the buffer is then back in the pool.
   */
  async read(offset: number, size: number): Promise<FilePart> {
    const buf = this.#pool.take(Math.max(size, this.#bufferSize));
    try {
      // A regular file may hand back fewer bytes than asked before its end: read on until the range is full.
      for (let got = 0; got < size;) {
        const { bytesRead } = await this.#file.read(buf, got, size - got, offset + got);
        if (bytesRead === 0) {
          throw new OssError(
            `${this.#path} ended at byte ${offset + got}, inside the part at ${offset} (${size} bytes): ` +
              'the file changed during the upload',
            { code: 'FileChanged' },
          );
        }
        got += bytesRead;
      }
    } catch (err) {
      this.#pool.give(buf);
      throw err;
    }
    const data = buf.subarray(0, size);
    return { data, crc64: crc64(data) };
  }

  /** Gives a part's buffer back to the pool: nothing may read or send {@link FilePart.data} any more. */
  release(part: FilePart): void {
    this.#pool.give(part.data);
  }

  /** Closes the file handle. */
  async close(): Promise<void> {
    await this.#file.close();
  }
}
