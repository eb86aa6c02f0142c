/**
 * One appendable object's chain: where the next append goes and the object's CRC64 so far, advanced one batch at a
 * time. A batch is sent as it is given (no copy), retried whole on the append schedule, and a resend after a lost
 * answer is recognized by the object's length and CRC64, so it is never stored twice. The append stream and the log
 * sink's rolling objects both append through it.
 */
import { appendObject, type AppendObjectResult } from '../api/append-object.js';
import type { OssContext } from '../api/context.js';
import { headObject, type HeadObjectResult } from '../api/head-object.js';
import { crc64, crc64Combine, crc64Equal } from '../core/crc64.js';
import { retryDelayMs, retryVerdict, waitToRetry, type RetrySchedule } from '../core/retry-policy.js';
import { PositionNotEqualToLengthError } from '../errors.js';

/** Where a chain starts and how it appends. */
interface AppendChainOptions {
  /** The object's length (0 for a missing object). */
  position: number;
  /** The object's CRC64 (decimal; `'0'` for a missing object). */
  crc64: string;
  /** Headers of the append that creates the object (position 0). */
  headers: Record<string, string>;
  backoff: RetrySchedule;
  signal: AbortSignal;
}

/** The chain's state after a batch landed. */
type AppendLanded = Pick<AppendObjectResult, 'etag' | 'requestId'>;

/**
 * HEAD of an appendable object, retried on the append schedule rather than the client's shorter one: an append
 * riding out an outage must not fail on the HEAD that tells where it stands.
 */
export async function headOnSchedule(
  ctx: OssContext,
  key: string,
  backoff: RetrySchedule,
  signal: AbortSignal,
): Promise<HeadObjectResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await headObject(ctx, key, { signal, retries: 0 });
    } catch (err) {
      if (attempt >= backoff.retries || retryVerdict(err) === undefined || signal.aborted) throw err;
      await waitToRetry(retryDelayMs(attempt, err, backoff), signal);
    }
  }
}

/** Appends batches to `key` in order; callers await each {@link append} before the next. */
export class AppendChain {
  /** The object's length: where the next batch goes. */
  position: number;
  /** CRC64 of the whole object, verified along the chain. */
  crc: string;
  /** Bytes appended through this chain, and batches. */
  size = 0;
  appends = 0;
  readonly #ctx: OssContext;
  readonly #key: string;
  readonly #opts: AppendChainOptions;

  constructor(ctx: OssContext, key: string, opts: AppendChainOptions) {
    this.#ctx = ctx;
    this.#key = key;
    this.#opts = opts;
    this.position = opts.position;
    this.crc = opts.crc64;
  }

  /**
   * Appends `data` at {@link position}, retrying retryable failures; a resend that finds the object already grown by
   * exactly this batch with the chained CRC64 counts as landed. Another writer's bytes fail with
   * {@link PositionNotEqualToLengthError} (`nextPosition`: the object's length).
   */
  async append(data: Uint8Array): Promise<AppendLanded> {
    const position = this.position;
    const batchCrc = crc64(data);
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await appendObject(this.#ctx, this.#key, position, data, {
          headers: position === 0 ? this.#opts.headers : undefined,
          initCrc: this.crc,
          signal: this.#opts.signal,
          retries: 0,
        });
        this.#landed(r.nextPosition, r.crc64, data.byteLength);
        return r;
      } catch (err) {
        if (err instanceof PositionNotEqualToLengthError) {
          let actual = err.nextPosition;
          if (attempt > 0) {
            // An earlier attempt may have landed with its answer lost: it did iff the object grew by exactly this
            // batch AND its CRC64 is the chain extended by this batch.
            const h = await headOnSchedule(this.#ctx, this.#key, this.#opts.backoff, this.#opts.signal);
            const expectedCrc = crc64Combine(this.crc, batchCrc, data.byteLength);
            actual = h.nextAppendPosition ?? h.size;
            if (actual === position + data.byteLength && h.crc64 !== undefined && crc64Equal(h.crc64, expectedCrc)) {
              this.#landed(actual, expectedCrc, data.byteLength);
              return { etag: h.etag, requestId: h.requestId };
            }
          }
          throw new PositionNotEqualToLengthError(
            `cannot append ${data.byteLength} bytes to ${this.#key} at position ${position}: the object is now ` +
              `${actual} bytes long, changed by another writer; this stream stored ${this.size} bytes (see result) ` +
              'and stops here',
            { code: 'PositionNotEqualToLength', status: 409, requestId: err.requestId, cause: err },
            actual,
          );
        }
        // The batch is sent with the transport's own retries off and retried here whole, on the longer schedule,
        // so that a resend after a lost answer goes through the PositionNotEqualToLength check above.
        if (attempt >= this.#opts.backoff.retries || retryVerdict(err) === undefined || this.#opts.signal.aborted)
          throw err;
        await waitToRetry(retryDelayMs(attempt, err, this.#opts.backoff), this.#opts.signal);
      }
    }
  }

  #landed(next: number, crc: string, size: number): void {
    this.position = next;
    this.crc = crc;
    this.size += size;
    this.appends++;
  }
}
