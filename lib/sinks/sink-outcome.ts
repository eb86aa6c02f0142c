/**
 * A sink's outcome as a promise (`sink.done()`): resolved with the result once the object is committed, rejected
 * once the sink's cleanup is over (requests settled, the multipart upload aborted), never before. A caller that never
 * asks for it gets no unhandled rejection: the sink's `'error'` event already reports the failure. And the sink's tie
 * to its client: `bucket.close()` cancels the sinks still running and waits for their cleanup.
 */
import type { Writable } from 'node:stream';
import type { OssContext } from '../api/context.js';
import { OssAbortError } from '../errors.js';

/** What {@link closeWithClient} asks a sink. */
interface SinkState {
  /** The object is stored: the sink is only waited for. */
  committed(): boolean;
  /** The sink took bytes (or was ended): cancelling it is a failure its user must hear of. */
  started(): boolean;
}

/**
 * Registers `sink` with its client until it closes, so that `bucket.close()` aborts it (its cleanup sent over
 * connections that are still open) instead of leaving it to fail on a closed client. A sink that took bytes fails
 * with `reason` (an AbortError); one that took nothing yet is cancelled quietly, as by `destroy()`: nobody is waiting
 * for it, and an 'error' without a listener would crash the process.
 */
export function closeWithClient(ctx: OssContext, sink: Writable, state: SinkState): void {
  const untrack = ctx.track({
    cancel: (reason) =>
      new Promise<void>((resolve) => {
        if (sink.closed) return resolve();
        sink.once('close', () => resolve());
        if (!state.committed()) sink.destroy(state.started() ? reason : undefined);
      }),
  });
  sink.once('close', untrack);
}

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
