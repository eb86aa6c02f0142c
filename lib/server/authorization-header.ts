/**
 * The Authorization header (and V4 credential) as the server reads them: `OSS <AccessKeyId>:<Signature>` (V1) and
 * `OSS4-HMAC-SHA256 Credential=…,Signature=…` (V4). Only the server parses these; the signing primitives it
 * recomputes signatures with are shared with the client (lib/core/sign-v1.ts, lib/core/sign-v4.ts).
 */
import { V4_ALGORITHM, V4_TERMINATOR } from '../core/sign-v4.js';

/** Splits `OSS <AccessKeyId>:<Signature>`; `null` when the header has another shape. */
export function parseAuthorizationV1(header: string): { accessKeyId: string; signature: string } | null {
  if (!header.startsWith('OSS ')) return null;
  const rest = header.slice(4).trim();
  // The signature is base64, so it never holds ':'; the id is what precedes the last one.
  const colon = rest.lastIndexOf(':');
  if (colon <= 0 || colon === rest.length - 1) return null;
  return { accessKeyId: rest.slice(0, colon), signature: rest.slice(colon + 1) };
}

/** The parts of a V4 credential `AK/yyyymmdd/region/product/aliyun_v4_request`. */
export interface CredentialScopeV4 {
  accessKeyId: string;
  /** `yyyymmdd`. */
  date: string;
  region: string;
  product: string;
  /** `yyyymmdd/region/product/aliyun_v4_request`, as signed. */
  scope: string;
}

const DAY_RE = /^\d{8}$/;

// A verifier sees the same credential on every request of a day: the last one parsed is remembered.
let lastCredential = '';
let lastScope: Readonly<CredentialScopeV4> | null = null;

/** Splits a V4 credential (header `Credential=` or query `x-oss-credential`); `null` when malformed. */
export function parseCredentialV4(credential: string): Readonly<CredentialScopeV4> | null {
  if (credential === lastCredential && lastScope !== null) return lastScope;
  const scope = splitCredentialV4(credential);
  if (scope !== null) {
    lastCredential = credential;
    lastScope = Object.freeze(scope);
  }
  return scope;
}

function splitCredentialV4(credential: string): CredentialScopeV4 | null {
  const parts = credential.split('/');
  const n = parts.length;
  if (n < 5 || parts[n - 1] !== V4_TERMINATOR) return null;
  const date = parts[n - 4]!;
  const region = parts[n - 3]!;
  const product = parts[n - 2]!;
  // Access key ids hold no '/', but tolerate one rather than mis-assign the scope fields.
  const accessKeyId = parts.slice(0, n - 4).join('/');
  if (accessKeyId === '' || region === '' || product === '' || !DAY_RE.test(date)) return null;
  return { accessKeyId, date, region, product, scope: `${date}/${region}/${product}/${V4_TERMINATOR}` };
}

/** A parsed V4 Authorization header. */
interface AuthorizationV4 extends CredentialScopeV4 {
  /** Names from `AdditionalHeaders=` in the order sent (empty when absent). */
  additionalHeaders: string[];
  /** Lower-case hex signature. */
  signature: string;
}

const SIGNATURE_RE = /^[0-9a-f]{64}$/;

/**
 * Parses `OSS4-HMAC-SHA256 Credential=…[,AdditionalHeaders=…],Signature=…`. Fields may be separated by `,` (go,
 * ali-oss) or `, ` (oss2) and come in any order. `null` when the header is not a well-formed V4 header (unknown or
 * repeated field, missing Credential or Signature, bad scope, signature not 64 lower-case hex digits).
 */
export function parseAuthorizationV4(header: string): AuthorizationV4 | null {
  if (!header.startsWith(V4_ALGORITHM)) return null;
  const rest = header.slice(V4_ALGORITHM.length);
  if (!/^\s/.test(rest)) return null;
  let credential: string | undefined;
  let additional: string | undefined;
  let signature: string | undefined;
  for (const field of rest.split(',')) {
    const f = field.trim();
    const eq = f.indexOf('=');
    if (eq <= 0) return null;
    const name = f.slice(0, eq);
    const value = f.slice(eq + 1);
    if (name === 'Credential' && credential === undefined) credential = value;
    else if (name === 'AdditionalHeaders' && additional === undefined) additional = value;
    else if (name === 'Signature' && signature === undefined) signature = value;
    else return null;
  }
  if (credential === undefined || signature === undefined || !SIGNATURE_RE.test(signature)) return null;
  const scope = parseCredentialV4(credential);
  if (scope === null) return null;
  const additionalHeaders = additional === undefined ? [] : additional.split(';').filter((s) => s !== '');
  return { ...scope, additionalHeaders, signature };
}
