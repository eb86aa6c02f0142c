/**
 * Errors are data: one {@link OssError} base that carries the OSS error code, HTTP status and request id, and a
 * few subclasses only where a caller has to branch (service answer vs. bad argument vs. abort vs. corruption vs.
 * "stored but the callback failed").
 *
 * @example
 * ```ts
 * try { await bucket.appendObject('app.log', 0, 'x'); }
 * catch (err) {
 *   if (err instanceof PositionNotEqualToLengthError) console.log('resume at', err.nextPosition);
 *   else if (err instanceof OssError) console.log(err.code, err.requestId);
 * }
 * ```
 */

/** Fields every {@link OssError} may carry. */
export interface OssErrorFields {
  /** OSS error code (`NoSuchKey`, `SignatureDoesNotMatch`…) or a client code (`InvalidArgument`, `AbortError`…). */
  code: string;
  /** HTTP status of the answer; `-1` when no answer was received (network error, abort, argument error). */
  status?: number;
  /** `x-oss-request-id` of the failed request: quote it to Alibaba Cloud support. */
  requestId?: string;
  /** `<HostId>` of the error body. */
  hostId?: string;
  /** OSS detailed error code (`<EC>` / `x-oss-ec`, e.g. `0026-00000016`). */
  ec?: string;
  /** The underlying error, if any. */
  cause?: unknown;
}

/** Base class of every error thrown by oss-stream. */
export class OssError extends Error {
  /** OSS error code or a client code; branch on this rather than on the message. */
  readonly code: string;
  /** HTTP status, or `-1` when no response was received. */
  readonly status: number;
  /** `x-oss-request-id` of the failed request, when the server answered. */
  readonly requestId: string | undefined;
  /** `<HostId>` from the error body. */
  readonly hostId: string | undefined;
  /** OSS detailed error code (`EC`). */
  readonly ec: string | undefined;

  constructor(message: string, fields: OssErrorFields) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = new.target.name;
    this.code = fields.code;
    this.status = fields.status ?? -1;
    this.requestId = fields.requestId;
    this.hostId = fields.hostId;
    this.ec = fields.ec;
  }
}

/** Extra data parsed from an OSS `<Error>` body, kept non-enumerable so logs stay short. */
export interface ServiceErrorDetails {
  /** All child elements of `<Error>` as strings (e.g. `StringToSign`, `ArgumentName`). */
  body?: Record<string, string>;
  /** Response headers of the failed request. */
  headers?: Record<string, string>;
  /** The operation that failed (`PutObject`, `UploadPart`…). */
  operation?: string;
}

/** The service answered with an error (4xx/5xx, or an `<Error>` body). */
export class OssServiceError extends OssError {
  /** Parsed `<Error>` elements and response headers (non-enumerable). */
  declare readonly details: ServiceErrorDetails;

  constructor(message: string, fields: OssErrorFields & { status: number }, details: ServiceErrorDetails = {}) {
    super(message, fields);
    Object.defineProperty(this, 'details', { value: details, enumerable: false });
  }
}

/** AppendObject position did not match the object's length; {@link nextPosition} is where to append. */
export class PositionNotEqualToLengthError extends OssServiceError {
  /** The object's current length, from `x-oss-next-append-position`. */
  readonly nextPosition: number;

  constructor(
    message: string,
    fields: OssErrorFields & { status: number },
    nextPosition: number,
    details?: ServiceErrorDetails,
  ) {
    super(message, fields, details);
    this.nextPosition = nextPosition;
  }
}

/** AppendObject on an object that is not Appendable (a Normal or Multipart object). */
export class ObjectNotAppendableError extends OssServiceError {}

/** A caller-supplied argument is invalid; thrown before any byte is sent. */
export class OssArgumentError extends OssError {
  /** Name of the offending argument or option (`key`, `partSize`, `headers["x-oss-meta-a b"]`…). */
  readonly argument: string | undefined;

  constructor(message: string, argument?: string, code = 'InvalidArgument') {
    super(message, { code });
    this.argument = argument;
  }
}

/** The operation was aborted through an `AbortSignal` or `destroy()`; `name` is `'AbortError'` like DOM aborts. */
export class OssAbortError extends OssError {
  constructor(message = 'The operation was aborted', cause?: unknown) {
    super(message, { code: 'AbortError', cause });
    this.name = 'AbortError';
  }
}

/** What the client sent and what the server reports do not agree (CRC64 or length). Nothing is trusted after it. */
export class OssIntegrityError extends OssError {
  /** What the client computed (decimal CRC64 or a byte count). */
  readonly expected: string;
  /** What the server reported. */
  readonly actual: string;

  constructor(
    message: string,
    fields: Omit<OssErrorFields, 'code'> & { code?: string; expected: string; actual: string },
  ) {
    super(message, { ...fields, code: fields.code ?? 'InconsistentCrc64' });
    this.expected = fields.expected;
    this.actual = fields.actual;
  }
}

/**
 * The object IS stored, but the upload callback failed (HTTP 203 `CallbackFailed`). Do not upload again:
 * {@link result} holds the upload's result.
 */
export class OssCallbackError<R = unknown> extends OssServiceError {
  /** The result of the upload that did store the object. */
  declare readonly result: R;

  constructor(message: string, fields: OssErrorFields & { status: number }, result: R, details?: ServiceErrorDetails) {
    super(message, fields, details);
    Object.defineProperty(this, 'result', { value: result, enumerable: false });
  }
}

/** True when `err` is an abort (ours or a DOM/undici `AbortError`). */
export function isAbortError(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || (err as { code?: string }).code === 'ABORT_ERR');
}
