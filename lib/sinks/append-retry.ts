/**
 * How long the append stream waits between attempts at one batch. A log shipper holds lines nobody else has, so it
 * must outlast a short outage (a server restart, a failover: several seconds) rather than give up after the ~1.4 s
 * that the client's request retries span. The delay doubles from `baseDelayMs` up to `maxDelayMs`, with "equal
 * jitter" (half of it fixed, half random) instead of the client's full jitter: writers that failed together still
 * spread out, but the total time spent retrying has a floor, so the outage a stream survives is a guarantee, not a
 * likelihood.
 */

/** The retry schedule of an append stream, resolved. */
export interface AppendBackoff {
  /** Extra attempts per batch. */
  readonly retries: number;
  /** Delay cap before the first retry; doubles each attempt. */
  readonly baseDelayMs: number;
  /** Largest delay cap. */
  readonly maxDelayMs: number;
}

/** The delay before retry number `attempt + 1` (attempt 0 is the first failure): from cap/2 to cap. */
export function appendRetryDelayMs(attempt: number, b: AppendBackoff, random: () => number = Math.random): number {
  const cap = Math.min(b.maxDelayMs, b.baseDelayMs * 2 ** attempt);
  return Math.round(cap / 2 + (random() * cap) / 2);
}

/**
 * The shortest and longest total wait across every retry of one batch (requests' own time not counted): a server
 * that is back within `min` milliseconds of the first failure loses nothing.
 */
export function appendRetryWindowMs(b: AppendBackoff): { min: number; max: number } {
  let min = 0;
  let max = 0;
  for (let attempt = 0; attempt < b.retries; attempt++) {
    min += appendRetryDelayMs(attempt, b, () => 0);
    max += appendRetryDelayMs(attempt, b, () => 1);
  }
  return { min, max };
}
