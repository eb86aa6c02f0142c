/** GetObject: streams an object (or a byte range of it) back, verifying the whole object's CRC64 as it flows. */
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { OssContext } from './context.js';
import { resultOf, etagOf, type OssResult } from './result.js';
import { Crc64, crc64Equal } from '../core/crc64.js';
import { validateObjectKey } from '../core/validate.js';
import { OssAbortError, OssArgumentError, OssError, OssIntegrityError, isAbortError } from '../errors.js';

/** Options of {@link getObject}. */
export interface GetObjectOptions {
  /**
   * Inclusive byte range `[start, end]`; `end` omitted reads to the end. Ranged reads are length-checked only (no
   * CRC covers a range).
   */
  range?: { start: number; end?: number | undefined } | undefined;
  signal?: AbortSignal | undefined;
}

/** A readable object. */
export interface GetObjectResult extends OssResult {
  /**
   * The bytes. A full read errors with {@link OssIntegrityError} at the end if its CRC64 or length is wrong (a
   * range, if its length is); a broken connection errors with an {@link OssError} `NetworkError`, an abort with
   * {@link OssAbortError}. Destroying it early releases the connection.
   */
  body: Readable;
  size: number;
  etag: string;
  contentType: string | undefined;
  crc64: string | undefined;
  contentRange: string | undefined;
}

/** Hashes what passes and checks it against the server's CRC and length before the stream ends. */
class VerifyingStream extends Transform {
  readonly #crc = new Crc64();
  readonly #expectedCrc: string | undefined;
  readonly #expectedLength: number | undefined;
  readonly #what: string;

  constructor(expectedCrc: string | undefined, expectedLength: number | undefined, what: string) {
    super({ highWaterMark: 1024 * 1024 });
    this.#expectedCrc = expectedCrc;
    this.#expectedLength = expectedLength;
    this.#what = what;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#crc.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    if (this.#expectedLength !== undefined && this.#crc.length !== this.#expectedLength) {
      cb(
        new OssIntegrityError(
          `${this.#what}: received ${this.#crc.length} bytes, the server announced ${this.#expectedLength}`,
          {
            code: 'InconsistentLength',
            expected: String(this.#crc.length),
            actual: String(this.#expectedLength),
          },
        ),
      );
      return;
    }
    const got = this.#crc.digest();
    if (this.#expectedCrc !== undefined && !crc64Equal(got, this.#expectedCrc)) {
      cb(
        new OssIntegrityError(
          `${this.#what}: CRC64 of the received bytes is ${got}, the server says ${this.#expectedCrc}`,
          {
            expected: got,
            actual: this.#expectedCrc,
          },
        ),
      );
      return;
    }
    cb();
  }
}

/** A failure while reading the body, as the transport reports failures before it: typed, with the cause. */
function readError(err: unknown, key: string, signal: AbortSignal | undefined): Error {
  if (err instanceof OssError) return err;
  if (signal?.aborted === true || isAbortError(err)) return new OssAbortError(`GetObject ${key} was aborted`, err);
  const message = err instanceof Error ? err.message : String(err);
  return new OssError(`GetObject ${key}: the connection failed while reading the body: ${message}`, {
    code: 'NetworkError',
    cause: err,
  });
}

/** Opens `key` for reading. See {@link Bucket.getObject}. */
export async function getObject(ctx: OssContext, key: string, opts: GetObjectOptions = {}): Promise<GetObjectResult> {
  validateObjectKey(key, ctx.options.limits);
  const headers: Record<string, string> = {};
  const r = opts.range;
  if (r !== undefined) {
    if (
      !Number.isSafeInteger(r.start) ||
      r.start < 0 ||
      (r.end !== undefined && (!Number.isSafeInteger(r.end) || r.end < r.start))
    ) {
      throw new OssArgumentError('range must be { start ≥ 0, end ≥ start } (inclusive)', 'range');
    }
    headers['range'] = `bytes=${r.start}-${r.end ?? ''}`;
  }
  const res = await ctx.send({ operation: 'GetObject', method: 'GET', key, headers, signal: opts.signal });
  const h = res.headers;
  const size = Number(h['content-length'] ?? NaN);
  // Only a 200 carries the whole object, so only then is the CRC comparable; the length is checked either way.
  const verifying = new VerifyingStream(
    res.status === 200 ? h['x-oss-hash-crc64ecma'] : undefined,
    Number.isNaN(size) ? undefined : size,
    `GetObject ${key}`,
  );
  res.body.on('error', (err) => verifying.destroy(readError(err, key, opts.signal)));
  // A reader that stops early (destroys the body) must give the connection back.
  verifying.on('close', () => res.body.destroy());
  res.body.pipe(verifying);
  const body: Readable = verifying;
  return resultOf(res, {
    body,
    size,
    etag: etagOf(res),
    contentType: h['content-type'],
    crc64: h['x-oss-hash-crc64ecma'],
    contentRange: h['content-range'],
  });
}
