/**
 * Upload progress on stderr: a `cli-progress` bar on a terminal (bytes, rate, ETA, parts in flight), one plain
 * line at most every second when stderr is a file or a pipe (logs stay readable), nothing with `--quiet`.
 */
import cliProgress from 'cli-progress';
import { formatBytes, formatRate, formatSeconds } from './format.js';

/** How progress is shown. */
type ProgressMode = 'bar' | 'lines' | 'none';

/** `'none'` when quiet, `'bar'` when `stream` is a terminal, else `'lines'`. */
export function progressModeFor(stream: { isTTY?: boolean }, quiet: boolean): ProgressMode {
  if (quiet) return 'none';
  return stream.isTTY === true ? 'bar' : 'lines';
}

/** Options of {@link ProgressDisplay}. */
interface ProgressDisplayOptions {
  mode: ProgressMode;
  /** Bytes to upload, or `null` when unknown (stdin). */
  total: number | null;
  /** Where to draw; default `process.stderr`. */
  stream?: NodeJS.WritableStream | undefined;
  /** Parts in flight right now, when the upload can tell. */
  inFlight?: (() => number | undefined) | undefined;
  /** Least time between two plain lines; default 1000 ms. */
  intervalMs?: number | undefined;
  /** Clock in ms (specs pass their own); default `performance.now`. */
  now?: (() => number) | undefined;
}

/**
 * Renders `(done, total)` reports. The rate counts only the bytes moved since the first report, so a resumed upload
 * that starts at 80% does not claim the earlier run's bytes as its own speed.
 */
export class ProgressDisplay {
  readonly #mode: ProgressMode;
  readonly #stream: NodeJS.WritableStream;
  readonly #inFlight: () => number | undefined;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #bar: cliProgress.SingleBar | undefined;
  #total: number | null;
  #first: { at: number; done: number } | undefined;
  #lastLine = Number.NEGATIVE_INFINITY;
  #lastDone = -1;
  #stopped = false;

  constructor(opts: ProgressDisplayOptions) {
    this.#mode = opts.mode;
    this.#total = opts.total;
    this.#stream = opts.stream ?? process.stderr;
    this.#inFlight = opts.inFlight ?? (() => undefined);
    this.#intervalMs = opts.intervalMs ?? 1000;
    this.#now = opts.now ?? (() => performance.now());
    if (this.#mode === 'bar') {
      const known = this.#total !== null;
      const parts = opts.inFlight === undefined ? '' : ' | {inflight}';
      this.#bar = new cliProgress.SingleBar(
        {
          format: known
            ? ` {bar} {percentage}% | {done} of {all} | {rate} | ETA {left}${parts}`
            : ` {done} | {rate}${parts}`,
          stream: this.#stream,
          hideCursor: true,
          fps: 10,
        },
        cliProgress.Presets.shades_classic,
      );
      // cli-progress needs a positive total: an unknown one draws no bar, an empty file is full at its first report.
      this.#bar.start(Math.max(1, this.#total ?? 1), 0, this.#payload(0));
    }
  }

  /** Reports `done` bytes (and a total learnt late, if any). */
  update(done: number, total?: number | null): void {
    if (this.#stopped || this.#mode === 'none') return;
    if (total !== undefined && total !== null && this.#total === null) this.#total = total;
    const now = this.#now();
    this.#first ??= { at: now, done };
    if (this.#bar !== undefined) {
      this.#bar.update(this.#total === null ? 0 : this.#total === 0 ? 1 : done, this.#payload(done));
      return;
    }
    const final = this.#total !== null && done >= this.#total;
    if ((now - this.#lastLine >= this.#intervalMs || final) && done !== this.#lastDone) {
      this.#lastLine = now;
      this.#lastDone = done;
      this.#stream.write(`${this.#line(done)}\n`);
    }
  }

  /** Stops drawing (leaves the bar's last state on screen). Idempotent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#bar?.stop();
  }

  #rate(done: number): number | undefined {
    if (this.#first === undefined) return undefined;
    const secs = (this.#now() - this.#first.at) / 1000;
    return secs > 0 ? (done - this.#first.done) / secs : undefined;
  }

  #eta(done: number): string {
    const rate = this.#rate(done);
    if (this.#total === null || rate === undefined || rate <= 0) return '--';
    return formatSeconds((this.#total - done) / rate);
  }

  #inFlightText(): string {
    const n = this.#inFlight();
    return n === undefined ? '' : `${n} part${n === 1 ? '' : 's'} in flight`;
  }

  #payload(done: number): Record<string, string> {
    const rate = this.#rate(done);
    return {
      done: formatBytes(done),
      all: this.#total === null ? '?' : formatBytes(this.#total),
      rate: rate === undefined ? '-- MiB/s' : formatRate(rate),
      // not `eta`: cli-progress reserves that name for its own (unit-less) estimate
      left: this.#eta(done),
      inflight: this.#inFlightText(),
    };
  }

  #line(done: number): string {
    const p = this.#payload(done);
    const parts = [
      this.#total === null
        ? p['done']
        : `${p['done']} of ${p['all']} (${this.#total === 0 ? 100 : Math.floor((done / this.#total) * 100)}%)`,
      p['rate'],
    ];
    if (this.#total !== null && done < this.#total) parts.push(`ETA ${p['left']}`);
    const inflight = p['inflight'];
    if (inflight !== '') parts.push(inflight);
    return `progress: ${parts.join(', ')}`;
  }
}
