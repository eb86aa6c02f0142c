/**
 * The options the log sink and `oss-stream ship` share — the key template, rolling, batching, gzip, headers,
 * retries — and their resolution, once, into the template and the {@link ObjectRoller}'s options.
 */
import { contextOf, type Bucket } from '../bucket.js';
import { checkInteger, LOG_DEFAULTS } from '../config.js';
import { validateHeaders } from '../core/validate.js';
import { OssArgumentError } from '../errors.js';
import { KeyTemplate } from './key-template.js';
import type { ObjectRollerOptions } from './object-roller.js';

/** How log lines become rolling objects: the options of `createLogSink` and `FileShipper` alike. */
export interface RollingOptions {
  /**
   * Key template, e.g. `'logs/{hostname}/{yyyy}/{MM}/{dd}/app-{HH}{mm}-{seq}.log'` (`.log.gz` with gzip). Placeholders:
   * `{yyyy} {MM} {dd} {HH} {mm} {ss}` (UTC unless `timeZone: 'local'`), `{hostname}`, `{pid}`, `{seq}` (required:
   * 0, 1, 2… per rendered prefix, never an object that exists), `{hash}` (6 hex digits that spread keys over OSS
   * partitions) and the names in `vars`.
   */
  key: string;
  timeZone?: 'utc' | 'local' | undefined;
  /** Values for caller placeholders: `{ vars: { app: 'api' } }` fills `{app}`. */
  vars?: Readonly<Record<string, string>> | undefined;
  /** Roll before an object would pass this many bytes (default 1 GiB; at most 5 GiB, the appendable limit). */
  rollBytes?: number | undefined;
  /** Roll objects this old (ms since opened; default 0: never by age). */
  rollIntervalMs?: number | undefined;
  /** Ship a batch when this many bytes are buffered (default 1 MiB; cut at the last newline). */
  flushBytes?: number | undefined;
  /** Ship buffered whole lines after this long (default 1000 ms; 0: only when full and at the end). */
  flushIntervalMs?: number | undefined;
  /** `'gzip'`: every batch is appended as its own gzip member, so each object is always a valid gzip file. */
  compress?: 'gzip' | 'none' | undefined;
  /** zlib level with gzip, 1–9 (default 6). */
  gzipLevel?: number | undefined;
  /** Headers of each object (Content-Type, `x-oss-meta-*`…); Content-Type is otherwise guessed from the key. */
  headers?: Record<string, string> | undefined;
  /**
   * Extra attempts per batch after a failure a request would be retried for: network error, 5xx, 429, 408,
   * RequestTimeTooSkewed (default 10, backing off as `createAppendStream` does: 24–48 s in all).
   */
  retries?: number | undefined;
  /** Clock (tests). */
  now?: (() => Date) | undefined;
}

/** {@link RollingOptions} checked, with their defaults. */
interface ResolvedRolling {
  template: KeyTemplate;
  flushBytes: number;
  flushIntervalMs: number;
  compress: 'gzip' | 'none';
  roller: ObjectRollerOptions;
}

/**
 * Checks `opts` (typed errors before any request) and resolves the defaults. `batchBytes` is the largest batch the
 * caller will append (default `flushBytes`).
 */
export function resolveRolling(
  bucket: Bucket,
  opts: RollingOptions,
  extra: { signal: AbortSignal | undefined; batchBytes?: (flushBytes: number, rollBytes: number) => number },
): ResolvedRolling {
  const limits = contextOf(bucket).options.limits;
  const template = new KeyTemplate(opts.key, { timeZone: opts.timeZone, vars: opts.vars });
  const rollBytes = checkInteger(
    'rollBytes',
    opts.rollBytes ?? Math.min(LOG_DEFAULTS.rollBytes, limits.maxPutSize),
    1,
    limits.maxPutSize,
  );
  const flushBytes = checkInteger(
    'flushBytes',
    opts.flushBytes ?? Math.min(LOG_DEFAULTS.flushBytes, rollBytes),
    1,
    rollBytes,
  );
  const flushIntervalMs = checkInteger('flushIntervalMs', opts.flushIntervalMs ?? LOG_DEFAULTS.flushIntervalMs, 0);
  const compress = opts.compress ?? 'none';
  if (compress !== 'gzip' && compress !== 'none')
    throw new OssArgumentError(`compress must be 'gzip' or 'none', got ${String(compress)}`, 'compress');
  const level = checkInteger('gzipLevel', opts.gzipLevel ?? LOG_DEFAULTS.gzipLevel, 1, 9);
  return {
    template,
    flushBytes,
    flushIntervalMs,
    compress,
    roller: {
      rollBytes,
      rollIntervalMs: checkInteger('rollIntervalMs', opts.rollIntervalMs ?? 0, 0),
      maxBatchBytes: extra.batchBytes?.(flushBytes, rollBytes) ?? flushBytes,
      gzipLevel: compress === 'gzip' ? level : undefined,
      headers: validateHeaders(opts.headers),
      retries: opts.retries,
      signal: extra.signal,
      now: opts.now ?? (() => new Date()),
    },
  };
}
