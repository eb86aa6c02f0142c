/**
 * Key templates of rolling log objects: `logs/{hostname}/{yyyy}/{MM}/{dd}/app-{HH}{mm}-{seq}.log`, parsed once and
 * rendered for a time and a sequence number. The rendering without `{seq}` is the object's "prefix": a new prefix
 * (the hour turned) starts a new object, and `{seq}` counts objects within one prefix.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { OssArgumentError } from '../errors.js';

/** Placeholders every template understands (besides the caller's `vars`). */
const KEY_PLACEHOLDERS = Object.freeze([
  'yyyy',
  'MM',
  'dd',
  'HH',
  'mm',
  'ss',
  'hostname',
  'pid',
  'seq',
  'hash',
] as const);

/** Options of {@link KeyTemplate}. */
export interface KeyTemplateOptions {
  /** Date and time parts in `'utc'` (default) or the process's `'local'` time zone. */
  timeZone?: 'utc' | 'local' | undefined;
  /** Values of caller placeholders: `{ app: 'api' }` fills `{app}`. */
  vars?: Readonly<Record<string, string>> | undefined;
  /** `{hostname}` (default `os.hostname()`). */
  hostname?: string | undefined;
  /** `{pid}` (default `process.pid`). */
  pid?: number | undefined;
}

type Part = string | { name: string };

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * A parsed key template. Rendering is a pure function of (time, seq), so a restarted writer computes the same keys.
 *
 * - `{seq}` is required: rolling needs a fresh key for each object of one prefix, and AppendObject at position 0 of a
 *   key that exists fails, which is how a writer learns that the key belongs to someone else.
 * - `{hash}` is 6 hex digits of SHA-256 of the key rendered without it (so it differs per object): put it first to
 *   spread date-first keys, which OSS holds to about 2,000 requests/s per sequential prefix.
 *
 * @example
 * ```ts
 * const t = new KeyTemplate('logs/{hostname}/{yyyy}{MM}{dd}/{HH}-{seq}.log');
 * t.render(new Date(), 0); // 'logs/web-1/20260105/17-0.log'
 * ```
 */
export class KeyTemplate {
  readonly template: string;
  readonly #parts: readonly Part[];
  readonly #local: boolean;
  readonly #fixed: Readonly<Record<string, string>>;

  constructor(template: string, opts: KeyTemplateOptions = {}) {
    if (typeof template !== 'string' || template === '')
      throw new OssArgumentError('key template must be a non-empty string', 'key');
    const tz = opts.timeZone ?? 'utc';
    if (tz !== 'utc' && tz !== 'local')
      throw new OssArgumentError(`timeZone must be 'utc' or 'local', got ${String(tz)}`, 'timeZone');
    this.template = template;
    this.#local = tz === 'local';
    const vars = opts.vars ?? {};
    const fixed: Record<string, string> = {};
    for (const [name, value] of Object.entries(vars)) {
      if ((KEY_PLACEHOLDERS as readonly string[]).includes(name))
        throw new OssArgumentError(`vars.${name} would shadow the built-in {${name}}`, `vars.${name}`);
      if (typeof value !== 'string') throw new OssArgumentError(`vars.${name} must be a string`, `vars.${name}`);
      fixed[name] = value;
    }
    fixed['hostname'] = opts.hostname ?? hostname();
    fixed['pid'] = String(opts.pid ?? process.pid);
    this.#fixed = fixed;
    const parts: Part[] = [];
    const re = /\{([^{}]*)\}/g;
    let last = 0;
    for (let m = re.exec(template); m !== null; m = re.exec(template)) {
      const name = m[1]!;
      if (!(KEY_PLACEHOLDERS as readonly string[]).includes(name) && !(name in vars)) {
        const known = [...KEY_PLACEHOLDERS, ...Object.keys(vars)].map((p) => `{${p}}`).join(' ');
        const where = `in key template ${JSON.stringify(template)}`;
        throw new OssArgumentError(`unknown placeholder {${name}} ${where} (known: ${known})`, 'key');
      }
      if (m.index > last) parts.push(template.slice(last, m.index));
      parts.push({ name });
      last = m.index + m[0].length;
    }
    if (last < template.length) parts.push(template.slice(last));
    if (!parts.some((p) => typeof p !== 'string' && p.name === 'seq')) {
      throw new OssArgumentError(
        `key template ${JSON.stringify(template)} needs {seq}: each rolled object needs a key of its own`,
        'key',
      );
    }
    this.#parts = parts;
  }

  /** The key of object `seq` at `time`. */
  render(time: Date, seq: number): string {
    const withoutHash = this.#join(time, String(seq), '');
    return this.#parts.some((p) => typeof p !== 'string' && p.name === 'hash')
      ? this.#join(time, String(seq), shortHash(withoutHash))
      : withoutHash;
  }

  /** What identifies the object series at `time` (the key without `{seq}` and `{hash}`): a change rolls the object. */
  prefix(time: Date): string {
    return this.#join(time, '\u0000', '');
  }

  #join(time: Date, seq: string, hash: string): string {
    const l = this.#local;
    let out = '';
    for (const p of this.#parts) {
      if (typeof p === 'string') {
        out += p;
        continue;
      }
      switch (p.name) {
        case 'yyyy':
          out += pad(l ? time.getFullYear() : time.getUTCFullYear(), 4);
          break;
        case 'MM':
          out += pad((l ? time.getMonth() : time.getUTCMonth()) + 1);
          break;
        case 'dd':
          out += pad(l ? time.getDate() : time.getUTCDate());
          break;
        case 'HH':
          out += pad(l ? time.getHours() : time.getUTCHours());
          break;
        case 'mm':
          out += pad(l ? time.getMinutes() : time.getUTCMinutes());
          break;
        case 'ss':
          out += pad(l ? time.getSeconds() : time.getUTCSeconds());
          break;
        case 'seq':
          out += seq;
          break;
        case 'hash':
          out += hash;
          break;
        default:
          out += this.#fixed[p.name]!;
      }
    }
    return out;
  }
}

function shortHash(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex').slice(0, 6);
}
