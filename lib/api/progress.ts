/**
 * Progress reporting as users expect it: `(consumed, total | null)`, byte-accurate, never going backwards (a retry
 * resends bytes without reporting them twice), and reaching `total` only once the server has answered.
 */

/** `consumed` bytes of `total` (`null` when the length is unknown). */
export type ProgressCallback = (consumed: number, total: number | null) => void;

/** Tracks one upload's progress across attempts. */
export class ProgressTracker {
  readonly #cb: ProgressCallback | undefined;
  readonly #total: number | null;
  readonly #base: number;
  #reported = -1;

  /**
   * @param cb - the caller's callback (nothing happens without one)
   * @param total - bytes of the whole upload, or `null`
   * @param base - bytes already done before this tracker (resumed uploads)
   */
  constructor(cb: ProgressCallback | undefined, total: number | null, base = 0) {
    this.#cb = cb;
    this.#total = total;
    this.#base = base;
  }

  /**
   * Reports `sent` bytes of this request as handed to the socket. A count that reaches `total` is held back until
   * {@link done}: "all sent" is not "stored", and every number reported is one that was true when reported.
   */
  sent(sent: number): void {
    if (this.#cb === undefined) return;
    const n = this.#base + sent;
    if (this.#total !== null && n >= this.#total) return;
    if (n > this.#reported) {
      this.#reported = n;
      this.#cb(n, this.#total);
    }
  }

  /** The server answered: report the final count. */
  done(finalBytes: number): void {
    if (this.#cb === undefined) return;
    const n = this.#base + finalBytes;
    if (n > this.#reported || (n === 0 && this.#reported < 0)) {
      this.#reported = n;
      this.#cb(n, this.#total);
    }
  }
}
