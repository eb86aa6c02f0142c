/**
 * The two lines a script reads from `oss-stream cp`: the summary on stdout after success, and the one-line error on
 * stderr after a failure (OSS code, message, request id — what support asks for).
 */
import { OssError } from '../index.js';
import { formatBytes, formatRate } from './format.js';

/** What an upload did, for the summary line. */
export interface UploadOutcome {
  /** `'uploaded'` (the object was replaced) or `'appended'`. */
  readonly action: 'uploaded' | 'appended';
  /** The file path, or `stdin`. */
  readonly source: string;
  /** `oss://bucket/key`. */
  readonly target: string;
  /** Bytes this command stored (for a resumed upload: the whole object). */
  readonly bytes: number;
  /** Bytes this run actually sent, for the rate (less than `bytes` after a resume). */
  readonly sentBytes: number;
  readonly seconds: number;
  /** Mode-specific facts (`multipart, 12 parts`, `resumed: 40.0 MiB were already stored`, `3 appends`…). */
  readonly details: readonly string[];
  readonly etag: string;
  /** CRC64 of the whole object, as verified. */
  readonly crc64: string;
  readonly requestId: string;
}

/**
 * `uploaded a.bin to oss://b/a.bin: 1048576 bytes (1.0 MiB) in 0.21 s, 4.8 MiB/s, multipart, 11 parts, etag "…",
 * crc64 …, request id …`
 */
export function summaryLine(o: UploadOutcome): string {
  const rate = o.seconds > 0 ? formatRate(o.sentBytes / o.seconds) : formatRate(0);
  const facts = [
    `${o.bytes} bytes (${formatBytes(o.bytes)}) in ${o.seconds.toFixed(2)} s`,
    rate,
    ...o.details,
    `etag ${o.etag}`,
    `crc64 ${o.crc64}`,
    `request id ${o.requestId}`,
  ];
  return `${o.action} ${o.source} to ${o.target}: ${facts.join(', ')}`;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

const NETWORK_CODES: ReadonlySet<string> = new Set(['NetworkError', 'RequestTimeout']);

/**
 * `oss-stream cp: <code>: <message> (request id <id>)`, on one line whatever the message holds. Errors that are
 * not the library's (a file that cannot be read) show their Node.js code.
 */
export function errorLine(err: unknown, command = 'oss-stream cp'): string {
  if (err instanceof OssError) {
    const message = oneLine(err.message);
    let line = `${command}: ${err.code}: ${message}`;
    if (err.requestId !== undefined && !message.includes(err.requestId)) line += ` (request id ${err.requestId})`;
    if (NETWORK_CODES.has(err.code)) line += ' — is the endpoint right and reachable? (--endpoint or OSS_ENDPOINT)';
    return line;
  }
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const label = typeof code === 'string' ? code : err.name;
    // Node's own messages already start with their code ("ENOENT: no such file…").
    const message = oneLine(err.message);
    return `${command}: ${label}: ${message.startsWith(`${label}: `) ? message.slice(label.length + 2) : message}`;
  }
  return `${command}: ${oneLine(String(err))}`;
}
