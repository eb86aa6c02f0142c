/**
 * The rolling object behind the log sink and `oss-stream ship`: takes batches of whole lines, gzips them when asked,
 * and appends each to the current object of a {@link KeyTemplate}, opening the next object when the current one would
 * pass `rollBytes`, when the rendered prefix changes, or when `rollIntervalMs` has passed. Appends go through an
 * {@link AppendChain} per object (the append stream's: CRC64 chain, retries, lost-answer check), which sends each
 * batch as it is given: the roller holds no copy of it.
 */
import { EventEmitter } from 'node:events';
import { contextOf, type Bucket } from '../bucket.js';
import { headObject } from '../api/head-object.js';
import { AppendChain } from '../uploads/append-chain.js';
import { checkInteger, DEFAULTS } from '../config.js';
import type { RetrySchedule } from '../core/retry-policy.js';
import {
  ObjectNotAppendableError,
  OssAbortError,
  OssArgumentError,
  OssServiceError,
  PositionNotEqualToLengthError,
} from '../errors.js';
import { gzipBound, gzipMember } from './gzip-batches.js';
import type { KeyTemplate } from './key-template.js';

/** Why an object was closed. */
export type RollReason = 'size' | 'prefix' | 'interval' | 'close' | 'failed';

/** A closed object, as the `'roll'` event reports it: enough to index it. */
export interface RolledObject {
  key: string;
  /** The object's length after this writer's last append. */
  size: number;
  /** CRC64 (decimal) of the whole object after this writer's last append. */
  crc64: string;
  /** Appends this writer made to it. */
  appends: number;
  /** When this writer's first and last batch were stored. */
  firstWriteAt: Date;
  lastWriteAt: Date;
  reason: RollReason;
}

/** A `'objectFailed'` event: the object stopped taking appends, and the batch went to the next `{seq}`. */
export interface FailedObject {
  key: string;
  /** `ObjectNotAppendable`, or `PositionNotEqualToLength` (another writer appended to or created the key). */
  error: Error;
  /** Bytes of this writer stored in it before it failed. */
  stored: number;
}

/** Where a batch is about to go or went. */
export interface AppendTarget {
  key: string;
  seq: number;
  /** The object's length before the batch. */
  position: number;
  /** Bytes appended (compressed size with gzip). */
  length: number;
}

/** Resolved options of an {@link ObjectRoller}. */
export interface ObjectRollerOptions {
  rollBytes: number;
  rollIntervalMs: number;
  /** Largest batch (uncompressed) that will be given to {@link ObjectRoller.append}. */
  maxBatchBytes: number;
  gzipLevel: number | undefined;
  headers: Record<string, string> | undefined;
  retries: number | undefined;
  signal: AbortSignal | undefined;
  now: () => Date;
}

interface OpenObject {
  key: string;
  seq: number;
  prefix: string;
  chain: AppendChain;
  size: number;
  crc64: string;
  appends: number;
  /** Bytes this writer appended to it. */
  written: number;
  openedAt: number;
  firstWriteAt: Date | undefined;
  lastWriteAt: Date | undefined;
}

/** Errors that mean "this object is not ours to append to", as opposed to failures of the request path. */
function isForeignObjectError(err: unknown): boolean {
  return err instanceof PositionNotEqualToLengthError || err instanceof ObjectNotAppendableError;
}

/**
 * One open object at a time, one append in flight (callers await {@link append} before the next). Emits `'roll'`
 * ({@link RolledObject}) for each closed object and `'objectFailed'` ({@link FailedObject}).
 */
export class ObjectRoller extends EventEmitter {
  readonly #bucket: Bucket;
  readonly #template: KeyTemplate;
  readonly #opts: ObjectRollerOptions;
  #open: OpenObject | undefined;
  /** The last (prefix, seq) used, so the next object of that prefix starts probing after it. */
  #last: { prefix: string; seq: number } | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  /** Aborts the append in flight: {@link destroy}, the caller's signal, or the client closing. */
  readonly #controller = new AbortController();
  readonly #signal: AbortSignal;
  readonly #backoff: RetrySchedule;

  constructor(bucket: Bucket, template: KeyTemplate, opts: ObjectRollerOptions) {
    super();
    this.#bucket = bucket;
    this.#template = template;
    this.#opts = opts;
    this.#signal =
      opts.signal === undefined ? this.#controller.signal : AbortSignal.any([opts.signal, this.#controller.signal]);
    this.#backoff = Object.freeze({
      retries: checkInteger('retries', opts.retries ?? DEFAULTS.appendRetries, 0, 100),
      baseDelayMs: DEFAULTS.appendRetryBaseDelayMs,
      maxDelayMs: DEFAULTS.appendRetryMaxDelayMs,
      jitter: DEFAULTS.appendRetryJitter,
    });
    const max = contextOf(bucket).options.limits.maxPutSize;
    if (opts.rollBytes > max)
      throw new OssArgumentError(`rollBytes must be at most ${max} (an appendable object's limit)`, 'rollBytes');
    if (this.#encodedBound() > max)
      throw new OssArgumentError(`flushBytes must leave room under ${max} bytes`, 'flushBytes');
  }

  /** The open object, if any. */
  get current(): { key: string; seq: number; prefix: string; size: number; openedAt: number } | undefined {
    const o = this.#open;
    return o === undefined
      ? undefined
      : { key: o.key, seq: o.seq, prefix: o.prefix, size: o.size, openedAt: o.openedAt };
  }

  /**
   * Continues `key` (object `seq` of the template), e.g. after a restart: appends go at its current length. A key
   * that is missing is created by the next append (at 0); one that is not ours fails then, and rolls.
   */
  adopt(key: string, seq: number, prefix: string, openedAt: number): Promise<void> {
    return this.#serial(async () => {
      if (this.#open !== undefined) await this.#close('close');
      let position = 0;
      let crc = '0';
      try {
        const h = await headObject(contextOf(this.#bucket), key, { signal: this.#signal });
        position = h.nextAppendPosition ?? h.size;
        crc = h.crc64 ?? '0';
      } catch (err) {
        if (!(err instanceof OssServiceError && err.status === 404)) throw err;
      }
      this.#start(key, seq, prefix, position, crc, openedAt);
    });
  }

  /**
   * Opens the object the next append will go to now, as a file destination opens its file before the first line:
   * the `{seq}` probe is off the first batch's path. An object still empty when the key or the interval says roll is
   * dropped without a `'roll'` event; a failed probe is made again by the first append.
   */
  prepare(): void {
    void this.#serial(async () => {
      if (this.#open !== undefined) return;
      const now = this.#opts.now();
      await this.#openNext(now, this.#template.prefix(now));
    }).catch(() => undefined);
  }

  /**
   * Appends one batch of whole lines (gzipped first when configured), rolling first if the rules say so. `before`
   * runs once the target is known and before any byte is sent (the shipper records its intent there); after a
   * failed object it runs again for the next one. Resolves with where the batch landed.
   */
  append(batch: Uint8Array, before?: (target: AppendTarget) => Promise<void>): Promise<AppendTarget> {
    return this.#serial(async () => {
      const data = this.#opts.gzipLevel === undefined ? batch : await gzipMember(batch, this.#opts.gzipLevel);
      for (;;) {
        const now = this.#opts.now();
        const prefix = this.#template.prefix(now);
        const o = this.#open;
        if (o !== undefined) {
          let reason: RollReason | undefined;
          if (o.prefix !== prefix) reason = 'prefix';
          else if (o.size > 0 && o.size + data.byteLength > this.#opts.rollBytes) reason = 'size';
          else if (this.#opts.rollIntervalMs > 0 && now.getTime() - o.openedAt >= this.#opts.rollIntervalMs)
            reason = 'interval';
          if (reason !== undefined) await this.#close(reason);
        }
        const cur = this.#open ?? (await this.#openNext(now, prefix));
        const target: AppendTarget = { key: cur.key, seq: cur.seq, position: cur.size, length: data.byteLength };
        await before?.(target);
        // bucket.close() aborts the append in flight, as it does an append stream's.
        const untrack = contextOf(this.#bucket).track({ cancel: async (reason) => this.destroy(reason) });
        try {
          await cur.chain.append(data);
        } catch (err) {
          if (!isForeignObjectError(err)) throw err;
          this.#failed(cur, err as Error);
          continue;
        } finally {
          untrack();
        }
        const at = new Date();
        cur.size = cur.chain.position;
        cur.crc64 = cur.chain.crc;
        cur.appends++;
        cur.written += data.byteLength;
        cur.firstWriteAt ??= at;
        cur.lastWriteAt = at;
        return target;
      }
    });
  }

  /** Closes the open object (a `'roll'` event with reason `'close'`); the next append opens a new one. */
  close(): Promise<void> {
    return this.#serial(() => this.#close('close'));
  }

  /** Stops the interval timer and drops the open object without waiting (the append in flight is aborted). */
  destroy(err?: Error): void {
    this.#clearTimer();
    this.#controller.abort(err ?? new OssAbortError('The rolling object was destroyed'));
    this.#open = undefined;
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.#queue.then(fn);
    this.#queue = p.catch(() => undefined);
    return p;
  }

  #encodedBound(): number {
    return this.#opts.gzipLevel === undefined ? this.#opts.maxBatchBytes : gzipBound(this.#opts.maxBatchBytes);
  }

  /** Finds the first free `{seq}` of `prefix` (HEAD answers 404) and opens it at position 0. */
  async #openNext(now: Date, prefix: string): Promise<OpenObject> {
    const last = this.#last?.prefix === prefix ? this.#last.seq : -1;
    const seq = await this.#firstFree(now, last);
    this.#start(this.#template.render(now, seq), seq, prefix, 0, '0', now.getTime());
    return this.#open!;
  }

  /**
   * The first seq after `after` whose key is missing. Seqs are taken in order, so a gallop then a bisection finds it
   * in O(log n) HEADs; a gap that fools it costs nothing but a roll, because position 0 of a taken key fails.
   */
  async #firstFree(now: Date, after: number): Promise<number> {
    const taken = async (seq: number): Promise<boolean> => {
      try {
        await headObject(contextOf(this.#bucket), this.#template.render(now, seq), { signal: this.#signal });
        return true;
      } catch (err) {
        if (err instanceof OssServiceError && err.status === 404) return false;
        throw err;
      }
    };
    let lo = after;
    let step = 1;
    let hi = after + 1;
    while (await taken(hi)) {
      lo = hi;
      step *= 2;
      hi = lo + step;
    }
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (await taken(mid)) lo = mid;
      else hi = mid;
    }
    return hi;
  }

  #start(key: string, seq: number, prefix: string, position: number, crc: string, openedAt: number): void {
    // The position comes from a HEAD already made (the free {seq}, or the adopted object): no second one. A key
    // another writer created meanwhile fails the first append (PositionNotEqualToLength), and rolls.
    const chain = new AppendChain(contextOf(this.#bucket), key, {
      position,
      crc64: crc,
      headers: this.#opts.headers ?? {},
      backoff: this.#backoff,
      signal: this.#signal,
    });
    this.#open = {
      key,
      seq,
      prefix,
      chain,
      size: position,
      crc64: crc,
      appends: 0,
      written: 0,
      openedAt,
      firstWriteAt: undefined,
      lastWriteAt: undefined,
    };
    this.#last = { prefix, seq };
    this.#clearTimer();
    if (this.#opts.rollIntervalMs > 0) {
      const wait = Math.max(0, openedAt + this.#opts.rollIntervalMs - this.#opts.now().getTime());
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        // An idle object is closed on time, so whoever indexes the 'roll' events sees it without waiting for data.
        void this.#serial(async () => {
          if (this.#open?.chain === chain) await this.#close('interval');
        }).catch(() => undefined);
      }, wait);
      this.#timer.unref();
    }
  }

  async #close(reason: RollReason): Promise<void> {
    const o = this.#open;
    if (o === undefined) return;
    this.#open = undefined;
    this.#clearTimer();
    this.#emitRoll(o, reason);
  }

  #failed(o: OpenObject, error: Error): void {
    this.#open = undefined;
    this.#clearTimer();
    if (o.appends > 0) this.#emitRoll(o, 'failed');
    const failure: FailedObject = { key: o.key, error, stored: o.written };
    this.emit('objectFailed', failure);
  }

  #emitRoll(o: OpenObject, reason: RollReason): void {
    if (o.appends === 0 || o.firstWriteAt === undefined || o.lastWriteAt === undefined) return;
    const rolled: RolledObject = {
      key: o.key,
      size: o.size,
      crc64: o.crc64,
      appends: o.appends,
      firstWriteAt: o.firstWriteAt,
      lastWriteAt: o.lastWriteAt,
      reason,
    };
    this.emit('roll', rolled);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
