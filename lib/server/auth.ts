/**
 * Request authentication for the local OSS server: V1 and V4 signatures, in the Authorization header or in a
 * presigned URL, STS security tokens and the 15-minute clock-skew window, answered with the error codes OSS uses
 * (protocol reference §1, §2, §4).
 *
 * The server calls {@link authenticate} once per request, before reading the body. It rebuilds the string to sign
 * with the same pure primitives the client signs with (`core/sign-v1`, `core/sign-v4`); `spec/interop` checks the
 * result against the official `ali-oss` client, so the shared code cannot hide a shared mistake.
 *
 * Choices where the reference leaves room (each mirrors what OSS answers as far as its EC pages tell):
 * - no credentials at all → 403 AccessDenied; an Authorization header of an unknown shape → 400 InvalidArgument;
 *   when a request carries both a header signature and a presigned query, the header wins.
 * - a credential with a `securityToken` is an STS credential: a request with its key and no token gets 403
 *   InvalidAccessKeyId (STS keys do not exist without their token), a different token 403 InvalidSecurityToken,
 *   and a token sent with a permanent key 403 InvalidAccessKeyId (OSS then looks the key up among STS keys).
 *   Tokens never expire here (the credential carries no expiry), so SecurityTokenExpired is never answered.
 * - V4 scope errors (date, region, product, terminator) are 400 InvalidArgument, checked before the signature so
 *   the message says which part is wrong; the region must equal the server's region (`oss-` prefix ignored).
 * - V4 header auth takes its time from `x-oss-date` (`yyyymmddTHHMMSSZ`); without it, from `Date` used verbatim in
 *   the string to sign (what the Go SDK v1 sends). The payload line is `x-oss-content-sha256` or
 *   `UNSIGNED-PAYLOAD`; the body hash itself is not checked here.
 * - presigned URLs have no skew check except that a V4 URL dated more than 15 minutes ahead is not valid yet.
 */
import { isUtf8 } from 'node:buffer';
import { createHash, timingSafeEqual } from 'node:crypto';
import { MAX_PRESIGN_EXPIRES_SECONDS } from '../config.js';
import { headerDateLineV1, signatureV1, stringToSignV1, type SignableRequest } from '../core/sign-v1.js';
import {
  canonicalRequestV4,
  formatIsoBasic,
  signatureForScopeV4,
  standardRegionV4,
  stringToSignV4,
  UNSIGNED_PAYLOAD,
  V4_ALGORITHM,
} from '../core/sign-v4.js';
import {
  parseAuthorizationV1,
  parseAuthorizationV4,
  parseCredentialV4,
  type CredentialScopeV4,
} from './authorization-header.js';
import { ServerError } from './server-error.js';

/** A key pair the server accepts; with `securityToken` it is an STS credential that requires that token. */
export interface ServerCredential {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

/** What {@link authenticate} needs from a request. */
export interface AuthInput {
  /** Upper-case HTTP method. */
  method: string;
  /** Bucket the request addresses (from the path or the Host), if any. */
  bucket?: string;
  /** Decoded object key, if any. */
  key?: string;
  /** Decoded query parameters; `null` for a bare parameter (`?uploads`). */
  query: Record<string, string | null>;
  /** Request headers, lower-case names, values as received. */
  headers: Record<string, string>;
  /** Server time of the request. */
  now: Date;
  /** Server region (`cn-hangzhou`; an `oss-` prefix is ignored). */
  region: string;
  /** Largest accepted difference between the request time and the server time: the server's `limits.maxClockSkewMs`. */
  maxClockSkewMs: number;
}

const SIGNATURE_MISMATCH_MESSAGE =
  'The request signature we calculated does not match the signature you provided. Check your key and signing method.';
const ISO_BASIC_RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const DECIMAL_RE = /^\d+$/;
const DAY_MS = 86_400_000;

/**
 * Verifies the request's signature and returns the access key it was signed with.
 *
 * @throws {ServerError} 403 AccessDenied (no credentials, bad or missing date, expired URL), 400 InvalidArgument
 *   (malformed Authorization or presign parameters, wrong V4 scope), 403 InvalidAccessKeyId,
 *   403 InvalidSecurityToken, 403 RequestTimeTooSkewed (with `RequestTime`, `ServerTime`), 403
 *   SignatureDoesNotMatch (with `StringToSign` and, V1, `StringToSignBytes`; V4, `CanonicalRequest`).
 */
export function authenticate(input: AuthInput, credentials: readonly ServerCredential[]): { accessKeyId: string } {
  const authorization = input.headers['authorization'];
  if (authorization !== undefined) {
    if (authorization.startsWith(V4_ALGORITHM)) return verifyHeaderV4(input, authorization, credentials);
    if (authorization.startsWith('OSS ')) return verifyHeaderV1(input, authorization, credentials);
    throw invalidArgument('Authorization header is invalid.', 'Authorization', authorization, '0002-00000202');
  }
  const q = input.query;
  if (
    q['x-oss-signature-version'] !== undefined ||
    q['x-oss-signature'] !== undefined ||
    q['x-oss-credential'] !== undefined
  ) {
    return verifyQueryV4(input, credentials);
  }
  if (q['OSSAccessKeyId'] !== undefined || q['Signature'] !== undefined || q['Expires'] !== undefined) {
    return verifyQueryV1(input, credentials);
  }
  throw fail(403, 'AccessDenied', 'Anonymous access is forbidden for this operation.');
}

// ---------------------------------------------------------------- V1

function verifyHeaderV1(
  input: AuthInput,
  authorization: string,
  credentials: readonly ServerCredential[],
): { accessKeyId: string } {
  const parsed = parseAuthorizationV1(authorization);
  if (parsed === null) throw invalidArgument('Authorization header is invalid.', 'Authorization', authorization);
  const credential = lookUp(parsed.accessKeyId, input.headers['x-oss-security-token'], credentials);
  const dateLine = headerDateLineV1(input.headers);
  checkSkew(requestTime(dateLine), input);
  const stringToSign = stringToSignV1(signable(input, input.query), dateLine);
  checkSignatureV1(credential, stringToSign, parsed.signature);
  return { accessKeyId: credential.accessKeyId };
}

function verifyQueryV1(input: AuthInput, credentials: readonly ServerCredential[]): { accessKeyId: string } {
  const q = input.query;
  const accessKeyId = q['OSSAccessKeyId'];
  const expires = q['Expires'];
  const signature = q['Signature'];
  if (!accessKeyId || !signature) {
    throw fail(403, 'AccessDenied', 'A presigned URL needs OSSAccessKeyId, Expires and Signature.');
  }
  if (!expires) throw fail(403, 'AccessDenied', 'Expires is empty.', '0002-00000068');
  if (!DECIMAL_RE.test(expires)) throw fail(403, 'AccessDenied', 'Expires is invalid.', '0002-00000070');
  const credential = lookUp(accessKeyId, q['security-token'] ?? input.headers['x-oss-security-token'], credentials);
  const expiresMs = Number(expires) * 1000;
  if (input.now.getTime() > expiresMs) throw expired(expiresMs, input.now, '0002-00000069');
  // OSSAccessKeyId, Expires and Signature are not sub-resources, so the canonical resource leaves them out;
  // security-token is one, and is signed.
  const stringToSign = stringToSignV1(signable(input, q), expires);
  checkSignatureV1(credential, stringToSign, signature);
  return { accessKeyId: credential.accessKeyId };
}

function checkSignatureV1(credential: ServerCredential, stringToSign: string, provided: string): void {
  if (sameSignature(signatureV1(credential.accessKeySecret, stringToSign), provided)) return;
  throw fail(403, 'SignatureDoesNotMatch', SIGNATURE_MISMATCH_MESSAGE, '0002-00000040', {
    OSSAccessKeyId: credential.accessKeyId,
    SignatureProvided: provided,
    StringToSign: stringToSign,
    StringToSignBytes: stringToSignBytes(stringToSign),
  });
}

// ---------------------------------------------------------------- V4

function verifyHeaderV4(
  input: AuthInput,
  authorization: string,
  credentials: readonly ServerCredential[],
): { accessKeyId: string } {
  const parsed = parseAuthorizationV4(authorization);
  if (parsed === null) {
    const credential = /Credential=([^,\s]*)/.exec(authorization)?.[1];
    if (credential !== undefined) {
      checkCredentialShape(credential, 'Authorization', authorization, 'Invalid credential in Authorization header.');
    }
    throw invalidArgument('Authorization header is invalid.', 'Authorization', authorization, '0002-00000202');
  }
  const credential = lookUp(parsed.accessKeyId, input.headers['x-oss-security-token'], credentials);
  checkScope(parsed, input.region, 'Authorization header');
  // The timestamp line of the string to sign is the date header exactly as sent.
  const isoDate = input.headers['x-oss-date'];
  let timestamp: string;
  let time: Date;
  if (isoDate !== undefined) {
    time = parseIsoBasic(isoDate) ?? invalidDate();
    timestamp = isoDate;
  } else {
    timestamp = input.headers['date'] ?? '';
    time = requestTime(timestamp);
  }
  if (parsed.date !== dayOf(time)) {
    throw invalidArgument('Invalid signing date in Authorization header.', 'Authorization', authorization);
  }
  checkSkew(time, input);
  const canonicalRequest = canonicalRequestV4(signable(input, input.query), parsed.additionalHeaders);
  checkSignatureV4(credential, parsed, timestamp, canonicalRequest, parsed.signature);
  return { accessKeyId: credential.accessKeyId };
}

function verifyQueryV4(input: AuthInput, credentials: readonly ServerCredential[]): { accessKeyId: string } {
  const q = input.query;
  const version = q['x-oss-signature-version'];
  if (version !== V4_ALGORITHM) {
    throw invalidArgument('Unsupported x-oss-signature-version.', 'x-oss-signature-version', version ?? '');
  }
  const credentialParam = q['x-oss-credential'];
  const isoDate = q['x-oss-date'];
  const expires = q['x-oss-expires'];
  const signature = q['x-oss-signature'];
  for (const [name, value] of [
    ['x-oss-credential', credentialParam],
    ['x-oss-date', isoDate],
    ['x-oss-expires', expires],
    ['x-oss-signature', signature],
  ] as const) {
    if (!value) throw invalidArgument(`${name} is missing.`, name, '');
  }
  const scope = parseCredentialV4(credentialParam!);
  if (scope === null) {
    checkCredentialShape(credentialParam!, 'x-oss-credential', credentialParam!, 'x-oss-credential is invalid.');
    throw invalidArgument('x-oss-credential is invalid.', 'x-oss-credential', credentialParam!, '0002-00000213');
  }
  const credential = lookUp(
    scope.accessKeyId,
    q['x-oss-security-token'] ?? input.headers['x-oss-security-token'],
    credentials,
  );
  checkScope(scope, input.region, 'x-oss-credential');
  const time = parseIsoBasic(isoDate!) ?? invalidDate();
  if (scope.date !== dayOf(time))
    throw invalidArgument(
      'Invalid signing date in x-oss-credential.',
      'x-oss-credential',
      credentialParam!,
      '0002-00000223',
    );
  const seconds = DECIMAL_RE.test(expires!) ? Number(expires) : NaN;
  if (!(seconds >= 1 && seconds <= MAX_PRESIGN_EXPIRES_SECONDS)) {
    const message = `x-oss-expires must be between 1 and ${MAX_PRESIGN_EXPIRES_SECONDS} seconds.`;
    throw invalidArgument(message, 'x-oss-expires', expires!, '0002-00000232');
  }
  if (time.getTime() - input.now.getTime() > input.maxClockSkewMs) {
    throw fail(403, 'AccessDenied', 'Request is not valid yet.', '0002-00000235', {
      RequestTime: time.toISOString(),
      ServerTime: input.now.toISOString(),
    });
  }
  const expiresMs = time.getTime() + seconds * 1000;
  if (input.now.getTime() > expiresMs) throw expired(expiresMs, input.now);
  // Every query parameter is signed, the signature itself excepted.
  const signedQuery: Record<string, string | null> = { ...q };
  delete signedQuery['x-oss-signature'];
  const additional = q['x-oss-additional-headers']?.split(';') ?? [];
  const canonicalRequest = canonicalRequestV4(signable(input, signedQuery), additional, UNSIGNED_PAYLOAD);
  checkSignatureV4(credential, scope, isoDate!, canonicalRequest, signature!);
  return { accessKeyId: credential.accessKeyId };
}

/**
 * Why a credential (`<ak>/<yyyymmdd>/<region>/oss/aliyun_v4_request`) the parser refused is wrong, in OSS's words:
 * an empty region is "The signing region in credential is invalid." (what oss2's `test_sign_v4_no_region` expects
 * from a URL signed without a region); any other malformed credential in the header is `headerMessage`.
 */
function checkCredentialShape(credential: string, name: string, value: string, headerMessage: string): void {
  const parts = credential.split('/');
  if (parts.length >= 5 && parts[parts.length - 3] === '') {
    throw invalidArgument('The signing region in credential is invalid.', name, value);
  }
  if (name === 'Authorization') throw invalidArgument(headerMessage, name, value, '0002-00000202');
}

/** The scope must name this server's region and the `oss` product; the parsers already checked the terminator. */
function checkScope(scope: CredentialScopeV4, serverRegion: string, where: string): void {
  if (scope.product !== 'oss') throw invalidArgument(`Invalid signing product in ${where}.`, where, scope.scope);
  if (scope.region !== standardRegionV4(serverRegion)) {
    throw invalidArgument(`Invalid signing region in ${where}.`, where, scope.scope, '0002-00000226');
  }
}

function checkSignatureV4(
  credential: ServerCredential,
  scope: CredentialScopeV4,
  timestamp: string,
  canonicalRequest: string,
  provided: string,
): void {
  const stringToSign = stringToSignV4(timestamp, scope.scope, canonicalRequest);
  if (sameSignature(signatureForScopeV4(credential.accessKeySecret, scope, stringToSign), provided)) return;
  throw fail(403, 'SignatureDoesNotMatch', SIGNATURE_MISMATCH_MESSAGE, '0002-00000201', {
    OSSAccessKeyId: credential.accessKeyId,
    SignatureProvided: provided,
    StringToSign: stringToSign,
    CanonicalRequest: canonicalRequest,
  });
}

// ---------------------------------------------------------------- shared

function signable(input: AuthInput, query: Record<string, string | null>): SignableRequest {
  const req: SignableRequest = { method: input.method, query, headers: asSent(input.headers) };
  if (input.bucket !== undefined && input.bucket !== '') {
    req.bucket = input.bucket;
    // An empty key is a bucket-level request: the resource is "/bucket/".
    if (input.key !== undefined && input.key !== '') req.key = input.key;
  }
  return req;
}

const NON_ASCII_RE = /[^\x00-\x7f]/;

/**
 * Header values as the client signed them. Node hands header values over as latin-1 strings (one character per
 * byte), while the signature is an HMAC over the bytes as sent, which the signing primitives take as the UTF-8 of a
 * string: a value whose bytes are valid UTF-8 (`x-oss-meta-name: 中文` sent raw) is decoded so that its UTF-8 is
 * those very bytes. Bytes that are not UTF-8 stay one character per byte. Stored and echoed values are not touched:
 * they go back out as the same latin-1 bytes.
 */
function asSent(headers: Record<string, string>): Record<string, string> {
  let out: Record<string, string> | undefined;
  for (const [name, value] of Object.entries(headers)) {
    if (!NON_ASCII_RE.test(value)) continue;
    const bytes = Buffer.from(value, 'latin1');
    if (!isUtf8(bytes)) continue;
    out ??= { ...headers };
    out[name] = bytes.toString('utf8');
  }
  return out ?? headers;
}

/** Finds the credential for `accessKeyId` and checks the STS token rules (see the module comment). */
function lookUp(
  accessKeyId: string,
  token: string | null | undefined,
  credentials: readonly ServerCredential[],
): ServerCredential {
  const credential = credentials.find((c) => c.accessKeyId === accessKeyId);
  // An empty token header counts as no token.
  const sentToken = token ? token : undefined;
  if (credential === undefined || (credential.securityToken === undefined && sentToken !== undefined)) {
    throw fail(
      403,
      'InvalidAccessKeyId',
      'The OSS Access Key Id you provided does not exist in our records.',
      credential === undefined ? undefined : '0002-00000002',
      { OSSAccessKeyId: accessKeyId },
    );
  }
  if (credential.securityToken !== undefined) {
    if (sentToken === undefined) {
      throw fail(
        403,
        'InvalidAccessKeyId',
        'The OSS Access Key Id you provided does not exist in our records.',
        undefined,
        {
          OSSAccessKeyId: accessKeyId,
        },
      );
    }
    if (!equalInConstantTime(credential.securityToken, sentToken)) {
      throw fail(403, 'InvalidSecurityToken', 'The security token you provided is invalid.', '0002-00000006');
    }
  }
  return credential;
}

/** A `Date`/`x-oss-date` value: RFC 1123 (what V1 clients send) or ISO 8601 basic. */
function requestTime(value: string): Date {
  if (value === '') throw fail(403, 'AccessDenied', 'OSS authentication requires a valid Date.', '0002-00000503');
  const iso = parseIsoBasic(value);
  if (iso !== null) return iso;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? invalidDate() : new Date(ms);
}

// Requests signed in the same second carry the same timestamp: the last one parsed is remembered.
let lastIsoValue = '';
let lastIsoMs = 0;

function parseIsoBasic(value: string): Date | null {
  if (value === lastIsoValue) return new Date(lastIsoMs);
  const m = ISO_BASIC_RE.exec(value);
  if (m === null) return null;
  const d = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
  // Date.UTC rolls month 13 or second 61 over; formatting back exposes that.
  if (Number.isNaN(d.getTime()) || formatIsoBasic(d) !== value) return null;
  lastIsoValue = value;
  lastIsoMs = d.getTime();
  return d;
}

function invalidDate(): never {
  throw fail(403, 'AccessDenied', 'OSS authentication requires a valid Date.', '0002-00000502');
}

let lastDayStart = 0;
let lastDay = '';

/** `yyyymmdd` (UTC) of `d`. */
function dayOf(d: Date): string {
  const ms = d.getTime();
  if (ms >= lastDayStart && ms < lastDayStart + DAY_MS) return lastDay;
  const iso = d.toISOString();
  lastDayStart = Math.floor(ms / DAY_MS) * DAY_MS;
  lastDay = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}`;
  return lastDay;
}

function checkSkew(time: Date, { now, maxClockSkewMs }: AuthInput): void {
  if (Math.abs(time.getTime() - now.getTime()) <= maxClockSkewMs) return;
  throw fail(
    403,
    'RequestTimeTooSkewed',
    'The difference between the request time and the current time is too large.',
    '0002-00000504',
    {
      RequestTime: time.toISOString(),
      ServerTime: now.toISOString(),
      MaxAllowedSkewMilliseconds: String(maxClockSkewMs),
    },
  );
}

function expired(expiresMs: number, now: Date, ec?: string): ServerError {
  return fail(403, 'AccessDenied', 'Request has expired.', ec, {
    Expires: new Date(expiresMs).toISOString(),
    ServerTime: now.toISOString(),
  });
}

/**
 * OSS's `StringToSignBytes`: each UTF-8 byte as two upper-case hex digits followed by a space, so encoding slips
 * (a stray `\r`, a non-ASCII key) show up in the error body.
 */
export function stringToSignBytes(stringToSign: string): string {
  let out = '';
  for (const byte of Buffer.from(stringToSign, 'utf8')) out += `${byte.toString(16).toUpperCase().padStart(2, '0')} `;
  return out;
}

/** Compares digests of both strings, so neither the content nor the length of the expected value leaks by timing. */
function equalInConstantTime(expected: string, provided: string): boolean {
  const a = createHash('sha256').update(expected, 'utf8').digest();
  const b = createHash('sha256').update(provided, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/**
 * A signature compared without an early exit on the first differing byte. Unlike {@link equalInConstantTime} it
 * may leak the length, which the signature's format fixes anyway; it saves two hashes on every request.
 */
function sameSignature(expected: string, provided: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(provided, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

function invalidArgument(message: string, name: string, value: string, ec?: string): ServerError {
  return fail(400, 'InvalidArgument', message, ec, { ArgumentName: name, ArgumentValue: value });
}

/** A ServerError whose `<EC>` element (last, as OSS orders it) and `x-oss-ec` header carry `ec` when known. */
function fail(
  status: number,
  code: string,
  message: string,
  ec?: string,
  extra: Record<string, string> = {},
): ServerError {
  if (ec === undefined) return new ServerError(status, code, message, extra);
  return new ServerError(status, code, message, { ...extra, EC: ec }, { 'x-oss-ec': ec });
}

// ---------------------------------------------------------------- PostObject (form fields instead of headers)

/** What a PostObject form signs with: its policy (base64, as sent) and the signature fields. */
interface PostSignatureInput {
  /** The `policy` field exactly as sent (base64 of the JSON policy). */
  policy: string;
  /** Form fields, names lower-case. */
  fields: ReadonlyMap<string, string>;
  now: Date;
  /** Server region (`cn-hangzhou`). */
  region: string;
}

/**
 * Verifies a PostObject form signature: V1 (`OSSAccessKeyId`, `Signature` = base64 HMAC-SHA1 of the policy) or V4
 * (`x-oss-signature-version`, `x-oss-credential`, `x-oss-date`, `x-oss-signature` = hex HMAC-SHA256 of the policy
 * with the scope's signing key), with the STS token in `x-oss-security-token`. Same error codes as header auth.
 */
export function authenticatePost(
  input: PostSignatureInput,
  credentials: readonly ServerCredential[],
): { accessKeyId: string } {
  const f = input.fields;
  const token = f.get('x-oss-security-token');
  const version = f.get('x-oss-signature-version');
  if (version === undefined) {
    const credential = lookUp(f.get('ossaccesskeyid') ?? '', token, credentials);
    const provided = f.get('signature') ?? '';
    if (!sameSignature(signatureV1(credential.accessKeySecret, input.policy), provided)) {
      throw fail(403, 'SignatureDoesNotMatch', SIGNATURE_MISMATCH_MESSAGE, '0002-00000040', {
        OSSAccessKeyId: credential.accessKeyId,
        SignatureProvided: provided,
        StringToSign: input.policy,
      });
    }
    return { accessKeyId: credential.accessKeyId };
  }
  if (version !== V4_ALGORITHM) {
    throw invalidArgument('Unsupported x-oss-signature-version.', 'x-oss-signature-version', version);
  }
  const credentialField = f.get('x-oss-credential') ?? '';
  const scope = parseCredentialV4(credentialField);
  if (scope === null) {
    throw invalidArgument('x-oss-credential is invalid.', 'x-oss-credential', credentialField, '0002-00000213');
  }
  const credential = lookUp(scope.accessKeyId, token, credentials);
  checkScope(scope, input.region, 'x-oss-credential');
  const isoDate = f.get('x-oss-date') ?? '';
  const time = parseIsoBasic(isoDate) ?? invalidDate();
  if (scope.date !== dayOf(time)) {
    const message = 'Invalid signing date in x-oss-credential.';
    throw invalidArgument(message, 'x-oss-credential', credentialField, '0002-00000223');
  }
  const provided = f.get('x-oss-signature') ?? '';
  if (!sameSignature(signatureForScopeV4(credential.accessKeySecret, scope, input.policy), provided)) {
    throw fail(403, 'SignatureDoesNotMatch', SIGNATURE_MISMATCH_MESSAGE, '0002-00000201', {
      OSSAccessKeyId: credential.accessKeyId,
      SignatureProvided: provided,
      StringToSign: input.policy,
    });
  }
  return { accessKeyId: credential.accessKeyId };
}
