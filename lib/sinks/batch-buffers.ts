/**
 * The two batch buffers of an appending Writable (the append stream, the log sink): one filling, one on the wire.
 * Writes are copied into the filling one; a full batch, the flush timer, or a flush ships it (in line mode up to its
 * last newline, the partial line moving to the next batch), and the write callback is held while one batch is on the
 * wire and the next is full — the backpressure. The owner sends each batch and keeps the error.
 */

/** What the owner does for its batches. */
interface BatchOwner {
  /** Sends one batch; the buffer is not touched until the promise settles. */
  send(data: Buffer): Promise<void>;
  /** The owner's error, once it failed; no batch is shipped after it. */
  error(): Error | undefined;
  /** Records a send's failure (and destroys the stream). */
  fail(err: unknown): void;
  /** True once the stream is destroyed. */
  destroyed(): boolean;
  /** Calls back a held write after the failure. */
  failWrite(cb: (err?: Error | null) => void): void;
}

/** Two buffers of `cap` bytes and the batch in flight. */
export class BatchBuffers {
  #batch: Buffer;
  /** The buffer of the last batch that landed, reused for the next one: two batch buffers in all. */
  #spare: Buffer | undefined;
  #used = 0;
  #inFlight: Promise<void> | undefined;
  #inFlightBytes = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #cap: number;
  readonly #intervalMs: number;
  readonly #lineMode: boolean;
  readonly #owner: BatchOwner;

  constructor(cap: number, intervalMs: number, lineMode: boolean, owner: BatchOwner) {
    this.#cap = cap;
    this.#intervalMs = intervalMs;
    this.#lineMode = lineMode;
    this.#owner = owner;
    this.#batch = Buffer.allocUnsafeSlow(cap);
  }

  /** Bytes in the filling batch. */
  get used(): number {
    return this.#used;
  }

  /** Bytes held: the filling batch and the one on the wire. */
  get held(): number {
    return this.#used + this.#inFlightBytes;
  }

  /** The batch on the wire, if any (settles when it landed or failed). */
  get inFlight(): Promise<void> | undefined {
    return this.#inFlight;
  }

  /**
   * Log lines are mostly short strings: encodes `chunk` straight into the batch when it surely fits, saving a Buffer
   * each. Returns the bytes written, or -1 when it does not surely fit (the caller then encodes it and calls
   * {@link fill}).
   */
  writeString(chunk: string, encoding: BufferEncoding): number {
    if (this.#owner.error() !== undefined || this.#used + chunk.length * 3 > this.#cap) return -1;
    const n = this.#batch.write(chunk, this.#used, this.#cap - this.#used, encoding ?? 'utf8');
    this.#used += n;
    if (this.#used === this.#cap && this.#inFlight === undefined) this.ship();
    else this.#arm();
    return n;
  }

  /** Copies `bytes[offset..]` into the batch, shipping full batches; the callback is held while two are busy. */
  fill(bytes: Uint8Array, offset: number, cb: (err?: Error | null) => void): void {
    if (this.#owner.error() !== undefined) {
      this.#owner.failWrite(cb);
      return;
    }
    while (offset < bytes.byteLength) {
      if (this.#used === this.#cap) {
        if (this.#inFlight !== undefined) {
          // Two batches at most: wait for the one on the wire.
          this.#inFlight.then(
            () => this.fill(bytes, offset, cb),
            () => this.#owner.failWrite(cb),
          );
          return;
        }
        this.ship();
      }
      const n = Math.min(this.#cap - this.#used, bytes.byteLength - offset);
      this.#batch.set(bytes.subarray(offset, offset + n), this.#used);
      this.#used += n;
      offset += n;
    }
    if (this.#used === this.#cap && this.#inFlight === undefined) this.ship();
    else this.#arm();
    cb();
  }

  #arm(): void {
    if (this.#intervalMs === 0 || this.#timer !== undefined || this.#used === 0 || this.#owner.destroyed()) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      // A batch on the wire re-arms the timer when it lands.
      if (this.#inFlight === undefined) this.ship();
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /** Stops the flush timer. */
  clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Ships everything buffered now, and what is written meanwhile, until nothing is left; rejects with the owner's
   * error (`destroyed`: the error when the stream was destroyed without one).
   */
  async flush(destroyed: () => Error): Promise<void> {
    for (;;) {
      const err = this.#owner.error();
      if (err !== undefined) throw err;
      if (this.#inFlight !== undefined) {
        await this.#inFlight.catch(() => undefined);
        continue;
      }
      if (this.#used === 0) return;
      if (this.#owner.destroyed()) throw destroyed();
      this.ship(true);
    }
  }

  /**
   * Hands the filling batch to the wire; the next batch fills the spare buffer. `all` ships every byte; otherwise, in
   * line mode, the batch ends after its last newline and the partial line after it is copied to the next batch (a
   * full batch without any newline is one over-long line: it ships whole; a partial one waits for its newline).
   * Only when nothing is in flight.
   */
  ship(all = false): void {
    if (this.#used === 0 || this.#owner.error() !== undefined || this.#owner.destroyed()) return;
    let end = this.#used;
    if (this.#lineMode && !all) {
      end = this.#batch.lastIndexOf(0x0a, this.#used - 1) + 1;
      if (end === 0) {
        if (this.#used < this.#cap) return;
        end = this.#used;
      }
    }
    this.clearTimer();
    const buffer = this.#batch;
    const data = buffer.subarray(0, end);
    this.#batch = this.#spare ?? Buffer.allocUnsafeSlow(this.#cap);
    this.#spare = undefined;
    // The partial line is not on the wire, so it can be copied out before the batch is sent.
    this.#used = buffer.copy(this.#batch, 0, end, this.#used);
    this.#inFlightBytes = end;
    this.#inFlight = this.#owner.send(data).then(
      () => {
        this.#inFlight = undefined;
        this.#inFlightBytes = 0;
        this.#spare = buffer;
        // A batch that filled up while this one was on the wire goes at once, not after the timer.
        if (this.#used === this.#cap) this.ship();
        else this.#arm();
      },
      (err: unknown) => {
        this.#inFlight = undefined;
        this.#inFlightBytes = 0;
        this.#owner.fail(err);
        throw this.#owner.error() ?? err;
      },
    );
    this.#inFlight.catch(() => undefined);
  }
}
