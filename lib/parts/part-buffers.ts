/**
 * The part buffers of one upload: a stored part's buffer is kept for the next part (up to one per part in flight
 * plus the one being filled), so memory is bounded by construction, not by when the GC gets round to freeing
 * external memory (which let 512 MiB streams peak ~25% above the window). What the upload no longer needs goes to
 * the process-wide {@link partBuffers} pool, for the next upload.
 */
import { partBuffers, type BufferPool } from './buffer-pool.js';

export class PartBuffers {
  readonly #free: Buffer[] = [];
  readonly #keep: number;
  readonly #pool: BufferPool;

  /**
   * @param keep - most spare buffers kept for this upload (parts in flight + 1)
   * @param pool - where the rest go (default: the process-wide pool)
   */
  constructor(keep: number, pool: BufferPool = partBuffers) {
    this.#keep = keep;
    this.#pool = pool;
  }

  /** A buffer of exactly `size` bytes for the next part (contents unspecified). */
  allocate(size: number): Buffer {
    const b = this.#free.pop();
    if (b === undefined) return this.#pool.take(size);
    if (b.length === size) return b;
    this.#pool.give(b);
    return this.#pool.take(size);
  }

  /** A stored part's buffer (nothing reads it any more): kept for the next part, or handed to the pool. */
  release(data: Buffer): void {
    // An empty part before any byte took no buffer (the cutter hands out `Buffer.alloc(0)`): nothing to give back.
    if (data.buffer.byteLength === 0) return;
    // Part buffers own their whole ArrayBuffer, so the full buffer is recoverable from any view of it.
    if (this.#free.length < this.#keep) this.#free.push(Buffer.from(data.buffer, 0, data.buffer.byteLength));
    else this.#pool.give(data);
  }

  /** Once no part is in flight: the spare buffers go to the pool, for the next upload in this process. */
  returnAll(): void {
    for (const b of this.#free.splice(0)) this.#pool.give(b);
  }
}
