/**
 * Turns whatever the caller hands to an upload (a string, bytes, a file slice, a Node or Web stream, an iterable)
 * into a request body, its length when known, and a CRC64 of exactly the bytes the successful attempt sent.
 */
import { ReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { Crc64 } from '../core/crc64.js';
import { FileSlice } from '../core/file-slice.js';
import type { RequestBody } from '../core/http.js';
import { OssArgumentError } from '../errors.js';

/**
 * Data an upload accepts. Strings are sent as UTF-8. Bytes, strings and {@link FileSlice}s (and `fs.ReadStream`s
 * of a path, which become file ranges) are replayable: a failed attempt is retried with the same bytes. Other
 * streams and iterables are sent once, with chunked encoding unless `contentLength` is given.
 */
export type UploadData =
  | string
  | Uint8Array
  | FileSlice
  | Readable
  | ReadableStream<Uint8Array | string>
  | Iterable<Uint8Array | string>
  | AsyncIterable<Uint8Array | string>;

/** A body ready to send. */
export interface PreparedBody {
  body: RequestBody;
  /** Bytes the body holds, or `null` when unknown (sent chunked). */
  length: number | null;
  /** Whether the transport may resend it. */
  replayable: boolean;
  /** Feed every chunk the transport sends; the CRC restarts when the attempt number changes. */
  observe(chunk: Uint8Array, attempt: number): void;
  /** CRC64 (decimal) of the bytes the latest attempt sent. */
  crc64(): string;
  /** Bytes the latest attempt sent. */
  sent(): number;
}

/** Options of {@link prepareBody}. */
export interface PrepareBodyOptions {
  /** Declared length for a stream or iterable: sent as Content-Length and enforced (more or fewer bytes fail). */
  contentLength?: number | undefined;
  /** Largest body allowed (5 GiB for put/append/part). */
  maxLength: number;
}

class Hashing {
  #crc = new Crc64();
  #attempt = 0;

  observe(chunk: Uint8Array, attempt: number): void {
    if (attempt !== this.#attempt) {
      this.#attempt = attempt;
      this.#crc.reset();
    }
    this.#crc.update(chunk);
  }

  crc64(): string {
    return this.#crc.digest();
  }

  sent(): number {
    return this.#crc.length;
  }
}

function prepared(body: RequestBody, length: number | null, replayable: boolean): PreparedBody {
  const h = new Hashing();
  return {
    body,
    length,
    replayable,
    observe: (c, a) => h.observe(c, a),
    crc64: () => h.crc64(),
    sent: () => h.sent(),
  };
}

function checkLength(length: number, max: number, what: string): void {
  if (length > max) throw new OssArgumentError(`${what} is ${length} bytes; the limit is ${max} bytes (use a multipart upload)`, 'data', 'EntityTooLarge');
}

function isAsyncIterable(x: unknown): x is AsyncIterable<unknown> {
  return x !== null && typeof x === 'object' && typeof (x as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

function isIterable(x: unknown): x is Iterable<unknown> {
  return x !== null && typeof x === 'object' && typeof (x as Iterable<unknown>)[Symbol.iterator] === 'function';
}

/**
 * Validates chunks (bytes or strings only), converts strings to UTF-8, and enforces a declared length so that a
 * caller's wrong `contentLength` fails the request instead of storing a truncated or padded object.
 */
async function* checkedChunks(source: AsyncIterable<unknown> | Iterable<unknown>, declared: number | undefined, max: number): AsyncGenerator<Uint8Array> {
  let total = 0;
  for await (const chunk of source as AsyncIterable<unknown>) {
    let bytes: Uint8Array;
    if (chunk instanceof Uint8Array) bytes = chunk;
    else if (typeof chunk === 'string') bytes = Buffer.from(chunk, 'utf8');
    else {
      throw new OssArgumentError(
        `upload data must yield bytes or strings, got ${chunk === null ? 'null' : typeof chunk === 'object' ? (chunk.constructor?.name ?? 'object') : typeof chunk}` +
          ' (an object-mode stream? Use a byte stream, e.g. chain([...], { writableObjectMode: false, readableObjectMode: false }))',
        'data',
      );
    }
    total += bytes.byteLength;
    if (declared !== undefined && total > declared) {
      throw new OssArgumentError(`the data is longer than contentLength ${declared}; nothing was stored`, 'contentLength');
    }
    if (total > max) throw new OssArgumentError(`the data exceeds ${max} bytes; use a multipart upload`, 'data', 'EntityTooLarge');
    if (bytes.byteLength > 0) yield bytes;
  }
  if (declared !== undefined && total < declared) {
    throw new OssArgumentError(`the data ended after ${total} bytes, short of contentLength ${declared}; nothing was stored`, 'contentLength');
  }
}

/** Prepares `data` for one request. Throws {@link OssArgumentError} for unsupported data before anything is sent. */
export async function prepareBody(data: UploadData, opts: PrepareBodyOptions): Promise<PreparedBody> {
  const declared = opts.contentLength;
  if (declared !== undefined && (!Number.isSafeInteger(declared) || declared < 0)) {
    throw new OssArgumentError(`contentLength must be a non-negative integer, got ${declared}`, 'contentLength');
  }
  if (typeof data === 'string') {
    const bytes = Buffer.from(data, 'utf8');
    checkLength(bytes.byteLength, opts.maxLength, 'the string');
    return prepared(bytes, bytes.byteLength, true);
  }
  if (data instanceof Uint8Array) {
    checkLength(data.byteLength, opts.maxLength, 'the data');
    if (declared !== undefined && declared !== data.byteLength) {
      throw new OssArgumentError(`contentLength ${declared} does not match the ${data.byteLength} bytes given`, 'contentLength');
    }
    return prepared(data, data.byteLength, true);
  }
  if (data instanceof FileSlice) {
    checkLength(data.size, opts.maxLength, 'the file slice');
    if (data.path !== undefined) return prepared({ kind: 'file', path: data.path, offset: data.offset, length: data.size }, data.size, true);
    return prepared({ kind: 'stream', stream: checkedChunks(data.stream(), data.size, opts.maxLength) }, data.size, false);
  }
  if (data instanceof ReadStream && typeof data.path === 'string' && data.bytesRead === 0 && !data.readableDidRead) {
    // An untouched file stream is a file range: send Content-Length and make it replayable by reopening the range.
    const { start, end } = data as unknown as { start?: number; end?: number };
    const size = (await stat(data.path)).size;
    const from = start ?? 0;
    const to = Math.min(end === undefined || end === Infinity ? size - 1 : end, size - 1);
    const length = Math.max(0, to - from + 1);
    checkLength(length, opts.maxLength, 'the file');
    if (declared !== undefined && declared !== length) {
      throw new OssArgumentError(`contentLength ${declared} does not match the file range of ${length} bytes`, 'contentLength');
    }
    data.destroy();
    return prepared({ kind: 'file', path: data.path, offset: from, length }, length, true);
  }
  if (declared !== undefined) checkLength(declared, opts.maxLength, 'contentLength');
  let source: AsyncIterable<unknown> | Iterable<unknown>;
  if (data instanceof Readable) {
    if (data.readableObjectMode) {
      throw new OssArgumentError('the stream is in object mode; upload data must be a byte stream', 'data');
    }
    source = data;
  } else if (typeof ReadableStream !== 'undefined' && data instanceof ReadableStream) {
    source = Readable.fromWeb(data as import('node:stream/web').ReadableStream);
  } else if (isAsyncIterable(data) || isIterable(data)) {
    source = data;
  } else {
    throw new OssArgumentError(
      `unsupported upload data (${data === null ? 'null' : typeof data}): pass a string, Buffer/Uint8Array, FileSlice, Readable, ReadableStream or (async) iterable of bytes`,
      'data',
    );
  }
  return prepared({ kind: 'stream', stream: checkedChunks(source, declared, opts.maxLength) }, declared ?? null, false);
}
