/**
 * The request path every operation in `lib/api/` shares: where to send (endpoint, bucket, key, query), how to sign
 * (V4 or V1, fresh per attempt), and the transport. One context per {@link Bucket} client.
 */
import { resolveClientOptions, type ClientOptions, type ResolvedClientOptions } from '../config.js';
import type { CredentialsProvider } from '../core/credentials.js';
import { buildObjectUrl, checkEndpointForBucket, resolveEndpoint, type ResolvedEndpoint } from '../core/endpoint.js';
import { HttpClient, type HttpResponse, type RequestBody } from '../core/http.js';
import { presignV1, signRequestV1, type SignableRequest, type SigningCredentials } from '../core/sign-v1.js';
import { presignV4, signRequestV4 } from '../core/sign-v4.js';
import { validateBucketName } from '../core/validate.js';
import { DEFAULTS } from '../config.js';
import { OssAbortError, OssArgumentError } from '../errors.js';

/** One OSS request as an operation describes it. */
interface OssRequest {
  /** OSS operation name, for errors and diagnostics. */
  operation: string;
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';
  /** Object key (raw); omit for bucket-level requests. */
  key?: string | undefined;
  /** Query parameters; `null` is a bare sub-resource (`?uploads`). */
  query?: Record<string, string | null> | undefined;
  /** Request headers, lower-case names. */
  headers?: Record<string, string> | undefined;
  body?: RequestBody;
  signal?: AbortSignal | undefined;
  onBodyProgress?: ((attemptBytes: number, attempt: number) => void) | undefined;
  onBodyChunk?: ((chunk: Uint8Array, attempt: number) => void) | undefined;
  retries?: number | undefined;
  onRetry?: ((failure: unknown) => void) | undefined;
  expectedStatus?: readonly number[] | undefined;
}

/** An upload in flight that {@link OssContext.close} must stop (and wait for) before the connections go. */
interface InFlightUpload {
  /** Stops the upload with `reason` and resolves once its cleanup is over. */
  cancel(reason: Error): Promise<void>;
}

/** Endpoint, bucket, credentials and transport of one client. */
export class OssContext {
  readonly bucket: string;
  readonly endpoint: ResolvedEndpoint;
  readonly options: ResolvedClientOptions;
  /** Region used for V4 signing. */
  readonly region: string;
  readonly http: HttpClient;
  readonly #credentials: CredentialsProvider;
  readonly #uploads = new Set<InFlightUpload>();
  /** The credentials the last request was signed with: what a synchronous signature at process exit can use. */
  #lastCredentials: SigningCredentials | undefined;

  constructor(credentials: CredentialsProvider, endpoint: string, bucket: string, opts: ClientOptions = {}) {
    if (credentials === null || typeof credentials !== 'object' || typeof credentials.getCredentials !== 'function') {
      throw new OssArgumentError(
        'credentials must be an Auth, StsAuth or ProviderAuth (anything with getCredentials())',
        'auth',
      );
    }
    this.#credentials = credentials;
    this.bucket = validateBucketName(bucket);
    this.options = resolveClientOptions(opts);
    this.endpoint = resolveEndpoint(endpoint, { region: opts.region, pathStyle: opts.pathStyle, cname: opts.cname });
    checkEndpointForBucket(this.endpoint, this.bucket);
    this.region = this.endpoint.region ?? DEFAULTS.region;
    this.http = new HttpClient(this.options);
  }

  /** Sends `req`, signing every attempt afresh. Non-2xx answers reject with an {@link OssServiceError}. */
  send(req: OssRequest): Promise<HttpResponse> {
    const query = req.query ?? {};
    const key = req.key;
    const url = buildObjectUrl(this.endpoint, this.bucket, key, query);
    return this.http.request({
      method: req.method,
      url,
      headers: req.headers ?? {},
      body: req.body,
      operation: req.operation,
      signal: req.signal,
      onBodyProgress: req.onBodyProgress,
      onBodyChunk: req.onBodyChunk,
      retries: req.retries,
      onRetry: req.onRetry,
      expectedStatus: req.expectedStatus,
      sign: (headers, now) => {
        const creds = this.#credentials.getCredentials();
        return creds instanceof Promise
          ? creds.then((c) => this.#sign(req.method, key, query, headers, now, c))
          : this.#sign(req.method, key, query, headers, now, creds);
      },
    });
  }

  /**
   * Query parameters of a presigned URL for `method` on `key`, valid `expiresSeconds` from now; with the full URL.
   * Headers given here (Content-Type, `x-oss-*`) are signed and must be sent by whoever uses the URL.
   */
  async presign(
    method: string,
    key: string,
    expiresSeconds: number,
    headers: Record<string, string> = {},
    query: Record<string, string | null> = {},
  ): Promise<string> {
    return this.#presignWith(await this.#credentials.getCredentials(), method, key, expiresSeconds, headers, query);
  }

  /**
   * {@link presign}, synchronously, with the credentials of the last request this client sent; `undefined` before
   * the first. For the one place that cannot wait: a process `'exit'` handler.
   */
  presignSync(
    method: string,
    key: string,
    expiresSeconds: number,
    query: Record<string, string | null> = {},
  ): string | undefined {
    const creds = this.#lastCredentials;
    return creds === undefined ? undefined : this.#presignWith(creds, method, key, expiresSeconds, {}, query);
  }

  #presignWith(
    creds: SigningCredentials,
    method: string,
    key: string,
    expiresSeconds: number,
    headers: Record<string, string>,
    query: Record<string, string | null>,
  ): string {
    const req: SignableRequest = { method, bucket: this.bucket, key, query: { ...query }, headers: { ...headers } };
    const now = new Date(Date.now() + this.http.clockSkewMs);
    const params =
      this.options.signatureVersion === 'v4'
        ? presignV4(req, creds, now, expiresSeconds, { region: this.region })
        : presignV1(req, creds, Math.floor(now.getTime() / 1000) + expiresSeconds);
    return buildObjectUrl(this.endpoint, this.bucket, key, { ...query, ...params });
  }

  /** Registers an upload for {@link close}; returns the function that unregisters it. */
  track(upload: InFlightUpload): () => void {
    this.#uploads.add(upload);
    return () => this.#uploads.delete(upload);
  }

  /**
   * Cancels the uploads in flight and waits for their cleanup (AbortMultipartUpload needs the connections), at most
   * `cleanupTimeoutMs`, then closes the connections.
   */
  async close(): Promise<void> {
    if (this.#uploads.size > 0) {
      const reason = new OssAbortError('The client was closed while the upload was in flight');
      const cancelled = Promise.all([...this.#uploads].map((u) => u.cancel(reason)));
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.cleanupTimeoutMs + 1000)));
      await Promise.race([cancelled, bound]);
      clearTimeout(timer);
    }
    return this.http.close();
  }

  #sign(
    method: string,
    key: string | undefined,
    query: Record<string, string | null>,
    headers: Record<string, string>,
    now: Date,
    creds: SigningCredentials,
  ): Record<string, string> {
    this.#lastCredentials = creds;
    const req: SignableRequest = { method, bucket: this.bucket, key, query, headers };
    if (this.options.signatureVersion === 'v4') signRequestV4(req, creds, now, { region: this.region });
    else signRequestV1(req, creds, now);
    return req.headers;
  }
}
