/**
 * `concurrency: 'auto'`: how many parts to keep in flight, found while uploading. Real links cap each connection
 * (TCP window ÷ round trip, per-connection shaping) and the host as a whole; the right number of parts in flight is
 * the one that fills the host's cap, and it is different on every link.
 *
 * The signal is the time a part spends in flight, per byte. While the link has room, one more part in flight does
 * not slow the others: the cost per byte stays at its floor (the best seen), and the window doubles every round (a
 * round: as many parts stored as the window holds) in which a part was ready but found no free slot, as TCP's slow
 * start does. Once the host's cap is reached, every extra part only queues and each part's cost grows in
 * proportion; the estimate `queued = limit × (1 − floor / cost)` (TCP Vegas's) says how many parts wait behind the
 * others. From the first queue on, the window moves by one part a round, held where one to three parts queue:
 * enough that the link never idles between parts, and no more memory than that. A 503 or `x-oss-qos-delay-time`
 * halves it.
 *
 * The window only grows when it held a ready part back: with a slow source, more room proves nothing.
 */

/** Bounds of a {@link ConcurrencyTuner}. */
export interface ConcurrencyTunerOptions {
  /** Parts in flight at the start (default {@link AUTO_START}, at most `max`). */
  start?: number;
  /** Never more than this: the memory budget ÷ the part size, and the caller's cap. */
  max: number;
  /** Never fewer than this (default 1). */
  min?: number;
  /** Called with the new limit whenever it changes (the sink sets its window's limit). */
  onChange?: ((limit: number) => void) | undefined;
}

/** Parts in flight an auto window starts with. */
export const AUTO_START = 4;

// Parts queued at the bottleneck that the tuner aims for: below LOW the link may idle, above HIGH only memory is spent.
const LOW = 1;
const HIGH = 3;
// Weight of the newest sample in the smoothed cost: a noisy machine must not move the window on one slow part.
const SMOOTHING = 0.3;

/** Decides the window of an upload from the parts it has stored. */
export class ConcurrencyTuner {
  readonly min: number;
  #max: number;
  readonly #onChange: ((limit: number) => void) | undefined;
  #limit: number;
  #floor = Infinity;
  #cost = 0;
  #slowStart = true;
  #sinceChange = 0;
  #blocked = false;

  constructor(opts: ConcurrencyTunerOptions) {
    this.min = Math.max(1, opts.min ?? 1);
    this.#max = Math.max(this.min, opts.max);
    this.#limit = Math.min(this.#max, Math.max(this.min, opts.start ?? AUTO_START));
    this.#onChange = opts.onChange;
  }

  /** The most parts in flight allowed now. */
  get max(): number {
    return this.#max;
  }

  /** Lowers (or raises) the ceiling: parts grew (long streams), so fewer fit in the memory budget. */
  capAt(max: number): void {
    if (max === this.#max) return;
    this.#max = Math.max(this.min, max);
    if (this.#limit > this.#max) this.#set(this.#max);
  }

  /** Parts to keep in flight now. */
  get limit(): number {
    return this.#limit;
  }

  /** True until the link first showed a queue (or the service pushed back). */
  get rampingUp(): boolean {
    return this.#slowStart;
  }

  /** A part was ready to go but the window was full: evidence that a larger window would be used. */
  blocked(): void {
    this.#blocked = true;
  }

  /** A part was stored: `bytes` in `ms`, from the start of its request to the answer. */
  partDone(bytes: number, ms: number): void {
    if (bytes <= 0 || ms <= 0) return;
    const cost = ms / bytes;
    this.#floor = Math.min(this.#floor, cost);
    this.#cost = this.#cost === 0 ? cost : this.#cost + SMOOTHING * (cost - this.#cost);
    this.#sinceChange++;
    const queued = this.#limit * (1 - this.#floor / this.#cost);
    if (this.#slowStart && queued > HIGH) {
      this.#slowStart = false;
      // Back to what the link carried without a queue, plus the parts that keep it busy.
      this.#set(Math.ceil(this.#limit * (this.#floor / this.#cost)) + LOW);
      return;
    }
    // One step a round: the effect of a change shows only once the parts started after it come back.
    if (this.#sinceChange < this.#limit) return;
    const grow = this.#blocked;
    this.#blocked = false;
    if (this.#slowStart) {
      if (grow) this.#set(this.#limit * 2);
      else this.#sinceChange = 0;
    } else if (queued > HIGH) this.#set(this.#limit - 1);
    else if (queued < LOW && grow) this.#set(this.#limit + 1);
    else this.#sinceChange = 0;
  }

  /** The service asked to slow down (503, `x-oss-qos-delay-time`): halve the window and stop ramping up. */
  throttled(): void {
    this.#slowStart = false;
    this.#set(Math.floor(this.#limit / 2));
  }

  #set(limit: number): void {
    const before = this.#limit;
    this.#limit = Math.min(this.#max, Math.max(this.min, limit));
    this.#sinceChange = 0;
    this.#blocked = false;
    if (this.#limit !== before) this.#onChange?.(this.#limit);
  }
}
