/**
 * The policy of a PostObject form: base64 JSON `{"expiration": "<ISO 8601>", "conditions": [...]}`. Conditions are
 * `{"<field>": "<value>"}` (equality), `["eq" | "starts-with", "$<field>", "<value>"]`, `["in" | "not-in",
 * "$<field>", [values]]` and `["content-length-range", min, max]`; a field is a form field (names are
 * case-insensitive) or `bucket`. Answers as OSS: 400 InvalidPolicyDocument for a policy that cannot be read, 403
 * AccessDenied "Invalid according to Policy: …" for an expired policy or a condition that does not hold.
 */
import { ServerError } from './server-error.js';

/** The size bounds a policy puts on the file, inclusive. */
export interface LengthRange {
  min: number;
  max: number;
}

/** What the conditions are checked against. */
interface PolicySubject {
  bucket: string;
  /** The object key the form names (after `${filename}` substitution). */
  key: string;
  /** Form fields, names lower-case. */
  fields: ReadonlyMap<string, string>;
  now: Date;
}

function invalidPolicy(detail: string): ServerError {
  return new ServerError(400, 'InvalidPolicyDocument', `Invalid Policy: ${detail}`);
}

function denied(detail: string): ServerError {
  return new ServerError(403, 'AccessDenied', `Invalid according to Policy: ${detail}`);
}

/** Checks `policyB64` against the form; returns the file size bounds it sets, if any. */
export function checkPolicy(policyB64: string, subject: PolicySubject): LengthRange | undefined {
  let policy: unknown;
  try {
    policy = JSON.parse(Buffer.from(policyB64, 'base64').toString('utf8'));
  } catch {
    throw invalidPolicy('the policy is not base64-encoded JSON.');
  }
  if (policy === null || typeof policy !== 'object' || Array.isArray(policy))
    throw invalidPolicy('the policy must be a JSON object.');
  const { expiration, conditions } = policy as { expiration?: unknown; conditions?: unknown };
  const expires = typeof expiration === 'string' ? Date.parse(expiration) : Number.NaN;
  if (Number.isNaN(expires)) throw invalidPolicy('expiration is missing or not an ISO 8601 date.');
  if (!Array.isArray(conditions)) throw invalidPolicy('conditions must be an array.');
  if (subject.now.getTime() > expires) throw denied('Policy expired.');
  let range: LengthRange | undefined;
  for (const c of conditions) {
    const r = checkCondition(c, subject);
    if (r !== undefined) range = r;
  }
  return range;
}

function valueOf(name: string, s: PolicySubject): string {
  const n = name.replace(/^\$/, '').toLowerCase();
  if (n === 'bucket') return s.bucket;
  if (n === 'key') return s.key;
  return s.fields.get(n) ?? '';
}

function checkCondition(c: unknown, s: PolicySubject): LengthRange | undefined {
  const failed = (): ServerError => denied(`Policy Condition failed: ${JSON.stringify(c)}`);
  if (c !== null && typeof c === 'object' && !Array.isArray(c)) {
    const entries = Object.entries(c as Record<string, unknown>);
    if (entries.length !== 1 || typeof entries[0]![1] !== 'string')
      throw invalidPolicy(`Invalid Simple-Condition: ${JSON.stringify(c)}`);
    if (valueOf(entries[0]![0], s) !== entries[0]![1]) throw failed();
    return undefined;
  }
  if (!Array.isArray(c) || typeof c[0] !== 'string') throw invalidPolicy(`Invalid Condition: ${JSON.stringify(c)}`);
  const [op, a, b] = c as [string, unknown, unknown];
  switch (op.toLowerCase()) {
    case 'content-length-range': {
      const min = Number(a);
      const max = Number(b);
      if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min < 0 || max < min) {
        throw invalidPolicy(`Invalid content-length-range: ${JSON.stringify(c)}`);
      }
      return { min, max };
    }
    case 'eq':
    case 'starts-with': {
      if (c.length !== 3 || typeof a !== 'string' || typeof b !== 'string')
        throw invalidPolicy(`Invalid Condition: ${JSON.stringify(c)}`);
      const v = valueOf(a, s);
      if (op.toLowerCase() === 'eq' ? v !== b : !v.startsWith(b)) throw failed();
      return undefined;
    }
    case 'in':
    case 'not-in': {
      if (c.length !== 3 || typeof a !== 'string' || !Array.isArray(b))
        throw invalidPolicy(`Invalid Condition: ${JSON.stringify(c)}`);
      if (b.includes(valueOf(a, s)) !== (op.toLowerCase() === 'in')) throw failed();
      return undefined;
    }
    default:
      throw invalidPolicy(`Invalid Condition: ${JSON.stringify(c)}`);
  }
}
