/**
 * `x-oss-traffic-limit`: OSS throttles a request's body (uploads) or its answer's body (downloads) to that many bits
 * per second, from 819,200 (100 KiB/s) to 838,860,800 (100 MiB/s); a value outside that range, or not a decimal
 * integer, is 400 InvalidArgument. Presigned URLs carry it as a query parameter of the same name. Users test
 * throttled transfers with it, so the server enforces it rather than ignoring it.
 */
import { invalidArgument } from './object-record.js';

/** OSS's bounds, bits per second. */
export const MIN_TRAFFIC_LIMIT = 819_200;
export const MAX_TRAFFIC_LIMIT = 838_860_800;

/** The limit a request asks for (header first, then query), in bits per second; `undefined` when none. */
export function trafficLimitOf(
  headers: Record<string, string>,
  query: Record<string, string | null>,
): number | undefined {
  const raw = headers['x-oss-traffic-limit'] ?? query['x-oss-traffic-limit'] ?? undefined;
  if (raw === undefined) return undefined;
  const value = raw === null || !/^\d+$/.test(raw) ? Number.NaN : Number(raw);
  if (!(value >= MIN_TRAFFIC_LIMIT && value <= MAX_TRAFFIC_LIMIT)) {
    throw invalidArgument(
      'x-oss-traffic-limit',
      raw ?? '',
      `x-oss-traffic-limit must be between ${MIN_TRAFFIC_LIMIT} and ${MAX_TRAFFIC_LIMIT} bits per second.`,
    );
  }
  return value;
}

/**
 * Paces a byte stream at `bitsPerSecond` from its first byte on: after `n` bytes in all, the stream may go on no
 * earlier than `n × 8 / bitsPerSecond` seconds after it started. So a transfer of `size` bytes lasts at least
 * `size × 8 / bitsPerSecond` seconds, whatever its chunking, with no burst allowance.
 */
export class Throttle {
  /**
   * The most bytes released at once: 20 ms worth at this rate (2,048 bytes at the lowest limit), so a downloader
   * that has its whole body when the last byte arrives still waits for all but the last slice.
   */
  readonly sliceBytes: number;
  readonly #bytesPerMs: number;
  #started: number | undefined;
  #bytes = 0;

  constructor(bitsPerSecond: number) {
    this.#bytesPerMs = bitsPerSecond / 8 / 1000;
    this.sliceBytes = Math.max(1024, Math.floor(this.#bytesPerMs * 20));
  }

  /** Counts `n` more bytes; returns how many milliseconds to wait before taking the next ones (0: go on). */
  take(n: number): number {
    const now = performance.now();
    this.#started ??= now;
    this.#bytes += n;
    const due = this.#started + this.#bytes / this.#bytesPerMs;
    return Math.max(0, Math.ceil(due - now));
  }

  /** Milliseconds left before the bytes counted so far are due (0 when nothing was counted). */
  pending(): number {
    return this.#started === undefined ? 0 : this.take(0);
  }
}
