/**
 * The concurrency window: at most `limit` tasks in flight, one AbortSignal reaching all of them, and orderly
 * failure (the first error wins, the rest are cancelled, and {@link Window.settled} waits for every task to end, so
 * nothing is still writing when the caller cleans up).
 *
 * Backpressure is built on {@link Window.whenSlot}: a sink holds its write callback until a slot frees.
 */
import { setMaxListeners } from 'node:events';
import { OssAbortError } from '../errors.js';

export class Window {
  #limit: number;
  readonly #controller = new AbortController();
  #inFlight = 0;
  #error: unknown = undefined;
  #failed = false;
  #slotWaiters: (() => void)[] = [];
  #idleWaiters: (() => void)[] = [];
  #detach: (() => void) | undefined;

  /**
   * @param limit - tasks in flight at most (≥ 1)
   * @param parent - an outer signal (the caller's `signal`): aborting it cancels every task
   */
  constructor(limit: number, parent?: AbortSignal) {
    this.#limit = limit;
    // Every task listens to this one signal (a request each, its retry wait): an auto window of 31 parts is no leak.
    setMaxListeners(0, this.#controller.signal);
    if (parent !== undefined) {
      // Callers branch on our AbortError (name 'AbortError', code 'AbortError'), with the signal's reason as cause.
      const onAbort = () => this.fail(new OssAbortError('The upload was aborted', parent.reason));
      if (parent.aborted) onAbort();
      else {
        parent.addEventListener('abort', onAbort, { once: true });
        this.#detach = () => parent.removeEventListener('abort', onAbort);
      }
    }
  }

  /**
   * Stops listening to the parent signal. Call it when the work is over: a long-lived signal shared by many uploads
   * would otherwise keep one listener (and this window) per upload.
   */
  dispose(): void {
    this.#detach?.();
    this.#detach = undefined;
  }

  /** Aborted once the window failed; pass it to every request. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Tasks allowed in flight. */
  get limit(): number {
    return this.#limit;
  }

  /**
   * Changes the limit while tasks run (`concurrency: 'auto'`). Raising it wakes waiters for the new slots at once;
   * lowering it never cancels a task: the window drains to the new limit as tasks end.
   */
  set limit(n: number) {
    this.#limit = Math.max(1, Math.floor(n));
    this.#wakeSlots();
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** True when a new task would exceed the limit. */
  get isFull(): boolean {
    return this.#inFlight >= this.#limit;
  }

  /** True once a task failed or {@link fail} was called. */
  get failed(): boolean {
    return this.#failed;
  }

  /** The first error (the cause to report). */
  get error(): unknown {
    return this.#error;
  }

  /**
   * Starts `task` now. The caller checks {@link isFull} first; running over the limit is a bug and throws.
   * A failing task fails the window (first error wins) and aborts the others.
   */
  run(task: (signal: AbortSignal) => Promise<void>): void {
    if (this.#inFlight >= this.#limit) throw new Error('Window.run over the limit');
    this.#inFlight++;
    let p: Promise<void>;
    try {
      p = task(this.#controller.signal);
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(
      () => this.#done(),
      (err: unknown) => {
        this.fail(err);
        this.#done();
      },
    );
  }

  /** Calls `fn` once a slot is free (now, if one is) or the window failed. */
  whenSlot(fn: () => void): void {
    if (!this.isFull || this.#failed) fn();
    else this.#slotWaiters.push(fn);
  }

  /** Records the first error and aborts every task in flight. Later calls keep the first error. */
  fail(err: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#error = err;
    this.#controller.abort(err);
    this.#wakeSlots();
  }

  /** Resolves when no task is in flight (whether they succeeded or not). */
  settled(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #done(): void {
    this.#inFlight--;
    this.#wakeSlots();
    if (this.#inFlight === 0) {
      const idle = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const fn of idle) fn();
    }
  }

  #wakeSlots(): void {
    while (this.#slotWaiters.length > 0 && (!this.isFull || this.#failed)) this.#slotWaiters.shift()!();
  }
}
