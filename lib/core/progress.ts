/**
 * Upload progress as users expect it, for every upload path (one request, a stream sink, a resumable upload):
 * `(consumed, total | null)`, byte-accurate, never going backwards (a retry resends bytes without reporting them
 * twice), and reaching `total` only once the server has committed the object.
 */

/** `consumed` bytes of `total` (`null` while the length is unknown). */
export type ProgressCallback = (consumed: number, total: number | null) => void;

/**
 * Tracks one upload across its requests and their attempts: bytes of stored parts plus bytes of requests in
 * flight as they reach the socket. A single-request upload is one request, number 1.
 */
export class UploadProgress {
  readonly #cb: ProgressCallback | undefined;
  readonly #total: number | null;
  readonly #inFlight = new Map<number, number>();
  #stored: number;
  #reported = -1;

  /**
   * @param cb - the caller's callback (nothing happens without one)
   * @param total - bytes of the whole upload, or `null`
   * @param stored - bytes stored before this run (a resumed upload)
   */
  constructor(cb: ProgressCallback | undefined, total: number | null, stored = 0) {
    this.#cb = cb;
    this.#total = total;
    this.#stored = stored;
  }

  /** Reports the starting point: the bytes an earlier run stored (0 for a fresh upload). */
  begin(): void {
    this.#report(this.#stored);
  }

  /** Request `n` has `sent` bytes on the socket (this attempt: a retry starts again from 0). */
  sent(sent: number, n = 1): void {
    if (this.#cb === undefined) return;
    if (sent <= (this.#inFlight.get(n) ?? 0)) return; // a retry restarting from 0 does not move progress back
    this.#inFlight.set(n, sent);
    this.#report(this.#stored + this.#sumInFlight());
  }

  /** Request `n` stored `size` bytes (a part; the object itself is committed by {@link complete}). */
  partDone(n: number, size: number): void {
    if (this.#cb === undefined) return;
    this.#inFlight.delete(n);
    this.#stored += size;
    this.#report(this.#stored + this.#sumInFlight());
  }

  /** The object is committed with `size` bytes: the one report that reaches the total (known by now). */
  complete(size: number): void {
    if (this.#cb === undefined) return;
    if (size > this.#reported || this.#reported < 0) {
      this.#reported = size;
      this.#cb(size, this.#total ?? size);
    }
  }

  #sumInFlight(): number {
    let s = 0;
    for (const v of this.#inFlight.values()) s += v;
    return s;
  }

  #report(n: number): void {
    if (this.#cb === undefined) return;
    // "All sent" is not "stored": a count that reaches the total waits for complete(), so that every number
    // reported was true when reported.
    if (this.#total !== null && n >= this.#total) return;
    if (n > this.#reported) {
      this.#reported = n;
      this.#cb(n, this.#total);
    }
  }
}
