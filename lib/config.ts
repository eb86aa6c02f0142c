/**
 * Every default and every OSS limit lives here, resolved once per public surface. Limits are options too, so tests
 * can shrink them (e.g. a 1 KiB minimum part) without touching module state.
 */
import { OssArgumentError } from './errors.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** OSS service limits (see the protocol reference §4). */
export interface OssLimits {
  /** Smallest non-last multipart part: 100 KiB. */
  readonly minPartSize: number;
  /** Largest part: 5 GiB. */
  readonly maxPartSize: number;
  /** Most parts in one multipart upload: 10,000. */
  readonly maxParts: number;
  /** Largest PutObject body and largest appendable object: 5 GiB. */
  readonly maxPutSize: number;
  /** Largest object (multipart): 48.8 TiB. */
  readonly maxObjectSize: number;
  /** Object key length in UTF-8 bytes: 1..1023. */
  readonly maxKeyBytes: number;
  /** Most entries in one ListParts / ListMultipartUploads page. */
  readonly maxListPage: number;
  /** Allowed clock skew: 15 minutes. */
  readonly maxClockSkewMs: number;
}

/** The real service's limits. */
export const LIMITS: OssLimits = Object.freeze({
  minPartSize: 100 * KiB,
  maxPartSize: 5 * GiB,
  maxParts: 10_000,
  maxPutSize: 5 * GiB,
  // 48.8 TiB as OSS documents it (10,000 parts of ~5 GiB)
  maxObjectSize: Math.floor(48.8 * 1024 * GiB),
  maxKeyBytes: 1023,
  maxListPage: 1000,
  maxClockSkewMs: 15 * 60 * 1000,
});

/** Library defaults. Every resolver below reads these, nothing else hard-codes a default. */
export const DEFAULTS = Object.freeze({
  /** Region used for V4 signing when none is given nor derivable from the endpoint. */
  region: 'cn-hangzhou',
  signatureVersion: 'v4' as 'v4' | 'v1',
  /** Keep-alive connections per origin; at least the largest concurrency you use. */
  connectionPoolSize: 16,
  /** Connect timeout. */
  connectTimeoutMs: 10_000,
  /** Time to wait for response headers once the request body is sent. */
  headersTimeoutMs: 60_000,
  /** Longest silence while reading a response body. */
  bodyTimeoutMs: 60_000,
  /** Extra attempts for retryable failures when the body can be replayed. */
  retries: 3,
  /** Full-jitter backoff base and ceiling. */
  retryBaseDelayMs: 200,
  retryMaxDelayMs: 20_000,
  /** Multipart part size for streams. */
  partSize: 8 * MiB,
  /** Parts in flight. */
  concurrency: 4,
  /** oss2's preferred part size and resumable threshold. */
  preferredPartSize: 10 * MiB,
  multipartThreshold: 10 * MiB,
  /** Append stream batching. */
  appendFlushBytes: 1 * MiB,
  appendFlushIntervalMs: 1_000,
});

/** Constructor options of a {@link Bucket} client. */
export interface ClientOptions {
  /** Region for V4 signing (`cn-hangzhou`); derived from `oss-<region>.aliyuncs.com` endpoints when omitted. */
  region?: string;
  /** `'v4'` (default) or `'v1'`. */
  signatureVersion?: 'v4' | 'v1';
  /** Force path-style (`/bucket/key`) addressing; automatic for IP and localhost endpoints. */
  pathStyle?: boolean;
  /** The endpoint is a CNAME bound to the bucket: no bucket in host or path. */
  cname?: boolean;
  /** Bring your own undici `Dispatcher` (Agent, Pool, MockAgent for your tests…). */
  dispatcher?: unknown;
  /** Keep-alive connections per origin (default 16). */
  connectionPoolSize?: number;
  /** One timeout for connect, headers and body idle, overriding the three below. */
  timeoutMs?: number;
  connectTimeoutMs?: number;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  /** Extra attempts for retryable failures with replayable bodies (default 3; 0 disables). */
  retries?: number;
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  /** Service limits; override only to test with smaller numbers. */
  limits?: Partial<OssLimits>;
}

/** {@link ClientOptions} with every default applied. */
export interface ResolvedClientOptions {
  readonly region: string | undefined;
  readonly signatureVersion: 'v4' | 'v1';
  readonly pathStyle: boolean | undefined;
  readonly cname: boolean;
  readonly dispatcher: unknown;
  readonly connectionPoolSize: number;
  readonly connectTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  readonly retries: number;
  readonly retryBaseDelayMs: number;
  readonly retryMaxDelayMs: number;
  readonly limits: OssLimits;
}

/** Throws unless `value` is an integer in `[min, max]`. */
export function checkInteger(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new OssArgumentError(
      `${name} must be an integer from ${min} to ${max}, got ${typeof value === 'number' ? value : typeof value}`,
      name,
    );
  }
  return value;
}

/** Merges partial limits over the service's, validating each. */
export function resolveLimits(limits: Partial<OssLimits> | undefined): OssLimits {
  if (limits === undefined) return LIMITS;
  const merged = { ...LIMITS, ...limits };
  for (const [k, v] of Object.entries(merged)) checkInteger(`limits.${k}`, v, 1);
  return Object.freeze(merged);
}

/** Applies defaults to client options once; downstream code only sees the resolved, frozen object. */
export function resolveClientOptions(opts: ClientOptions = {}): ResolvedClientOptions {
  const sv = opts.signatureVersion ?? DEFAULTS.signatureVersion;
  if (sv !== 'v4' && sv !== 'v1') throw new OssArgumentError(`signatureVersion must be 'v4' or 'v1', got ${String(sv)}`, 'signatureVersion');
  const t = opts.timeoutMs;
  return Object.freeze({
    region: opts.region,
    signatureVersion: sv,
    pathStyle: opts.pathStyle,
    cname: opts.cname ?? false,
    dispatcher: opts.dispatcher,
    connectionPoolSize: checkInteger('connectionPoolSize', opts.connectionPoolSize ?? DEFAULTS.connectionPoolSize, 1, 1024),
    connectTimeoutMs: checkInteger('connectTimeoutMs', opts.connectTimeoutMs ?? t ?? DEFAULTS.connectTimeoutMs, 1),
    headersTimeoutMs: checkInteger('headersTimeoutMs', opts.headersTimeoutMs ?? t ?? DEFAULTS.headersTimeoutMs, 1),
    bodyTimeoutMs: checkInteger('bodyTimeoutMs', opts.bodyTimeoutMs ?? t ?? DEFAULTS.bodyTimeoutMs, 1),
    retries: checkInteger('retries', opts.retries ?? DEFAULTS.retries, 0, 100),
    retryBaseDelayMs: checkInteger('retryBaseDelayMs', opts.retryBaseDelayMs ?? DEFAULTS.retryBaseDelayMs, 0),
    retryMaxDelayMs: checkInteger('retryMaxDelayMs', opts.retryMaxDelayMs ?? DEFAULTS.retryMaxDelayMs, 0),
    limits: resolveLimits(opts.limits),
  });
}

/** Defaults of the log sink (`createLogSink`), the pino transport and `oss-stream ship`. */
export const LOG_DEFAULTS = Object.freeze({
  /** An object rolls before it would pass this size; never more than `limits.maxPutSize` (5 GiB). */
  rollBytes: 1 * GiB,
  /** Ship a batch (whole lines) at this many bytes… */
  flushBytes: 1 * MiB,
  /** …or after this long. */
  flushIntervalMs: 1_000,
  /** zlib level of `compress: 'gzip'` (1 fastest … 9 smallest). */
  gzipLevel: 6,
  /** Spool: how often the write-ahead file is fsynced (0: before every write callback). */
  spoolFsyncIntervalMs: 1_000,
  /** `oss-stream ship`: how often files are polled when no file-system event came. */
  pollIntervalMs: 250,
});
