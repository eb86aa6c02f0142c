/**
 * Credential sources for signing: static keys ({@link Auth}), STS keys ({@link StsAuth}), a refreshing async
 * provider ({@link ProviderAuth}) and the environment ({@link authFromEnv}).
 *
 * Secrets live in `#private` fields and never show up in `String()`, template literals, `util.inspect`,
 * `console.log`, `JSON.stringify` or error messages: every class here prints the key id and `'<redacted>'`.
 */
import { inspect, type InspectOptions } from 'node:util';
import { OssArgumentError, OssError } from '../errors.js';
import type { SigningCredentials } from './sign-v1.js';

/** Anything that can hand out signing credentials. Static sources answer synchronously (no promise per request). */
export interface CredentialsProvider {
  getCredentials(): Promise<SigningCredentials> | SigningCredentials;
}

/** What a {@link ProviderAuth} provider function returns. */
export interface ProvidedCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  /** STS token; `''` is treated as absent. */
  securityToken?: string | undefined;
  /** When the credentials stop working; a `Date`, an ISO string or epoch milliseconds. Absent: never expire. */
  expiration?: Date | string | number | undefined;
}

const REDACTED = '<redacted>';
const INSPECT = Symbol.for('nodejs.util.inspect.custom');
// Whitespace at either end, or any control character: all make "SignatureDoesNotMatch" mysteries (e.g. a secret
// read from a file with its trailing newline), and CR/LF would let a value inject headers.
const BAD_CHARS_RE = /^\s|\s$|[\x00-\x1f\x7f]/;

/** Checks one credential field; the message names the field, never its value. */
function requireCredential(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw new OssArgumentError(`${name} must be a non-empty string`, name);
  if (BAD_CHARS_RE.test(value)) {
    throw new OssArgumentError(`${name} has leading or trailing whitespace or control characters`, name);
  }
  return value;
}

function optionalToken(value: unknown, name: string): string | undefined {
  return value === undefined || value === null || value === '' ? undefined : requireCredential(value, name);
}

function toExpiration(value: unknown, name: string): Date | undefined {
  if (value === undefined || value === null) return undefined;
  const d =
    value instanceof Date
      ? new Date(value.getTime())
      : typeof value === 'string' || typeof value === 'number'
        ? new Date(value)
        : undefined;
  if (d === undefined || Number.isNaN(d.getTime())) throw new OssArgumentError(`${name} must be a valid Date`, name);
  return d;
}

/** The redacted view shared by `inspect`, `toJSON` and `toString`. */
function redactedFields(
  accessKeyId: string | undefined,
  hasToken: boolean,
  expiration?: Date,
): Record<string, unknown> {
  const view: Record<string, unknown> = { accessKeyId, secret: REDACTED };
  if (hasToken) view['securityToken'] = REDACTED;
  if (expiration !== undefined) view['expiration'] = expiration.toISOString();
  return view;
}

function inspectAs(name: string, view: Record<string, unknown>, options: InspectOptions | undefined): string {
  return `${name} ${inspect(view, { ...options, customInspect: false })}`;
}

/**
 * An immutable set of signing credentials. `accessKeySecret` and `securityToken` are getters over private fields,
 * so they are readable by signers but absent from spreads, `Object.keys`, JSON and inspection.
 */
export class Credentials implements SigningCredentials {
  /** The AccessKey id (not secret: it travels in every Authorization header). */
  readonly accessKeyId: string;
  /** When these credentials stop working; `undefined` for long-term keys. */
  readonly expiration: Date | undefined;
  readonly #secret: string;
  readonly #token: string | undefined;

  /** Validates every field: non-empty strings without surrounding whitespace or control characters. */
  constructor(accessKeyId: string, accessKeySecret: string, securityToken?: string, expiration?: Date) {
    this.accessKeyId = requireCredential(accessKeyId, 'accessKeyId');
    this.#secret = requireCredential(accessKeySecret, 'accessKeySecret');
    this.#token = optionalToken(securityToken, 'securityToken');
    this.expiration = toExpiration(expiration, 'expiration');
    Object.freeze(this);
  }

  /** The AccessKey secret. */
  get accessKeySecret(): string {
    return this.#secret;
  }

  /** The STS security token, if any. */
  get securityToken(): string | undefined {
    return this.#token;
  }

  /** Key id only. */
  toString(): string {
    return `Credentials(accessKeyId=${this.accessKeyId}, secret=${REDACTED})`;
  }

  /** Key id, `'<redacted>'` placeholders, expiration. */
  toJSON(): Record<string, unknown> {
    return redactedFields(this.accessKeyId, this.#token !== undefined, this.expiration);
  }

  [INSPECT](_depth: number, options: InspectOptions): string {
    return inspectAs('Credentials', this.toJSON(), options);
  }
}

/** Shared shape of the two static sources. */
abstract class StaticAuth implements CredentialsProvider {
  readonly #creds: Credentials;

  protected constructor(creds: Credentials) {
    this.#creds = creds;
  }

  /** The AccessKey id. */
  get accessKeyId(): string {
    return this.#creds.accessKeyId;
  }

  /** Synchronous: the same frozen {@link Credentials} every time. */
  getCredentials(): Credentials {
    return this.#creds;
  }

  /** Key id only. */
  toString(): string {
    return `${this.constructor.name}(accessKeyId=${this.#creds.accessKeyId}, secret=${REDACTED})`;
  }

  /** Key id and `'<redacted>'` placeholders. */
  toJSON(): Record<string, unknown> {
    return redactedFields(this.#creds.accessKeyId, this.#creds.securityToken !== undefined);
  }

  [INSPECT](_depth: number, options: InspectOptions): string {
    return inspectAs(this.constructor.name, this.toJSON(), options);
  }
}

/** Long-term AccessKey id and secret. */
export class Auth extends StaticAuth {
  /** Throws {@link OssArgumentError} when either value is empty, padded or holds control characters. */
  constructor(accessKeyId: string, accessKeySecret: string) {
    super(new Credentials(accessKeyId, accessKeySecret));
  }
}

/** Temporary STS credentials: AccessKey id, secret and security token (sent as `x-oss-security-token`). */
export class StsAuth extends StaticAuth {
  /** Throws {@link OssArgumentError} when a value is empty, padded or holds control characters. */
  constructor(accessKeyId: string, accessKeySecret: string, securityToken: string) {
    super(new Credentials(accessKeyId, accessKeySecret, requireCredential(securityToken, 'securityToken')));
  }
}

/** Options of {@link ProviderAuth}. */
export interface ProviderAuthOptions {
  /**
   * Refresh this long before `expiration` (default 5 minutes). Inside that window callers still get the current
   * credentials at once while one background refresh runs; after `expiration` they wait for the refresh.
   */
  refreshBeforeMs?: number;
  /** Wait at least this long after a failed background refresh before trying again (default 10 s). */
  retryAfterFailureMs?: number;
  /** Clock in epoch milliseconds (default `Date.now`); injectable so expiry can be tested without waiting. */
  now?: () => number;
}

/**
 * Credentials from an async provider (an STS AssumeRole call, an ECS RAM-role endpoint…), cached until shortly
 * before they expire. Concurrent callers share one in-flight refresh; a failed refresh is not cached, so the next
 * caller tries again. Provider errors are wrapped in an {@link OssError} with code `CredentialsProviderError` and
 * the original as `cause`.
 */
export class ProviderAuth implements CredentialsProvider {
  readonly #provider: () => Promise<ProvidedCredentials> | ProvidedCredentials;
  readonly #refreshBeforeMs: number;
  readonly #retryAfterFailureMs: number;
  readonly #now: () => number;
  #current: Credentials | undefined;
  #inflight: Promise<Credentials> | undefined;
  #generation = 0;
  #backgroundBlockedUntil = 0;

  constructor(provider: () => Promise<ProvidedCredentials> | ProvidedCredentials, options: ProviderAuthOptions = {}) {
    if (typeof provider !== 'function')
      throw new OssArgumentError('provider must be a function returning credentials', 'provider');
    this.#provider = provider;
    this.#refreshBeforeMs = nonNegative(options.refreshBeforeMs ?? 5 * 60_000, 'refreshBeforeMs');
    this.#retryAfterFailureMs = nonNegative(options.retryAfterFailureMs ?? 10_000, 'retryAfterFailureMs');
    this.#now = options.now ?? Date.now;
  }

  /** Key id of the cached credentials, `undefined` before the first fetch. */
  get accessKeyId(): string | undefined {
    return this.#current?.accessKeyId;
  }

  /**
   * Synchronous while the cached credentials are fresh (the hot path); a promise when they must be fetched.
   */
  getCredentials(): Promise<Credentials> | Credentials {
    const current = this.#current;
    if (current !== undefined) {
      const expiresAt = current.expiration?.getTime();
      if (expiresAt === undefined) return current;
      const now = this.#now();
      if (now < expiresAt - this.#refreshBeforeMs) return current;
      if (now < expiresAt) {
        if (this.#inflight === undefined && now >= this.#backgroundBlockedUntil) {
          this.#refresh().catch(() => {
            // Still valid for a while: keep serving them, and do not call a failing provider on every request.
            this.#backgroundBlockedUntil = this.#now() + this.#retryAfterFailureMs;
          });
        }
        return current;
      }
    }
    return this.#refresh();
  }

  /** Fetches new credentials now (joining a refresh already in flight). */
  refresh(): Promise<Credentials> {
    return this.#refresh();
  }

  /** Forgets the cached credentials (e.g. after `InvalidAccessKeyId`): the next call fetches, older fetches ignored. */
  invalidate(): void {
    this.#generation++;
    this.#current = undefined;
    this.#inflight = undefined;
    this.#backgroundBlockedUntil = 0;
  }

  #refresh(): Promise<Credentials> {
    if (this.#inflight !== undefined) return this.#inflight;
    const generation = this.#generation;
    const p = this.#load().then(
      (creds) => {
        if (generation === this.#generation) {
          this.#current = creds;
          this.#inflight = undefined;
          this.#backgroundBlockedUntil = 0;
        }
        return creds;
      },
      (err: unknown) => {
        if (generation === this.#generation) this.#inflight = undefined;
        throw err;
      },
    );
    this.#inflight = p;
    return p;
  }

  async #load(): Promise<Credentials> {
    let got: ProvidedCredentials;
    try {
      got = await this.#provider();
    } catch (err) {
      throw new OssError('the credentials provider failed', { code: 'CredentialsProviderError', cause: err });
    }
    if (got === null || typeof got !== 'object') {
      throw new OssArgumentError('the credentials provider must return an object', 'provider');
    }
    return new Credentials(
      requireCredential(got.accessKeyId, 'provider().accessKeyId'),
      requireCredential(got.accessKeySecret, 'provider().accessKeySecret'),
      optionalToken(got.securityToken, 'provider().securityToken'),
      toExpiration(got.expiration, 'provider().expiration'),
    );
  }

  /** Key id only. */
  toString(): string {
    return `ProviderAuth(accessKeyId=${this.#current?.accessKeyId ?? '<not fetched>'}, secret=${REDACTED})`;
  }

  /** Key id of the cached credentials, `'<redacted>'` placeholders, expiration. */
  toJSON(): Record<string, unknown> {
    const c = this.#current;
    return redactedFields(c?.accessKeyId, c?.securityToken !== undefined, c?.expiration);
  }

  [INSPECT](_depth: number, options: InspectOptions): string {
    return inspectAs('ProviderAuth', this.toJSON(), options);
  }
}

function nonNegative(n: number, name: string): number {
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0)
    throw new OssArgumentError(`${name} must be a non-negative number`, name);
  return n;
}

/**
 * Credentials from `OSS_ACCESS_KEY_ID`, `OSS_ACCESS_KEY_SECRET` and optional `OSS_SESSION_TOKEN` (the variable
 * names of Alibaba Cloud's CLI and SDKs). Returns {@link StsAuth} when a token is set, else {@link Auth}.
 * Throws {@link OssArgumentError} naming the missing or malformed variable (never its value).
 */
export function authFromEnv(env: Record<string, string | undefined> = process.env): Auth | StsAuth {
  const read = (name: string): string => {
    const v = env[name];
    if (v === undefined || v === '') throw new OssArgumentError(`environment variable ${name} is not set`, name);
    return requireCredential(v, name);
  };
  const id = read('OSS_ACCESS_KEY_ID');
  const secret = read('OSS_ACCESS_KEY_SECRET');
  const token = env['OSS_SESSION_TOKEN'];
  return token === undefined || token === ''
    ? new Auth(id, secret)
    : new StsAuth(id, secret, requireCredential(token, 'OSS_SESSION_TOKEN'));
}
