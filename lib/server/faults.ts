/**
 * Fault injection: make the next matching request(s) fail the way networks and services do, so retry, resume and
 * integrity paths can be tested against a real HTTP server.
 */

/**
 * What happens to a matching request.
 * - `reset`: the TCP connection is destroyed once `afterBytes` (default 0) request body bytes arrived (for
 *   GetObject: response body bytes sent). Nothing is stored.
 * - `error`: answered at once with `status` (500 InternalError by default; 503 adds `x-oss-qos-delay-time`; 408
 *   RequestTimeout, what OSS answers when a body stalls), the body is discarded, nothing is stored.
 * - `delay`: the request is processed normally, the response is held back `ms` milliseconds.
 * - `drop-after-commit`: the object (or part) is stored, then the connection is destroyed instead of answering: a
 *   lost acknowledgement.
 * - `corrupt-crc64`: processed normally, but the returned `x-oss-hash-crc64ecma` is wrong.
 */
export type FaultAction =
  | { type: 'reset'; afterBytes?: number }
  | { type: 'error'; status?: 500 | 503 | 408; code?: string; message?: string; qosDelayTimeMs?: number }
  | { type: 'delay'; ms: number }
  | { type: 'drop-after-commit' }
  | { type: 'corrupt-crc64' };

/** A fault rule. */
export interface FaultRule {
  /** Operation name as in {@link OpName} (`'PutObject'`, `'UploadPart'`, …). */
  op: string;
  /** For UploadPart only: match this part number only. */
  partNumber?: number;
  /** How many matching requests it affects; default 1, `Infinity` for all. */
  times?: number;
  action: FaultAction;
}

interface ActiveRule {
  readonly rule: FaultRule;
  left: number;
}

/** The fault rules of one server. Rules are matched in the order they were added; each match uses one `times`. */
export class FaultInjector {
  #rules: ActiveRule[] = [];

  /** Adds a rule; returns `this` for chaining. */
  add(rule: FaultRule): this {
    validateRule(rule);
    this.#rules.push({ rule: { ...rule, action: { ...rule.action } }, left: rule.times ?? 1 });
    return this;
  }

  /** Removes every rule. */
  clear(): void {
    this.#rules = [];
  }

  /** Rules not used up yet. */
  get pending(): number {
    return this.#rules.length;
  }

  /** Takes (consumes one use of) the first rule matching `op`/`partNumber`, if any. */
  take(op: string, partNumber: number | undefined): FaultAction | undefined {
    const i = this.#rules.findIndex(
      (r) => r.rule.op === op && (r.rule.partNumber === undefined || r.rule.partNumber === partNumber),
    );
    if (i < 0) return undefined;
    const active = this.#rules[i]!;
    active.left -= 1;
    if (active.left <= 0) this.#rules.splice(i, 1);
    return active.rule.action;
  }
}

const TYPES = new Set(['reset', 'error', 'delay', 'drop-after-commit', 'corrupt-crc64']);

function validateRule(rule: FaultRule): void {
  if (typeof rule !== 'object' || rule === null || typeof rule.op !== 'string' || rule.op === '') {
    throw new TypeError('a fault rule needs an op name');
  }
  const t = rule.times ?? 1;
  if (!(t === Infinity || (Number.isInteger(t) && t >= 1)))
    throw new TypeError(`fault times must be a positive integer or Infinity, got ${String(t)}`);
  if (rule.partNumber !== undefined && !(Number.isInteger(rule.partNumber) && rule.partNumber >= 1)) {
    throw new TypeError(`fault partNumber must be a positive integer, got ${String(rule.partNumber)}`);
  }
  const a = rule.action;
  if (typeof a !== 'object' || a === null || !TYPES.has(a.type)) {
    throw new TypeError(`fault action type must be one of ${[...TYPES].join(', ')}`);
  }
  if (a.type === 'delay' && !(Number.isFinite(a.ms) && a.ms >= 0)) throw new TypeError('delay fault needs ms >= 0');
  if (a.type === 'reset' && a.afterBytes !== undefined && !(Number.isInteger(a.afterBytes) && a.afterBytes >= 0)) {
    throw new TypeError('reset fault afterBytes must be an integer >= 0');
  }
  if (a.type === 'error' && a.status !== undefined && a.status !== 500 && a.status !== 503 && a.status !== 408) {
    throw new TypeError('error fault status must be 500, 503 or 408');
  }
}
