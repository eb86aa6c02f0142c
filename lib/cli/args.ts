/**
 * Parsers for the values of command-line options: sizes (`8MiB`), durations (`1s`), `k=v` metadata and
 * `'Name: value'` headers. They throw {@link UsageError}, which the command turns into exit code 2 and a usage line.
 */

/** A malformed command line: the command prints the message and its usage, and exits with 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A {@link UsageError}, or a `node:util` `parseArgs` refusal (`ERR_PARSE_ARGS_*`): the command line is at fault. */
export function isUsageError(err: unknown): boolean {
  return (
    err instanceof UsageError ||
    (err as { code?: unknown } | null)?.code?.toString().startsWith('ERR_PARSE_ARGS') === true
  );
}

const SIZE_UNITS: Readonly<Record<string, number>> = Object.freeze({
  '': 1,
  b: 1,
  // Binary units, and their one-letter shorthands as `dd` and most CLIs read them.
  k: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  // Spelled-out SI units mean what SI says.
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
});

const SIZE_RE = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i;

/**
 * Parses a byte size: a number with an optional unit. `KiB`/`MiB`/`GiB` and the shorthands `K`/`M`/`G` are
 * binary (`8MiB` = `8M` = 8,388,608); `KB`/`MB`/`GB` are decimal (`8MB` = 8,000,000); no unit or `B` is bytes.
 * Fractions are allowed when the result is a whole number of bytes (`1.5MiB`).
 */
export function parseSize(text: string, option: string): number {
  const m = SIZE_RE.exec(text.trim());
  const unit = m === null ? undefined : SIZE_UNITS[m[2]!.toLowerCase()];
  if (m === null || unit === undefined)
    throw new UsageError(`${option} must be a size such as 8MiB, 512KiB or 1048576, got ${JSON.stringify(text)}`);
  const bytes = Number(m[1]) * unit;
  if (!Number.isSafeInteger(bytes))
    throw new UsageError(`${option} must be a whole number of bytes, got ${JSON.stringify(text)}`);
  return bytes;
}

const DURATION_UNITS: Readonly<Record<string, number>> = Object.freeze({ '': 1000, ms: 1, s: 1000, m: 60_000 });
const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|)$/i;

/** Parses a duration into milliseconds: `500ms`, `1s`, `1.5s`, `2m`; a bare number is seconds (as `sleep`). */
export function parseDuration(text: string, option: string): number {
  const m = DURATION_RE.exec(text.trim());
  if (m === null)
    throw new UsageError(`${option} must be a duration such as 1s, 500ms or 2m, got ${JSON.stringify(text)}`);
  return Math.round(Number(m[1]) * DURATION_UNITS[m[2]!.toLowerCase()]!);
}

/** Parses an integer (e.g. `--concurrency 4`) from `min` (default 1) to `max`. */
export function parseCount(text: string, option: string, max: number, min = 1): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < min || Number(text) > max) {
    throw new UsageError(`${option} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

/** Parses `--meta k=v` into the header `x-oss-meta-k: v` (the name is lower-cased, as OSS stores it). */
export function parseMeta(text: string): [name: string, value: string] {
  const eq = text.indexOf('=');
  const name = eq < 0 ? '' : text.slice(0, eq).trim();
  if (name === '') throw new UsageError(`--meta must be key=value, got ${JSON.stringify(text)}`);
  return [`x-oss-meta-${name.toLowerCase()}`, text.slice(eq + 1)];
}

/** Parses `--header 'Name: value'` (split at the first colon; both sides trimmed). */
export function parseHeader(text: string): [name: string, value: string] {
  const colon = text.indexOf(':');
  const name = colon < 0 ? '' : text.slice(0, colon).trim();
  if (name === '') throw new UsageError(`--header must be 'Name: value', got ${JSON.stringify(text)}`);
  return [name, text.slice(colon + 1).trim()];
}
