/**
 * Part buffers kept between uploads. The first write to a freshly allocated buffer faults its pages in: an 8 MiB
 * part buffer costs 2,048 page faults, and a 256 MiB upload in 32 MiB parts × 8 spent 40 % of its client CPU on
 * them (measured: 49k faults, ~180 ms of system time). A sink takes its buffers here and gives them back when it is
 * done, so uploads that follow one another in a process reuse warm memory.
 *
 * What it may hold is bounded twice: never more than {@link BufferPool.maxIdleBytes} idle, and nothing once
 * {@link BufferPool.idleMs} pass without a take or a give (the timer does not keep the process alive). A buffer
 * is only given back once no request can still read it; the next user overwrites what it sends, and sends only
 * what it wrote.
 */

import { PART_BUFFER_POOL } from '../config.js';
import { allocatePartBuffer } from './page-allocator.js';

/** Limits of a {@link BufferPool}. */
interface BufferPoolOptions {
  /** Most bytes kept idle; a buffer given beyond that is left to the garbage collector. */
  maxIdleBytes: number;
  /** Idle buffers are dropped after this many milliseconds without any take or give. */
  idleMs: number;
}

/** A pool of whole buffers from {@link allocatePartBuffer} (huge pages where possible), by exact size. */
export class BufferPool {
  readonly maxIdleBytes: number;
  readonly idleMs: number;
  readonly #idle = new Map<number, Buffer[]>();
  #idleBytes = 0;
  #lent = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: BufferPoolOptions) {
    this.maxIdleBytes = opts.maxIdleBytes;
    this.idleMs = opts.idleMs;
  }

  /** Bytes held idle right now. */
  get idleBytes(): number {
    return this.#idleBytes;
  }

  /**
   * Buffers handed out by {@link take} and not given back yet (a buffer given that was never taken counts as one
   * given back): an upload that returns every buffer leaves it where it found it.
   */
  get lent(): number {
    return this.#lent;
  }

  /** A buffer of exactly `size` bytes (contents unspecified): an idle one if there is one, else a fresh one. */
  take(size: number): Buffer {
    this.#lent++;
    const reused = this.#idle.get(size)?.pop();
    if (reused === undefined) return allocatePartBuffer(size);
    this.#idleBytes -= size;
    this.#touch();
    return reused;
  }

  /**
   * Gives back a buffer from {@link take} that nothing reads or writes any more (any view of it: the whole
   * underlying memory is kept). Beyond the idle limit it is simply dropped.
   */
  give(buf: Uint8Array): void {
    this.#lent--;
    const whole = Buffer.from(buf.buffer, 0, buf.buffer.byteLength);
    if (whole.length === 0 || this.#idleBytes + whole.length > this.maxIdleBytes) return;
    let list = this.#idle.get(whole.length);
    if (list === undefined) this.#idle.set(whole.length, (list = []));
    list.push(whole);
    this.#idleBytes += whole.length;
    this.#touch();
  }

  /** Drops every idle buffer. */
  clear(): void {
    this.#idle.clear();
    this.#idleBytes = 0;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #touch(): void {
    if (this.#idleBytes === 0) {
      this.clear();
      return;
    }
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.clear(), this.idleMs);
      this.#timer.unref();
    } else {
      this.#timer.refresh();
    }
  }
}

/** The process-wide pool of part buffers: 256 MiB idle at most, dropped 30 s after the last upload used it. */
export const partBuffers = new BufferPool(PART_BUFFER_POOL);

/**
 * Drops the part buffers kept for the next upload now, instead of 30 s after the last upload used them: for a
 * process that is done uploading for a while and wants that memory back at once (up to 256 MiB after uploads with
 * `concurrency: 'auto'`). Uploads still running keep their buffers; the next upload allocates fresh ones.
 *
 * @example
 * ```ts
 * await pipeline(createReadStream('db.sql'), createUploadStream(bucket, 'backups/db.sql'));
 * releasePartBuffers(); // the nightly backup is done: give the memory back now
 * ```
 */
export function releasePartBuffers(): void {
  partBuffers.clear();
}
