/**
 * The transport: the project's only undici import. One keep-alive `Agent` per client, re-signing retries with full
 * jitter, clock-skew correction, byte-accurate request-body progress, and errors mapped to {@link OssError}s.
 *
 * What is retried (up to `retries` extra attempts) and how long to wait between attempts is decided by
 * `core/retry-policy.ts`: network errors, HTTP 5xx, 429, 408 and 403 `RequestTimeTooSkewed`. A body is resent only
 * when it can be replayed: bytes and strings are resent as they are, file ranges are reopened, and a caller's stream
 * is resent only if not one chunk was pulled from it yet (e.g. the connection was refused).
 *
 * Diagnostics: every retry is published on the `node:diagnostics_channel` channel {@link RETRY_CHANNEL}; the
 * message never holds headers (they carry credentials).
 */
import { channel } from 'node:diagnostics_channel';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { Agent, type Dispatcher } from 'undici';
import { DEFAULTS, type ResolvedClientOptions } from '../config.js';
import { OssAbortError, OssArgumentError, OssError, OssServiceError } from '../errors.js';
import {
  networkCode,
  retryDelayMs,
  retryVerdict,
  TIMEOUT_CODES,
  waitToRetry,
  type Backoff,
  type RetryVerdict,
} from './retry-policy.js';
import { serviceErrorFrom } from './service-error.js';

/**
 * A request body.
 * - `undefined`, `Uint8Array`, `string`: replayable, resent as is on a retry.
 * - `{ kind: 'file' }`: the byte range `[offset, offset + length)` of a file, reopened for every attempt.
 * - `{ kind: 'stream' }`: a one-shot source. It is retried only if no chunk was pulled from it yet; once the request
 *   fails after a chunk was pulled, a `Readable` source is destroyed (without an error, so no `'error'` event).
 *
 * Set `content-length` in the request headers when the length is known; it is added automatically for bytes and
 * file ranges. A stream without `content-length` is sent with `transfer-encoding: chunked`.
 */
export type RequestBody =
  | undefined
  | Uint8Array
  | string
  | { kind: 'file'; path: string; offset: number; length: number }
  | { kind: 'stream'; stream: Readable | AsyncIterable<Uint8Array> };

/** One logical request; {@link HttpClient.request} may send it several times. */
export interface HttpRequest {
  /** Upper-case HTTP method. */
  method: string;
  /** Absolute URL, query included and already encoded (exactly what was signed). */
  url: string;
  /** Request headers with lower-case names. Never mutated: each attempt signs a shallow copy. */
  headers: Record<string, string>;
  body?: RequestBody;
  /** OSS operation name (`PutObject`…), for errors and diagnostics. */
  operation: string;
  /**
   * Called before EVERY attempt with a copy of {@link headers} and the skew-corrected current time: sign afresh (a
   * new date per attempt). May mutate and return its argument. Returns the headers to send.
   */
  sign(headers: Record<string, string>, now: Date): Record<string, string> | Promise<Record<string, string>>;
  /** Aborts the request and any backoff wait; the request then rejects with {@link OssAbortError}. */
  signal?: AbortSignal | undefined;
  /**
   * Bytes of this attempt's body accepted by the socket so far, called as undici pulls the body (so it follows
   * backpressure). Monotonic within an attempt; a retry starts again from 0 with `attempt` increased (1-based).
   */
  onBodyProgress?(attemptBytes: number, attempt: number): void;
  /**
   * Sees every byte of this attempt's body as it is handed to undici (an in-memory body without progress is seen
   * whole, once per attempt). Used to hash exactly what was sent; must not keep the chunk.
   */
  onBodyChunk?(chunk: Uint8Array, attempt: number): void;
  /** Extra attempts for this request, overriding the client's `retries`. */
  retries?: number;
  /**
   * Called with each failure that will be retried, before the backoff wait (a sink backs off its concurrency on a
   * throttled answer: see `isThrottled` in `core/retry-policy.ts`).
   */
  onRetry?(failure: unknown): void;
  /** Statuses that count as success; default 200..299. */
  expectedStatus?: readonly number[];
}

/** A successful answer. The body is NOT read: consume it, or call {@link dump} to free the connection. */
export interface HttpResponse {
  status: number;
  /** Response headers, lower-case names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /** `x-oss-request-id`. */
  requestId: string | undefined;
  body: Readable;
  /** Reads the whole body as UTF-8. */
  text(): Promise<string>;
  /** Discards the body (small bodies keep the connection alive). */
  dump(): Promise<void>;
  /** Attempts it took, 1 when the first one succeeded. */
  attempts: number;
}

/** Message published on {@link RETRY_CHANNEL} before each backoff. */
export interface RetryEvent {
  operation: string;
  /** The attempt that failed (1-based). */
  attempt: number;
  /** Backoff before the next attempt. */
  delayMs: number;
  /** OSS error code or network error code (`ECONNRESET`, `UND_ERR_HEADERS_TIMEOUT`…). */
  code: string;
  /** HTTP status, `-1` for network errors. */
  status: number;
}

/** `node:diagnostics_channel` name of the retry events ({@link RetryEvent}). */
export const RETRY_CHANNEL = 'oss-stream:request:retry';

/** Error bodies beyond this are cut: an `<Error>` document is a few hundred bytes. */
const MAX_ERROR_BODY = 1024 * 1024;
/** Largest slice of an in-memory body handed to the socket at once when progress is reported. */
const SLICE = 64 * 1024;
/** A server `Date` further than this from the local clock is taken as the truth (its resolution is 1 s). */
const SKEW_THRESHOLD_MS = 60_000;

const retryChannel = channel(RETRY_CHANNEL);

/** Per-attempt bookkeeping: whether a one-shot source was touched, and the file stream to close on failure. */
interface Attempt {
  touched: boolean;
  opened: Readable | undefined;
}

class Response implements HttpResponse {
  constructor(
    readonly status: number,
    readonly headers: Record<string, string>,
    readonly requestId: string | undefined,
    readonly body: Dispatcher.ResponseData['body'],
    readonly attempts: number,
  ) {}

  text(): Promise<string> {
    return this.body.text();
  }

  async dump(): Promise<void> {
    await this.body.dump();
  }
}

/**
 * HTTP client of one OSS client: owns (or borrows) the undici dispatcher and the measured clock skew.
 *
 * @example
 * ```ts
 * const http = new HttpClient(resolveClientOptions({ retries: 2 }));
 * const res = await http.request({ method: 'GET', url, headers: {}, operation: 'GetObject', sign: (h) => h });
 * console.log(await res.text());
 * await http.close();
 * ```
 */
export class HttpClient {
  readonly #opts: ResolvedClientOptions;
  readonly #dispatcher: Dispatcher;
  readonly #owned: boolean;
  readonly #backoff: Backoff;
  #closing: Promise<void> | undefined;
  #skewMs = 0;
  #lastDate: string | undefined;

  /**
   * Uses `opts.dispatcher` when given (never closed by {@link close}); otherwise one keep-alive `Agent` with
   * `connectionPoolSize` connections per origin, no pipelining, and the connect/headers/body timeouts. The headers
   * and body timeouts are also passed per request, so they apply to a caller's dispatcher too; undici checks them on
   * a coarse clock (about one second).
   */
  constructor(opts: ResolvedClientOptions) {
    this.#opts = opts;
    const { retryBaseDelayMs: baseDelayMs, retryMaxDelayMs: maxDelayMs } = opts;
    this.#backoff = { baseDelayMs, maxDelayMs, jitter: DEFAULTS.retryJitter };
    const given = opts.dispatcher as Dispatcher | undefined;
    if (given !== undefined && given !== null) {
      if (typeof given.request !== 'function') {
        throw new OssArgumentError('dispatcher must be an undici Dispatcher (Agent, Pool, MockAgent…)', 'dispatcher');
      }
      this.#dispatcher = given;
      this.#owned = false;
    } else {
      this.#dispatcher = new Agent({
        connections: opts.connectionPoolSize,
        pipelining: 1,
        connect: { timeout: opts.connectTimeoutMs },
        headersTimeout: opts.headersTimeoutMs,
        bodyTimeout: opts.bodyTimeoutMs,
      });
      this.#owned = true;
    }
  }

  /** Server time minus local time, in ms, as last learned from a response `Date`; 0 while within a minute. */
  get clockSkewMs(): number {
    return this.#skewMs;
  }

  /**
   * Sends `req`, retrying retryable failures with full-jitter backoff (`random(0, min(max, base × 2^n))`, at least
   * `x-oss-qos-delay-time`). Resolves on success with the body unread. Rejects with the service error of the last
   * answer ({@link OssServiceError}), an {@link OssError} `RequestTimeout` / `NetworkError` (status -1, `cause` =
   * the network error) or `RequestError` (undici refused the request: closed client, content-length mismatch…),
   * {@link OssAbortError} when `signal` aborts, or the body source's or `sign`'s own error as is.
   */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const { signal } = req;
    const maxRetries = req.retries ?? this.#opts.retries;
    const { origin, path } = splitUrl(req.url);
    const method = req.method as Dispatcher.HttpMethod;
    // A string is encoded once per request, not per attempt, when it has to be sliced for progress.
    const body =
      typeof req.body === 'string' && (req.onBodyProgress !== undefined || req.onBodyChunk !== undefined)
        ? Buffer.from(req.body, 'utf8')
        : req.body;
    const knownLength = bodyLength(body);
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw abortError(signal);
      const state: Attempt = { touched: false, opened: undefined };
      let failure: unknown;
      try {
        // Not `{ ...headers }`: signing adds headers to the copy, and adding to a spread clone costs V8 ~3 µs more.
        const copy: Record<string, string> = Object.assign({}, req.headers);
        if (knownLength !== undefined && copy['content-length'] === undefined)
          copy['content-length'] = String(knownLength);
        const headers = await req.sign(copy, new Date(Date.now() + this.#skewMs));
        if (signal?.aborted) throw abortError(signal);
        const res = await this.#dispatcher.request({
          origin,
          path,
          method,
          headers,
          body: attemptBody(
            body,
            req.onBodyProgress,
            req.onBodyChunk,
            attempt,
            state,
          ) as Dispatcher.DispatchOptions['body'],
          signal,
          headersTimeout: this.#opts.headersTimeoutMs,
          bodyTimeout: this.#opts.bodyTimeoutMs,
        });
        const resHeaders = flatten(res.headers);
        this.#observeDate(resHeaders.date);
        const status = res.statusCode;
        if (req.expectedStatus === undefined ? status >= 200 && status < 300 : req.expectedStatus.includes(status)) {
          return new Response(status, resHeaders, resHeaders['x-oss-request-id'], res.body, attempt);
        }
        const text = await readBounded(res.body, MAX_ERROR_BODY);
        failure = serviceErrorFrom({ status, headers: resHeaders, body: text, operation: req.operation });
      } catch (err) {
        failure = err;
      }
      // Every path that gets here failed: release what this attempt opened before deciding anything.
      state.opened?.destroy();
      const spent = isStreamBody(body) && state.touched;
      const verdict = signal?.aborted ? undefined : this.#classify(failure);
      if (verdict === undefined || attempt > maxRetries || spent) {
        if (spent) destroySource(body.stream);
        throw signal?.aborted ? abortError(signal) : finalError(failure, verdict);
      }
      const delayMs = retryDelayMs(attempt - 1, failure, this.#backoff);
      req.onRetry?.(failure);
      if (retryChannel.hasSubscribers) {
        retryChannel.publish({
          operation: req.operation,
          attempt,
          delayMs,
          code: verdict.code,
          status: verdict.status,
        } satisfies RetryEvent);
      }
      await waitToRetry(delayMs, signal);
    }
  }

  /** Closes the owned Agent (waits for requests in flight); a caller's dispatcher is left open. */
  async close(): Promise<void> {
    if (this.#owned) await (this.#closing ??= this.#dispatcher.close());
  }

  /** The retry verdict of `err`; a skewed clock is corrected first, so the next attempt is signed right. */
  #classify(err: unknown): RetryVerdict | undefined {
    if (err instanceof OssServiceError && err.code === 'RequestTimeTooSkewed') {
      // The Date header was already taken into account; the body's ServerTime covers answers without one.
      const serverTime = err.details?.body?.ServerTime;
      if (serverTime !== undefined && err.details.headers?.date === undefined) this.#setSkew(Date.parse(serverTime));
    }
    return retryVerdict(err);
  }

  #observeDate(date: string | undefined): void {
    // The header only changes once a second: parse each value once.
    if (date === undefined || date === this.#lastDate) return;
    this.#lastDate = date;
    this.#setSkew(Date.parse(date));
  }

  #setSkew(serverMs: number): void {
    if (Number.isNaN(serverMs)) return;
    const diff = serverMs - Date.now();
    this.#skewMs = Math.abs(diff) > SKEW_THRESHOLD_MS ? diff : 0;
  }
}

/** `undefined` when the length is unknown (streams) or when undici measures it itself (a whole string, no body). */
function bodyLength(body: RequestBody): number | undefined {
  if (body === undefined || typeof body === 'string') return undefined;
  if (body instanceof Uint8Array) return body.byteLength;
  return body.kind === 'file' ? body.length : undefined;
}

function isStreamBody(body: RequestBody): body is { kind: 'stream'; stream: Readable | AsyncIterable<Uint8Array> } {
  return typeof body === 'object' && !(body instanceof Uint8Array) && body.kind === 'stream';
}

/** What undici sends for this attempt. Plain bodies go straight through; progress needs a pulled iterable. */
function attemptBody(
  body: RequestBody,
  progress: HttpRequest['onBodyProgress'],
  observe: HttpRequest['onBodyChunk'],
  attempt: number,
  state: Attempt,
): unknown {
  if (body === undefined) return undefined;
  if (typeof body === 'string') return body; // only when nobody watches: see request()
  if (body instanceof Uint8Array) {
    const bytes = body;
    if (progress === undefined || bytes.byteLength === 0) {
      // Seen whole: hashing it here, right before the send, costs one pass over bytes that are about to be copied
      // into the socket anyway, and keeps the fast path (undici writes the buffer in one go).
      observe?.(bytes, attempt);
      return bytes;
    }
    return slices(bytes, progress, observe, attempt);
  }
  if (body.kind === 'file') {
    if (body.length === 0) return undefined;
    // Large reads are cheaper; with a progress callback, smaller ones keep the reports fine-grained.
    const highWaterMark = progress === undefined ? 1024 * 1024 : 256 * 1024;
    const file = createReadStream(body.path, { start: body.offset, end: body.offset + body.length - 1, highWaterMark });
    state.opened = file;
    return progress === undefined && observe === undefined ? file : counted(file, progress, observe, attempt, state);
  }
  return counted(body.stream, progress, observe, attempt, state);
}

/** Views (no copies) of at most {@link SLICE} bytes; progress is reported when undici asks for the next one. */
function* slices(
  bytes: Uint8Array,
  progress: (n: number, attempt: number) => void,
  observe: ((chunk: Uint8Array, attempt: number) => void) | undefined,
  attempt: number,
): Generator<Uint8Array> {
  for (let start = 0; start < bytes.byteLength; start += SLICE) {
    const end = Math.min(start + SLICE, bytes.byteLength);
    const view = bytes.subarray(start, end);
    observe?.(view, attempt);
    yield view;
    progress(end, attempt);
  }
}

async function* counted(
  source: AsyncIterable<Uint8Array | string>,
  progress: ((n: number, attempt: number) => void) | undefined,
  observe: ((chunk: Uint8Array, attempt: number) => void) | undefined,
  attempt: number,
  state: Attempt,
): AsyncGenerator<Uint8Array | string> {
  state.touched = true;
  let sent = 0;
  for await (const raw of source) {
    const chunk = typeof raw === 'string' && observe !== undefined ? Buffer.from(raw, 'utf8') : raw;
    if (observe !== undefined) observe(chunk as Uint8Array, attempt);
    yield chunk;
    if (progress !== undefined) {
      sent += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
      progress(sent, attempt);
    }
  }
}

function destroySource(source: Readable | AsyncIterable<Uint8Array>): void {
  const s = source as Partial<Readable>;
  if (typeof s.destroy === 'function' && s.destroyed !== true) s.destroy();
}

/** Origin and path without a `URL` object per request. */
function splitUrl(url: string): { origin: string; path: string } {
  const scheme = url.indexOf('://');
  if (scheme <= 0) throw new OssArgumentError(`request url must be absolute, got ${url}`, 'url');
  let i = scheme + 3;
  while (i < url.length && url.charCodeAt(i) !== 47 /* / */ && url.charCodeAt(i) !== 63 /* ? */) i++;
  const rest = url.slice(i);
  return { origin: url.slice(0, i), path: rest === '' ? '/' : rest.startsWith('?') ? `/${rest}` : rest };
}

/** undici's header object, with repeated headers joined so every value is a string (mutated in place). */
function flatten(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  for (const name in headers) {
    const value = headers[name];
    if (Array.isArray(value)) headers[name] = value.join(', ');
  }
  return headers as Record<string, string>;
}

async function readBounded(body: Readable, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    const room = limit - size;
    if (chunk.byteLength >= room) {
      chunks.push(chunk.subarray(0, room));
      size = limit;
      break; // destroys the rest; the connection is not worth saving for a runaway error body
    }
    chunks.push(chunk);
    size += chunk.byteLength;
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

/**
 * Network failures become `RequestTimeout` / `NetworkError`, other undici refusals (closed client, content-length
 * mismatch, invalid header) `RequestError`, all with status -1 and the original as `cause`. Errors of the body
 * source (unreadable file, failing caller stream) and of `sign` are the caller's own: passed through as they are.
 */
function finalError(err: unknown, verdict: RetryVerdict | undefined): unknown {
  if (err instanceof OssError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const code = verdict?.code ?? networkCode(err);
  if (code !== undefined) {
    return TIMEOUT_CODES.has(code)
      ? new OssError(`Request timed out (${code}): ${message}`, { code: 'RequestTimeout', status: -1, cause: err })
      : new OssError(`Network error (${code}): ${message}`, { code: 'NetworkError', status: -1, cause: err });
  }
  const own = (err as { code?: unknown } | null)?.code;
  if (typeof own === 'string' && own.startsWith('UND_ERR_')) {
    return new OssError(`Request could not be sent (${own}): ${message}`, {
      code: 'RequestError',
      status: -1,
      cause: err,
    });
  }
  return err;
}

function abortError(signal: AbortSignal): OssAbortError {
  return new OssAbortError('The request was aborted', signal.reason);
}
