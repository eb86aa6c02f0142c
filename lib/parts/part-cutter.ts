/**
 * The cutter: copies a byte stream into part buffers of its own and hashes each part (CRC64) in the
 * same pass, while the bytes are hot in cache. It never retains the caller's chunks: a tiny chunk that is a view on
 * Node's 8 KiB pool slab is copied, not kept, so it cannot pin the slab.
 *
 * Lookahead: a full part is only handed out ({@link PartCutter.take}) once at least one more byte has arrived, so
 * when the stream ends the last part is always the one still held, and a stream of exactly one part is known to be
 * one part (a single PutObject, never a 1-part multipart upload).
 *
 * Part numbers are assigned here, in one statement, and travel with the part.
 */
import { Crc64 } from '../core/crc64.js';

/** One part of an object, cut from the stream. */
export interface Part {
  /** 1-based part number, assigned by the cutter only. */
  readonly partNumber: number;
  /** Exactly the part's bytes (a view on the part's own buffer). */
  readonly data: Buffer;
  /** Byte offset of the part in the object. */
  readonly offset: number;
  /** CRC64 of the part, decimal string. */
  readonly crc64: string;
}

/** Options of a {@link PartCutter}. */
interface PartCutterOptions {
  /** Size of part `partNumber`'s buffer (a constant, or a growing schedule for unknown lengths). */
  partSize: (partNumber: number) => number;
  /** First part number (a resumed stream continues after the parts already uploaded). */
  firstPartNumber?: number;
  /** Offset of the first byte in the object (resumed streams). */
  firstOffset?: number;
  /** Buffer allocator; default `Buffer.allocUnsafeSlow` (never from the shared pool). */
  allocate?: (size: number) => Buffer;
}

/** Cuts a byte stream into parts. Not a stream itself: the sink drives it and decides when to {@link take}. */
export class PartCutter {
  readonly #partSize: (partNumber: number) => number;
  readonly #allocate: (size: number) => Buffer;
  #nextPartNumber: number;
  #offset: number;
  #buf: Buffer | undefined;
  #used = 0;
  readonly #crc = new Crc64();
  #bytes = 0;

  constructor(opts: PartCutterOptions) {
    this.#partSize = opts.partSize;
    this.#allocate = opts.allocate ?? Buffer.allocUnsafeSlow;
    this.#nextPartNumber = opts.firstPartNumber ?? 1;
    this.#offset = opts.firstOffset ?? 0;
  }

  /** Bytes accepted so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** True when the current part is full: take it (after the next byte arrives) before filling more. */
  get full(): boolean {
    return this.#buf !== undefined && this.#used === this.#buf.length;
  }

  /** Bytes held in the current part. */
  get buffered(): number {
    return this.#used;
  }

  /** Number the next part will get. */
  get nextPartNumber(): number {
    return this.#nextPartNumber;
  }

  /**
   * Copies bytes of `chunk` from `start` into the current part until the chunk or the part runs out, allocating the
   * part's buffer on first need. Returns the offset in `chunk` where it stopped. Call {@link take} when
   * {@link full} and bytes remain.
   */
  fill(chunk: Uint8Array, start = 0): number {
    if (start >= chunk.length) return start;
    let buf = this.#buf;
    if (buf === undefined) {
      buf = this.#buf = this.#allocate(this.#partSize(this.#nextPartNumber));
      this.#used = 0;
    }
    const n = Math.min(buf.length - this.#used, chunk.length - start);
    if (n === 0) return start;
    // copied and hashed in one pass over the bytes (the native kernel), or hashed from our copy while in cache
    this.#crc.copy(chunk, buf, this.#used, start, start + n);
    this.#used += n;
    this.#bytes += n;
    return start + n;
  }

  /** Hands out the current part (full, or the last one) and starts a new one on the next {@link fill}. */
  take(): Part {
    const data =
      this.#buf === undefined
        ? Buffer.alloc(0)
        : this.#used === this.#buf.length
          ? this.#buf
          : this.#buf.subarray(0, this.#used);
    const part: Part = { partNumber: this.#nextPartNumber++, data, offset: this.#offset, crc64: this.#crc.digest() };
    this.#offset += data.length;
    this.#buf = undefined;
    this.#used = 0;
    this.#crc.reset();
    return part;
  }
}
