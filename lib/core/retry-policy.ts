/**
 * The one retry policy: which failures are retried, how long to wait before the next attempt, and the wait itself.
 * The transport (`core/http.ts`) retries every request with it; the append stream retries whole batches with it on
 * a longer schedule of its own (a log shipper must outlast a server restart, see `DEFAULTS.appendRetries`).
 *
 * Retried: network errors (reset, refused, broken pipe, socket closed, connect/headers/body timeouts), HTTP 5xx, 429,
 * 408, and 403 `RequestTimeTooSkewed` (the transport corrects its clock from the answer before the next attempt).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { DEFAULTS } from '../config.js';
import { OssAbortError, OssError, OssServiceError } from '../errors.js';

/**
 * How a delay is drawn from its cap (`min(maxDelayMs, baseDelayMs × 2^n)`).
 * - `full`: anywhere from 0 to the cap. Spreads writers that failed together the most; the total wait has no floor.
 * - `equal`: from half the cap to the cap. Still spreads them, but the time spent retrying has a floor, so the outage
 *   a caller survives is a guarantee, not a likelihood.
 */
type Jitter = 'full' | 'equal';

/** A retry schedule: how many retries, and the delays between attempts. */
export interface RetrySchedule {
  /** Extra attempts after the first. */
  readonly retries: number;
  /** Delay cap before the first retry; doubles each retry. */
  readonly baseDelayMs: number;
  /** Largest delay cap. */
  readonly maxDelayMs: number;
  readonly jitter: Jitter;
}

/** The delays of a schedule, whatever the number of retries. */
export type Backoff = Omit<RetrySchedule, 'retries'>;

/** A retryable failure: the OSS or network error code, and the HTTP status (`-1` for network errors). */
export interface RetryVerdict {
  readonly code: string;
  readonly status: number;
}

/** Network error codes that mean "timed out" (reported as `RequestTimeout` once retries are spent). */
export const TIMEOUT_CODES: ReadonlySet<string> = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);
const NETWORK_CODES: ReadonlySet<string> = new Set([
  ...TIMEOUT_CODES,
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

/**
 * The code and status of `err` when it is worth another attempt, `undefined` otherwise. Takes what undici threw as
 * well as the transport's final errors (`NetworkError` / `RequestTimeout`, status -1), so a caller that retries above
 * the transport (the append stream) decides exactly as the transport does.
 */
export function retryVerdict(err: unknown): RetryVerdict | undefined {
  if (err instanceof OssServiceError) {
    const { status, code } = err;
    return code === 'RequestTimeTooSkewed' || status >= 500 || status === 429 || status === 408
      ? { code, status }
      : undefined;
  }
  const code = networkCode(err);
  if (code !== undefined) return { code, status: -1 };
  if (err instanceof OssError && err.status === -1 && (err.code === 'NetworkError' || err.code === 'RequestTimeout')) {
    return { code: err.code, status: -1 };
  }
  return undefined;
}

/**
 * True when `err` is the service asking for less load: 503 (ServiceUnavailable, SlowDown), 429, or any answer with
 * `x-oss-qos-delay-time`. `concurrency: 'auto'` halves its window on it; a reset or a 500 says nothing about load.
 */
export function isThrottled(err: unknown): boolean {
  if (!(err instanceof OssServiceError)) return false;
  if (err.status === 503 || err.status === 429) return true;
  return Number(err.details?.headers?.['x-oss-qos-delay-time']) > 0;
}

/** The first known network error code along the `cause` chain. */
export function networkCode(err: unknown): string | undefined {
  let e = err as { code?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; depth < 4 && e !== null && typeof e === 'object'; depth++) {
    if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return e.code;
    e = e.cause as typeof e;
  }
  return undefined;
}

/** The backoff before retry `n + 1` (`n` = retries made so far, 0 after the first failure), jitter applied. */
export function backoffDelayMs(n: number, s: Backoff, random: () => number = Math.random): number {
  const cap = Math.min(s.maxDelayMs, s.baseDelayMs * 2 ** n);
  return s.jitter === 'full' ? Math.floor(random() * cap) : Math.round(cap / 2 + (random() * cap) / 2);
}

/**
 * The wait before retry `n + 1` after `failure`: the backoff, but at least the `x-oss-qos-delay-time` (ms) a
 * throttled answer asks for, honoured up to `DEFAULTS.maxQosDelayMs` so a bogus value cannot stall.
 */
export function retryDelayMs(n: number, failure: unknown, s: Backoff): number {
  const backoff = backoffDelayMs(n, s);
  if (!(failure instanceof OssServiceError)) return backoff;
  const qos = Number(failure.details?.headers?.['x-oss-qos-delay-time']);
  return qos > 0 ? Math.max(backoff, Math.min(qos, DEFAULTS.maxQosDelayMs)) : backoff;
}

/**
 * The shortest and longest total wait across every retry of a schedule (the attempts' own time not counted): a
 * server that is back within `min` milliseconds of the first failure loses nothing.
 */
export function retryWindowMs(s: RetrySchedule): { min: number; max: number } {
  let min = 0;
  let max = 0;
  for (let n = 0; n < s.retries; n++) {
    min += backoffDelayMs(n, s, () => 0);
    max += backoffDelayMs(n, s, () => 1);
  }
  return { min, max };
}

/** Waits `ms` before the next attempt; an abort of `signal` ends the wait at once with an {@link OssAbortError}. */
export async function waitToRetry(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0 && signal === undefined) return;
  try {
    await delay(ms, undefined, signal === undefined ? undefined : { signal });
  } catch (err) {
    if (signal?.aborted) throw new OssAbortError('The request was aborted', signal.reason);
    throw err;
  }
}
