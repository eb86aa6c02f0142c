/**
 * `concurrency: 'auto'`: how many parts to keep in flight, found while uploading. Real links cap each connection
 * (TCP window ÷ round trip, per-connection shaping) and the host as a whole; the right number of parts in flight is
 * the one that fills the host's cap, and it is different on every link.
 *
 * The ramp watches bytes, not parts. A decision that waits for whole parts comes once a part time (8 MiB at 8 MB/s a
 * connection: a second), so doubling from 4 to 32 took 3–4 s, longer than a 256 MiB stream lasts on a 200 MB/s
 * link (measured in the fluid model of the spec: 0.6× the best fixed window there). Instead the tuner counts the
 * bytes the requests hand to their sockets, in intervals of max(100 ms, 2 round trips): an interval long enough to
 * hold many socket writes and to see a new connection's handshake through, short enough that the ramp is over in
 * well under a second. After every change one interval is skipped (new connections fill their socket buffers at
 * once, which would look like throughput), the next one is measured. While the window held a ready part back and
 * the throughput measured at the new window beat the old one by at least half of what the added parts would carry at
 * the old per-part rate, the window doubles; the first time it does not, it settles at what the measured throughput
 * needs at that per-part rate, plus one part of headroom. The start is 16 parts (128 MiB at 8 MiB parts), not 4 or
 * 8: at an 80 ms round trip a ramp from there settled early (warm, 8 MB/s a connection, 64 MB/s in all: 0.47× and
 * 0.68× the ceiling from 4 and 8, 0.95× from 16), and memory is bounded by `maxMemory` anyway.
 *
 * Once settled, whole parts steer: the time a part spends in flight, per byte. While the link has room, one more
 * part in flight does not slow the others, so the cost per byte stays at its floor (the best seen); once the host's
 * cap is reached every extra part only queues, and `queued = limit × (1 − floor / cost)` (TCP Vegas's estimate) says
 * how many wait. The window then moves by one part a round (as many parts stored as the window holds), held where
 * one to three parts queue: enough that the link never idles between parts, and no more memory than that. A 503 or
 * `x-oss-qos-delay-time` halves it and ends the ramp.
 *
 * The window only grows when it held a ready part back: with a slow source, more room proves nothing.
 */

/** Bounds of a {@link ConcurrencyTuner}. */
interface ConcurrencyTunerOptions {
  /** Parts in flight at the start (default {@link AUTO_START}, at most `max`). */
  start?: number;
  /** Never more than this: the memory budget ÷ the part size, and the caller's cap. */
  max: number;
  /** Never fewer than this (default 1). */
  min?: number;
  /** Called with the new limit whenever it changes (the sink sets its window's limit). */
  onChange?: ((limit: number) => void) | undefined;
  /** Milliseconds, monotonic (default `performance.now`; the spec's link model runs on virtual time). */
  clock?: (() => number) | undefined;
}

/** Parts in flight an auto window starts with. */
export const AUTO_START = 16;

// Parts queued at the bottleneck that the tuner aims for: below LOW the link may idle, above HIGH only memory is spent.
const LOW = 1;
const HIGH = 3;
// Weight of the newest sample in the smoothed cost: a noisy machine must not move the window on one slow part.
const SMOOTHING = 0.3;
// Shortest ramp interval: many socket writes in each, whatever the round trip.
const MIN_INTERVAL_MS = 100;
// The ramp goes on while added parts carry at least this share of what each part carried before…
const GAIN = 0.5;
// …and quadruples the window, not doubles it, while they carry nearly all of it.
const LINEAR = 0.9;

/** Decides the window of an upload from the bytes it sends and the parts it has stored. */
export class ConcurrencyTuner {
  readonly min: number;
  #max: number;
  readonly #onChange: ((limit: number) => void) | undefined;
  readonly #clock: () => number;
  #limit: number;
  #floor = Infinity;
  #cost = 0;
  #slowStart = true;
  #sinceChange = 0;
  #blocked = false;
  // The ramp's interval: its start, bytes so far, whether a part was held back, and if it only settles a change.
  #intervalMs = MIN_INTERVAL_MS;
  #intervalStart: number | undefined;
  #intervalBytes = 0;
  #intervalBlocked = false;
  #settling = false;
  // What the previous measured interval saw: its window and its throughput (bytes/ms).
  #prevLimit = 0;
  #prevRate = 0;

  constructor(opts: ConcurrencyTunerOptions) {
    this.min = Math.max(1, opts.min ?? 1);
    this.#max = Math.max(this.min, opts.max);
    this.#limit = Math.min(this.#max, Math.max(this.min, opts.start ?? AUTO_START));
    this.#onChange = opts.onChange;
    this.#clock = opts.clock ?? (() => performance.now());
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

  /** True until the ramp ended (the throughput stopped rising, or the service pushed back). */
  get rampingUp(): boolean {
    return this.#slowStart;
  }

  /**
   * The time of one small request on a fresh connection (InitiateMultipartUpload's: a handshake and a round trip,
   * so two round trips): the ramp's interval, at least 100 ms.
   */
  roundTrip(ms: number): void {
    if (ms > 0) this.#intervalMs = Math.max(MIN_INTERVAL_MS, ms);
  }

  /** A part was ready to go but the window was full: evidence that a larger window would be used. */
  blocked(): void {
    this.#blocked = true;
    this.#intervalBlocked = true;
  }

  /** `bytes` more were handed to the sockets of the parts in flight (all parts together). */
  sent(bytes: number): void {
    if (!this.#slowStart || bytes <= 0) return;
    const now = this.#clock();
    if (this.#intervalStart === undefined) {
      // The first bytes fill fresh socket buffers at memory speed: settle first, as after every change.
      this.#startInterval(now);
      this.#settling = true;
      return;
    }
    this.#intervalBytes += bytes;
    const elapsed = now - this.#intervalStart;
    // Settling only has to outlast the burst that fills fresh socket buffers: half an interval.
    if (elapsed < (this.#settling ? this.#intervalMs / 2 : this.#intervalMs)) return;
    const rate = this.#intervalBytes / elapsed;
    const blocked = this.#intervalBlocked;
    const settling = this.#settling;
    this.#startInterval(now);
    if (settling || !blocked) return; // a change still settling, or the source (not the window) set the pace
    const L = this.#limit;
    if (this.#prevLimit === 0 || this.#prevLimit >= L) {
      this.#prevLimit = L;
      this.#prevRate = rate;
      this.#grow(L * 2);
      return;
    }
    const perPart = this.#prevRate / this.#prevLimit;
    const gain = (rate - this.#prevRate) / (perPart * (L - this.#prevLimit));
    if (gain >= GAIN) {
      this.#prevLimit = L;
      this.#prevRate = rate;
      // Added parts that carried as much as the others: nothing queues yet, so take a bigger step.
      this.#grow(gain >= LINEAR ? L * 4 : L * 2);
      return;
    }
    // The added parts mostly queued: keep what the measured throughput needs at the old per-part rate, plus one.
    this.#slowStart = false;
    this.#set(Math.min(L, Math.max(this.#prevLimit, Math.ceil(rate / perPart) + LOW)));
  }

  /** A part was stored: `bytes` in `ms`, from the start of its request to the answer. */
  partDone(bytes: number, ms: number): void {
    if (bytes <= 0 || ms <= 0) return;
    const cost = ms / bytes;
    this.#floor = Math.min(this.#floor, cost);
    this.#cost = this.#cost === 0 ? cost : this.#cost + SMOOTHING * (cost - this.#cost);
    if (this.#slowStart) return; // the ramp is steered by bytes (see sent())
    this.#sinceChange++;
    // One step a round: the effect of a change shows only once the parts started after it come back.
    if (this.#sinceChange < this.#limit) return;
    const queued = this.#limit * (1 - this.#floor / this.#cost);
    const grow = this.#blocked;
    this.#blocked = false;
    if (queued > HIGH) this.#set(this.#limit - 1);
    else if (queued < LOW && grow) this.#set(this.#limit + 1);
    else this.#sinceChange = 0;
  }

  /** The service asked to slow down (503, `x-oss-qos-delay-time`): halve the window and stop ramping up. */
  throttled(): void {
    this.#slowStart = false;
    this.#set(Math.floor(this.#limit / 2));
  }

  #grow(limit: number): void {
    if (Math.min(this.#max, limit) === this.#limit) {
      // At the ceiling: nothing more to learn from the ramp.
      this.#slowStart = false;
      return;
    }
    this.#set(limit);
    this.#settling = true;
  }

  #startInterval(now: number): void {
    this.#intervalStart = now;
    this.#intervalBytes = 0;
    this.#intervalBlocked = false;
    this.#settling = false;
  }

  #set(limit: number): void {
    const before = this.#limit;
    this.#limit = Math.min(this.#max, Math.max(this.min, limit));
    this.#sinceChange = 0;
    this.#blocked = false;
    if (this.#limit !== before) this.#onChange?.(this.#limit);
  }
}
