/**
 * Progress of a whole sink: bytes of finished parts plus bytes of parts in flight as they reach the socket. A
 * retried part does not count twice, and `total` is reported only once the object is committed.
 */
import type { ProgressCallback } from '../api/progress.js';

export class SinkProgress {
  readonly #cb: ProgressCallback | undefined;
  readonly #total: number | null;
  readonly #inFlight = new Map<number, number>();
  #doneBytes = 0;
  #reported = -1;

  constructor(cb: ProgressCallback | undefined, total: number | null, base = 0) {
    this.#cb = cb;
    this.#total = total;
    this.#doneBytes = base;
  }

  /** The sink accepted bytes from its source (nothing sent yet): no report. */
  accepted(_bytes: number): void {}

  /** Part `n` has `sent` bytes on the socket (this attempt). */
  partSent(n: number, sent: number): void {
    if (this.#cb === undefined) return;
    const prev = this.#inFlight.get(n) ?? 0;
    if (sent <= prev) return; // a retry restarting from 0 does not move progress back
    this.#inFlight.set(n, sent);
    this.#report(this.#doneBytes + this.#sumInFlight());
  }

  /** Part `n` is stored with `size` bytes. */
  partDone(n: number, size: number): void {
    this.#inFlight.delete(n);
    this.#doneBytes += size;
    this.#report(this.#doneBytes + this.#sumInFlight());
  }

  /** The object is committed with `total` bytes. */
  complete(total: number): void {
    if (this.#cb === undefined) return;
    if (total > this.#reported || this.#reported < 0) {
      this.#reported = total;
      this.#cb(total, this.#total ?? total);
    }
  }

  #sumInFlight(): number {
    let s = 0;
    for (const v of this.#inFlight.values()) s += v;
    return s;
  }

  #report(n: number): void {
    if (this.#cb === undefined) return;
    // Never claim the end before the commit: the last byte is reported by complete().
    if (this.#total !== null && n >= this.#total) n = this.#total - 1;
    if (n > this.#reported) {
      this.#reported = n;
      this.#cb(n, this.#total);
    }
  }
}
