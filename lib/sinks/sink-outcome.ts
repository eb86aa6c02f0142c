/**
 * A sink's outcome as a promise (`sink.done()`): resolved with the result once the object is committed, rejected
 * once the sink's cleanup is over (requests settled, the multipart upload aborted), never before. A caller that never
 * asks for it gets no unhandled rejection: the sink's `'error'` event already reports the failure.
 */
import type { Writable } from 'node:stream';
import { OssAbortError } from '../errors.js';

export class SinkOutcome<T> {
  readonly promise: Promise<T>;
  #resolve!: (value: T) => void;
  #reject!: (err: Error) => void;
  #settled = false;

  /** @param sink - resolves on its `'finish'` with `result()` (set before `'finish'` by every sink) */
  constructor(sink: Writable, result: () => T | undefined) {
    this.promise = new Promise<T>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // The stream's 'error' event is the primary report; this promise is an opt-in view of the same outcome.
    this.promise.catch(() => undefined);
    sink.once('finish', () => {
      const r = result();
      if (r !== undefined) this.#settle(() => this.#resolve(r));
    });
  }

  /**
   * Call at the end of `_destroy`, after cleanup: rejects with `err`, or, for `destroy()` without an error (no
   * `'error'` event, by Node's convention), with an AbortError that says the upload was cancelled. No effect once
   * the sink finished.
   */
  failed(err: Error | null | undefined, cancelled: string): void {
    this.#settle(() => this.#reject(err ?? new OssAbortError(cancelled)));
  }

  #settle(fn: () => void): void {
    if (this.#settled) return;
    this.#settled = true;
    fn();
  }
}
