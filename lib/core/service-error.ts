/**
 * Turns a failed OSS response into a typed {@link OssServiceError}. The error fields come from, in order:
 * the `<Error>` XML body; for body-less answers (HEAD), the base64 `<Error>` XML in the `x-oss-err` header;
 * otherwise the HTTP status and `x-oss-request-id` alone (protocol reference §4).
 */
import {
  ObjectNotAppendableError,
  OssServiceError,
  PositionNotEqualToLengthError,
  type OssErrorFields,
  type ServiceErrorDetails,
} from '../errors.js';
import { parseErrorXml } from './xml.js';

/** The parts of a failed response that {@link serviceErrorFrom} reads. */
interface ErrorResponse {
  /** HTTP status. */
  status: number;
  /** Response headers; names are matched case-insensitively. */
  headers: Readonly<Record<string, string>>;
  /** Response body as text (possibly truncated by the caller); empty or absent for HEAD. */
  body?: string | undefined;
  /** OSS operation name (`PutObject`, `HeadObject`…), used in the message and for the 404 rule below. */
  operation?: string | undefined;
}

/**
 * Operations whose body-less 404 can only mean "no such object". ali-oss synthesizes `NoSuchKey` the same way;
 * for other operations a 404 may be NoSuchBucket or NoSuchUpload, so we do not guess.
 */
const OBJECT_READ_OPERATIONS: ReadonlySet<string> = new Set(['HeadObject', 'GetObject', 'GetObjectMeta']);

/** Messages for codes synthesized from the status alone (OSS's own wording where it has one). */
const SYNTHETIC_MESSAGES: Readonly<Record<string, string>> = {
  NoSuchKey: 'The specified key does not exist.',
  PreconditionFailed: 'At least one of the pre-conditions you specified did not hold.',
};

const DIGITS_RE = /^\d+$/;

/**
 * Builds the error for a failed response; never throws.
 *
 * `code` is `<Code>` when the server sent one. Without one it is synthesized from the status: `NoSuchKey` for a
 * 404 of HeadObject/GetObject/GetObjectMeta, `PreconditionFailed` for 412 (both as ali-oss does), otherwise
 * `UnknownError` — branch on `status` then. `requestId` comes from `<RequestId>` or `x-oss-request-id`, `ec` from
 * `<EC>` or `x-oss-ec`.
 *
 * Subclasses: `PositionNotEqualToLength` → {@link PositionNotEqualToLengthError} (with `nextPosition` from
 * `x-oss-next-append-position`, `-1` when absent); `ObjectNotAppendable` → {@link ObjectNotAppendableError}.
 *
 * The message reads `PutObject failed: <Message> (code <Code>, status <N>, request id <R>)`; it never contains
 * header values other than the request id and EC. `details.body` holds every `<Error>` field (e.g.
 * `StringToSign` for SignatureDoesNotMatch), `details.headers` the response headers.
 */
export function serviceErrorFrom(res: ErrorResponse): OssServiceError {
  const headers = lowerCaseKeys(res.headers);
  const body = res.body ?? '';
  let parsed = body.trim() === '' ? null : parseErrorXml(body);
  if (parsed === null && headers['x-oss-err'] !== undefined) parsed = parseErrorXml(decodeBase64(headers['x-oss-err']));

  const status = res.status;
  const op = res.operation;
  const code = nonEmpty(parsed?.['Code']) ?? syntheticCode(status, op);
  const fields: OssErrorFields & { status: number } = { code, status };
  const requestId = nonEmpty(parsed?.['RequestId']) ?? nonEmpty(headers['x-oss-request-id']);
  if (requestId !== undefined) fields.requestId = requestId;
  const hostId = nonEmpty(parsed?.['HostId']);
  if (hostId !== undefined) fields.hostId = hostId;
  const ec = nonEmpty(parsed?.['EC']) ?? nonEmpty(headers['x-oss-ec']);
  if (ec !== undefined) fields.ec = ec;

  const details: ServiceErrorDetails = { headers: { ...res.headers } };
  if (parsed !== null) details.body = redactTokens(parsed);
  if (op !== undefined) details.operation = op;

  const message = formatMessage(describe(parsed, code, status, body), fields, op);
  if (code === 'PositionNotEqualToLength') {
    const raw = headers['x-oss-next-append-position']?.trim();
    const next = raw !== undefined && DIGITS_RE.test(raw) ? Number(raw) : -1;
    return new PositionNotEqualToLengthError(message, fields, Number.isSafeInteger(next) ? next : -1, details);
  }
  if (code === 'ObjectNotAppendable') return new ObjectNotAppendableError(message, fields, details);
  return new OssServiceError(message, fields, details);
}

function syntheticCode(status: number, operation: string | undefined): string {
  if (status === 404 && operation !== undefined && OBJECT_READ_OPERATIONS.has(operation)) return 'NoSuchKey';
  if (status === 412) return 'PreconditionFailed';
  return 'UnknownError';
}

/** The human part of the message: the server's `<Message>`, else a description of what came back. */
function describe(parsed: Record<string, string> | null, code: string, status: number, body: string): string {
  let text = nonEmpty(parsed?.['Message']?.trim()) ?? SYNTHETIC_MESSAGES[code];
  if (text === undefined) {
    const snippet = body.replace(/\s+/g, ' ').trim();
    text =
      snippet === ''
        ? `the service answered HTTP ${status} without an error body`
        : `the service answered HTTP ${status} with a body that is not an OSS error: ` +
          JSON.stringify(snippet.length > 120 ? `${snippet.slice(0, 120)}…` : snippet);
  }
  // InvalidArgument says which argument only in these fields; it is the first thing a reader needs.
  const arg = parsed?.['ArgumentName'];
  if (arg !== undefined)
    text += ` [${arg}${parsed?.['ArgumentValue'] !== undefined ? `=${parsed['ArgumentValue']}` : ''}]`;
  return text;
}

function formatMessage(text: string, f: OssErrorFields & { status: number }, operation: string | undefined): string {
  const facts = [`code ${f.code}`, `status ${f.status}`];
  if (f.ec !== undefined) facts.push(`EC ${f.ec}`);
  if (f.requestId !== undefined) facts.push(`request id ${f.requestId}`);
  return `${operation !== undefined ? `${operation} failed: ` : ''}${text} (${facts.join(', ')})`;
}

function lowerCaseKeys(headers: Readonly<Record<string, string>>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v;
  return out;
}

function decodeBase64(value: string): string {
  return Buffer.from(value.trim(), 'base64').toString('utf8');
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}

/**
 * SignatureDoesNotMatch bodies echo what the server signed, STS security token included (in `StringToSign`,
 * `CanonicalRequest`, and hex-encoded in `StringToSignBytes`). Keep the debugging value, drop the token.
 */
function redactTokens(body: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) {
    if (k === 'StringToSignBytes') continue; // a hex copy of StringToSign: nothing it adds is worth a leaked token
    out[k] = v
      .replace(/(x-oss-security-token:)[^\n]*/gi, '$1<redacted>')
      .replace(/((?:^|[?&])(?:security-token|x-oss-security-token)=)[^&\n]*/gi, '$1<redacted>');
  }
  return out;
}
