/** Small statistics and unit helpers shared by the end-to-end scenarios. */
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** 1024 bytes. */
export const KiB = 1024;
/** 1024² bytes. */
export const MiB = 1024 * KiB;
/** 1024³ bytes. */
export const GiB = 1024 * MiB;

/** Median of a non-empty list (mean of the two middle values for an even count). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Decimal megabytes per second (10^6 B/s), the unit of every throughput column. */
export function mbps(bytes: number, seconds: number): number {
  return bytes / 1e6 / seconds;
}

/** `a / b` as `1.23x`, or `n/a` when either side is missing. */
export function ratio(a: number, b: number): string {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a';
}

/** `min–max` of a list, rounded, to show the spread behind a median. */
export function spread(xs: readonly number[]): string {
  if (xs.length === 0) return '';
  return `${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))}`;
}

/** Human size: `1 GiB`, `8 MiB`, `200 B`. */
export function size(bytes: number): string {
  if (bytes >= GiB && bytes % GiB === 0) return `${bytes / GiB} GiB`;
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes >= KiB && bytes % KiB === 0) return `${bytes / KiB} KiB`;
  return `${bytes} B`;
}

/** Round to `digits` decimals (tables print integers as integers). */
export function round(x: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * CPU seconds (user + system) another process has used so far, from `/proc/<pid>/stat` (Linux; clock ticks are
 * 100 Hz there). `NaN` elsewhere: the column then reads `NaN` instead of the run failing.
 */
export function processCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/**
 * CPU seconds (user + system) this process's main thread has used so far, from `/proc/self/task/<pid>/stat`
 * (Linux, 10 ms ticks): the share of {@link selfCpuSeconds} that is not undici's, libuv's or V8's helper threads.
 * `NaN` elsewhere.
 */
export function mainThreadCpuSeconds(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds (user + system) this process has used so far, all threads. */
export function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * The 1-minute load average, the core count and (Linux) the share of the last 10 s in which some task waited for a
 * CPU, noted under each table so that a noisy neighbour shows.
 */
export function loadNote(): string {
  let pressure = '';
  try {
    const some = /some avg10=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'))?.[1];
    if (some !== undefined) pressure = `, CPU pressure ${some} % (tasks waiting for a core, last 10 s)`;
  } catch {
    // no PSI on this kernel
  }
  return `Load average ${os.loadavg()[0]!.toFixed(2)} on ${os.cpus().length} cores${pressure}`;
}
