/**
 * Every default and every OSS limit lives here, resolved once per public surface. Limits are options too, so tests
 * can shrink them (e.g. a 1 KiB minimum part) without touching module state.
 */
import { constants as bufferConstants } from 'node:buffer';
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
  /**
   * Keep-alive connections per origin; at least the largest concurrency you use. Opened only as requests need
   * them; `concurrency: 'auto'` never keeps more parts in flight than this.
   */
  connectionPoolSize: 64,
  /** Connect timeout. */
  connectTimeoutMs: 10_000,
  /** Time to wait for response headers once the request body is sent. */
  headersTimeoutMs: 60_000,
  /** Longest silence while reading a response body. */
  bodyTimeoutMs: 60_000,
  /** Extra attempts for retryable failures when the body can be replayed. */
  retries: 3,
  /** Backoff base and ceiling of every request (see `core/retry-policy.ts`). */
  retryBaseDelayMs: 200,
  retryMaxDelayMs: 20_000,
  /** Requests spread their retries the most: full jitter. */
  retryJitter: 'full' as 'full' | 'equal',
  /**
   * `x-oss-qos-delay-time` (milliseconds, per the OSS limits page) is waited at least before a retry, but no longer
   * than this, so a bogus value cannot stall a request or a stream.
   */
  maxQosDelayMs: 60_000,
  /** Multipart part size, for the stream sinks and resumableUpload alike. */
  partSize: 8 * MiB,
  /**
   * Parts in flight (`concurrency`; resumableUpload also reads its deprecated alias `parallel`): a number, or
   * `'auto'` (found while uploading, see `parts/concurrency-tuner.ts`). `'auto'` is the default since it matched
   * or beat a fixed 4 in every cell of the link model (bench scenario `link`), within `maxMemory`.
   */
  concurrency: 'auto' as Concurrency,
  /**
   * `concurrency: 'auto'`: the most part buffers an upload may hold, the part being filled included; with the part
   * size it bounds the window (256 MiB ÷ 8 MiB parts: 31 in flight and one filling).
   */
  maxMemory: 256 * MiB,
  /** resumableUpload: files up to this size go up with one PutObject. */
  multipartThreshold: 10 * MiB,
  /**
   * Longest wait for a failed upload's cleanup (AbortMultipartUpload) before its error is reported anyway: long
   * enough for a live network, short enough that a dead one cannot hang the exit of a script.
   */
  cleanupTimeoutMs: 5_000,
  /** Append stream batching. */
  appendFlushBytes: 1 * MiB,
  appendFlushIntervalMs: 1_000,
  /**
   * Append stream retries: longer than the client's, so a log shipper rides out a server restart instead of losing
   * the lines it holds. 10 retries backing off 250 ms → 8 s (equal jitter) keep trying for 24–48 s.
   */
  appendRetries: 10,
  appendRetryBaseDelayMs: 250,
  appendRetryMaxDelayMs: 8_000,
  /** Equal jitter gives the time an append stream keeps retrying a floor: the outage it survives is a guarantee. */
  appendRetryJitter: 'equal' as 'full' | 'equal',
});

/** Parts in flight: a fixed number (1..1000), or `'auto'`: found while uploading, within `maxMemory`. */
export type Concurrency = number | 'auto';

/** Longest validity of a presigned URL, in seconds (7 days): the V4 limit, which V1 URLs are held to as well. */
export const MAX_PRESIGN_EXPIRES_SECONDS = 604_800;

/**
 * The largest Buffer this Node can allocate (`buffer.constants.MAX_LENGTH`: 4 GiB on Node 20, more on later
 * versions). A part held in memory (the stream sinks) cannot be larger, whatever OSS allows.
 */
export const MAX_BUFFER_BYTES: number = bufferConstants.MAX_LENGTH;

/**
 * A request body from a file of at most this many bytes (a `FileSlice`: `putObjectFromFile`, the small files
 * of `resumableUpload`, `uploadPart` of a slice) is read into a pooled buffer and sent, and resent, from memory:
 * reading into reused memory costs a third of the CPU of streaming the file through fresh buffers. Larger slices
 * stream from the file, so a 5 GiB put never holds 5 GiB.
 */
export const MAX_BUFFERED_FILE_BODY = 16 * MiB;

/**
 * The process-wide pool of part buffers kept between uploads (`lib/parts/buffer-pool.ts`): at most `maxIdleBytes`
 * idle, all dropped `idleMs` after the last upload took or gave one. Fresh memory is what an upload that finds the
 * pool empty pays for: on the VMs here (virtio-balloon free page reporting, which hands every freed 2 MiB block back
 * to the host) a fresh MiB costs 1–3 ms of CPU on first touch. With 2 s, uploads a few seconds apart found the pool
 * empty every time: 0.66–0.75 s of client CPU per GiB at 8 MiB × 4 and 1.37 s with `'auto'`, against 0.58–0.60 and
 * 0.59–0.61 with the buffers kept (bench/tools/client-cpu.ts, the uploads taking turns with other clients). 30 s
 * covers uploads that follow one another with pauses between; `releasePartBuffers()` drops them at once.
 */
export const PART_BUFFER_POOL = Object.freeze({ maxIdleBytes: 256 * MiB, idleMs: 30_000 });

/**
 * `resumableUpload` writes its checkpoint at most once a second while parts are stored (and at once when the upload
 * stops, fails or is aborted). Each save is a temp file, two fsyncs and a rename: after every 8 MiB part that cost
 * 0.08–0.13 s of client CPU per GiB on the machines here (A/B in one session). Nothing is lost by spacing them:
 * a resumed upload lists the parts the server holds, and keeps those the record does not know yet once their file
 * range hashes to the listed CRC64, so after a `kill -9` it still sends again only the parts that were on the wire.
 */
export const CHECKPOINT_INTERVAL_MS = 1000;

/** The largest part a sink can hold in memory: the service's limit, or this Node's Buffer limit if lower. */
export function maxBufferedPartSize(limits: OssLimits): number {
  return Math.min(limits.maxPartSize, MAX_BUFFER_BYTES);
}

/**
 * Throws unless `value` is an integer from `min` to `serviceMax` that this Node can allocate as one Buffer, with a
 * message that says which limit was hit: a RangeError from the allocation would come later, outside any promise,
 * with an upload already open.
 */
export function checkBufferSize(name: string, value: unknown, min: number, serviceMax: number): number {
  const max = Math.min(serviceMax, MAX_BUFFER_BYTES);
  if (typeof value === 'number' && Number.isInteger(value) && value > max && value <= serviceMax) {
    throw new OssArgumentError(
      `${name} ${value} is over ${max} bytes, the largest Buffer Node ${process.versions.node} can allocate ` +
        `(buffer.constants.MAX_LENGTH); it is held in memory, so use a ${name} of at most ${max}`,
      name,
    );
  }
  return checkInteger(name, value, min, max);
}

/** {@link checkBufferSize} for a part size: from `limits.minPartSize` to {@link maxBufferedPartSize}. */
export function checkBufferedPartSize(name: string, value: unknown, limits: OssLimits): number {
  return checkBufferSize(name, value, limits.minPartSize, limits.maxPartSize);
}

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
  /** Keep-alive connections per origin (default 64; also the ceiling of `concurrency: 'auto'`). */
  connectionPoolSize?: number;
  /** One timeout for connect, headers and body idle; each of the three below, when given, wins over it. */
  timeoutMs?: number;
  connectTimeoutMs?: number;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  /** Extra attempts for retryable failures with replayable bodies (default 3; 0 disables). */
  retries?: number;
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  /**
   * Longest wait (default 5 s) for a failed or cancelled upload's cleanup (AbortMultipartUpload) before the sink
   * reports its error anyway, and for in-flight uploads to clean up when {@link Bucket.close} is called.
   */
  cleanupTimeoutMs?: number;
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
  readonly cleanupTimeoutMs: number;
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

/** Throws unless `value` is `'auto'` or an integer from 1 to 1000. */
export function checkConcurrency(name: string, value: unknown): Concurrency {
  if (value === 'auto') return value;
  if (typeof value === 'string') {
    throw new OssArgumentError(`${name} must be 'auto' or an integer from 1 to 1000, got '${value}'`, name);
  }
  return checkInteger(name, value, 1, 1000);
}

/**
 * Parts in flight: `concurrency` (default {@link DEFAULTS}.concurrency), the one name for parallelism; `parallel`,
 * where an option had that name, is kept as a deprecated alias. Both given must agree.
 */
export function resolveConcurrency(opts: {
  concurrency?: Concurrency | undefined;
  parallel?: number | undefined;
}): Concurrency {
  const { concurrency, parallel } = opts;
  if (concurrency !== undefined && parallel !== undefined && concurrency !== parallel) {
    throw new OssArgumentError(
      `concurrency ${concurrency} and its deprecated alias parallel ${parallel} disagree: pass only concurrency`,
      'concurrency',
    );
  }
  if (concurrency === undefined && parallel !== undefined) return checkInteger('parallel', parallel, 1, 1000);
  return checkConcurrency('concurrency', concurrency ?? DEFAULTS.concurrency);
}

/**
 * The most parts `concurrency: 'auto'` keeps in flight: what `maxMemory` holds besides the part being filled, and
 * never more than the connections the client keeps per origin (a part waiting for a connection holds its buffer
 * and measures nothing). At least 1.
 */
export function autoConcurrencyMax(maxMemory: number, partSize: number, connections: number): number {
  return Math.max(1, Math.min(connections, Math.floor(maxMemory / Math.max(1, partSize)) - 1, 1000));
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
  if (sv !== 'v4' && sv !== 'v1')
    throw new OssArgumentError(`signatureVersion must be 'v4' or 'v1', got ${String(sv)}`, 'signatureVersion');
  // Checked under its own name: a bad timeoutMs must not be reported as the first timeout it feeds.
  const t = opts.timeoutMs === undefined ? undefined : checkInteger('timeoutMs', opts.timeoutMs, 1);
  return Object.freeze({
    region: opts.region,
    signatureVersion: sv,
    pathStyle: opts.pathStyle,
    cname: opts.cname ?? false,
    dispatcher: opts.dispatcher,
    connectionPoolSize: checkInteger(
      'connectionPoolSize',
      opts.connectionPoolSize ?? DEFAULTS.connectionPoolSize,
      1,
      1024,
    ),
    connectTimeoutMs: checkInteger('connectTimeoutMs', opts.connectTimeoutMs ?? t ?? DEFAULTS.connectTimeoutMs, 1),
    headersTimeoutMs: checkInteger('headersTimeoutMs', opts.headersTimeoutMs ?? t ?? DEFAULTS.headersTimeoutMs, 1),
    bodyTimeoutMs: checkInteger('bodyTimeoutMs', opts.bodyTimeoutMs ?? t ?? DEFAULTS.bodyTimeoutMs, 1),
    retries: checkInteger('retries', opts.retries ?? DEFAULTS.retries, 0, 100),
    retryBaseDelayMs: checkInteger('retryBaseDelayMs', opts.retryBaseDelayMs ?? DEFAULTS.retryBaseDelayMs, 0),
    retryMaxDelayMs: checkInteger('retryMaxDelayMs', opts.retryMaxDelayMs ?? DEFAULTS.retryMaxDelayMs, 0),
    cleanupTimeoutMs: checkInteger('cleanupTimeoutMs', opts.cleanupTimeoutMs ?? DEFAULTS.cleanupTimeoutMs, 1),
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
  /**
   * `oss-stream ship`, uncompressed: one record in the state file covers the appends of up to this many bytes of one
   * file into one object (a crash inside them is resolved from the object's length), so the state is written once
   * per run, not once per batch. The bound is how far a restart trusts a length it did not see appended.
   */
  shipRunBytes: 64 * MiB,
  /**
   * `oss-stream ship`: while more than a batch is waiting in the files (catching up after a burst or a restart),
   * batches of up to this many times `flushBytes`: fewer round trips per MB; memory is one such batch.
   */
  shipCatchUpBatches: 4,
});
