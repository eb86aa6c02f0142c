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
  /** Releases the caller's source after a failure (destroys a stream, ends an iterator); idempotent. */
  discard(): void;
}

/** Options of {@link prepareBody}. */
interface PrepareBodyOptions {
  /** Declared length for a stream or iterable: sent as Content-Length and enforced (more or fewer bytes fail). */
  contentLength?: number | undefined;
  /** Largest body allowed (5 GiB for put/append/part). */
  maxLength: number;
  /** What to suggest when the body is over `maxLength`; default "use a multipart upload". */
  tooLargeHint?: string | undefined;
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

function prepared(
  body: RequestBody,
  length: number | null,
  replayable: boolean,
  discard: () => void = () => {},
): PreparedBody {
  const h = new Hashing();
  return {
    body,
    length,
    replayable,
    observe: (c, a) => h.observe(c, a),
    crc64: () => h.crc64(),
    sent: () => h.sent(),
    discard,
  };
}

function tooLarge(length: number, opts: PrepareBodyOptions, what: string): OssArgumentError {
  return new OssArgumentError(
    `${what} is ${length} bytes; ` +
      `the limit is ${opts.maxLength} bytes (${opts.tooLargeHint ?? 'use a multipart upload'})`,
    'data',
    'EntityTooLarge',
  );
}

function checkLength(length: number, opts: PrepareBodyOptions, what: string): void {
  if (length > opts.maxLength) throw tooLarge(length, opts, what);
}

function isAsyncIterable(x: unknown): x is AsyncIterable<unknown> {
  return (
    x !== null && typeof x === 'object' && typeof (x as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
  );
}

function isIterable(x: unknown): x is Iterable<unknown> {
  return x !== null && typeof x === 'object' && typeof (x as Iterable<unknown>)[Symbol.iterator] === 'function';
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x !== 'object') return typeof x;
  return (x as object).constructor?.name ?? 'object';
}

function toBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  throw new OssArgumentError(
    `upload data must yield bytes or strings, got ${describe(chunk)}` +
      ' (an object-mode stream of objects? Serialize them first, e.g. JSON.stringify each line)',
    'data',
  );
}

/**
 * A caller's stream or iterable, checked as it is read: chunks must be bytes or strings (strings become UTF-8),
 * and a declared length is enforced so a wrong `contentLength` fails the request instead of storing a truncated
 * or padded object. The first chunk is read before the request is opened ({@link prime}), so a source of the
 * wrong type, or an empty one, is known before anything is sent.
 */
class CheckedSource {
  readonly #iterator: AsyncIterator<unknown> | Iterator<unknown>;
  readonly #declared: number | undefined;
  readonly #opts: PrepareBodyOptions;
  readonly #onDiscard: () => void;
  #first: Uint8Array | undefined;
  #ended = false;
  #total = 0;
  #discarded = false;

  constructor(
    source: AsyncIterable<unknown> | Iterable<unknown>,
    declared: number | undefined,
    opts: PrepareBodyOptions,
    onDiscard: () => void,
  ) {
    this.#iterator = isAsyncIterable(source)
      ? source[Symbol.asyncIterator]()
      : (source as Iterable<unknown>)[Symbol.iterator]();
    this.#declared = declared;
    this.#opts = opts;
    this.#onDiscard = onDiscard;
  }

  /** Reads up to the first non-empty chunk. Returns `true` when the source holds no byte at all. */
  async prime(): Promise<boolean> {
    const first = await this.#next();
    if (first === undefined) return true;
    this.#first = first;
    return false;
  }

  /** The rest of the source, the primed chunk first. */
  async *chunks(): AsyncGenerator<Uint8Array> {
    if (this.#first !== undefined) {
      const first = this.#first;
      this.#first = undefined;
      yield first;
    }
    for (let c = await this.#next(); c !== undefined; c = await this.#next()) yield c;
  }

  discard(): void {
    if (this.#discarded) return;
    this.#discarded = true;
    this.#onDiscard();
    if (!this.#ended) {
      // An async generator busy in an `await` queues return() until it yields: never wait for it.
      Promise.resolve()
        .then(() => this.#iterator.return?.())
        .catch(() => {});
    }
  }

  async #next(): Promise<Uint8Array | undefined> {
    for (;;) {
      if (this.#ended) return undefined;
      const r = await this.#iterator.next();
      if (r.done === true) {
        this.#ended = true;
        const declared = this.#declared;
        if (declared !== undefined && this.#total < declared) {
          throw new OssArgumentError(
            `the data ended after ${this.#total} bytes, short of contentLength ${declared}; nothing was stored`,
            'contentLength',
          );
        }
        return undefined;
      }
      const bytes = toBytes(r.value);
      this.#total += bytes.byteLength;
      if (this.#declared !== undefined && this.#total > this.#declared) {
        throw new OssArgumentError(
          `the data is longer than contentLength ${this.#declared}; nothing was stored`,
          'contentLength',
        );
      }
      if (this.#total > this.#opts.maxLength) throw tooLarge(this.#total, this.#opts, 'the data');
      if (bytes.byteLength > 0) return bytes;
    }
  }
}

/** The bytes of an untouched `fs.ReadStream` as a file range, or `undefined` when it has to be streamed. */
async function fileRangeOf(data: ReadStream): Promise<{ path: string; offset: number; length: number } | undefined> {
  if (typeof data.path !== 'string' || data.bytesRead !== 0 || data.readableDidRead || data.destroyed) return undefined;
  // A stream with an encoding yields text, not the file's bytes: send what it yields, not the raw range.
  if (data.readableEncoding !== null) return undefined;
  const { start, end } = data as unknown as { start?: number; end?: number };
  let size: number;
  try {
    size = (await stat(data.path)).size;
  } catch {
    return undefined; // reading the stream then fails with the file's own error (ENOENT…)
  }
  const from = start ?? 0;
  const to = Math.min(end === undefined || end === Infinity ? size - 1 : end, size - 1);
  return { path: data.path, offset: from, length: Math.max(0, to - from + 1) };
}

/**
 * Prepares `data` for one request. Throws {@link OssArgumentError} for unsupported data, a wrong `contentLength`
 * or a body over `maxLength` before anything is sent. A stream or iterable has its first chunk read here.
 */
export async function prepareBody(data: UploadData, opts: PrepareBodyOptions): Promise<PreparedBody> {
  const declared = opts.contentLength;
  if (declared !== undefined && (!Number.isSafeInteger(declared) || declared < 0)) {
    throw new OssArgumentError(`contentLength must be a non-negative integer, got ${declared}`, 'contentLength');
  }
  const mustMatch = (length: number, what: string): void => {
    if (declared !== undefined && declared !== length) {
      throw new OssArgumentError(
        `contentLength ${declared} does not match ${what} of ${length} bytes`,
        'contentLength',
      );
    }
  };
  if (typeof data === 'string') {
    const bytes = Buffer.from(data, 'utf8');
    checkLength(bytes.byteLength, opts, 'the string');
    mustMatch(bytes.byteLength, 'the UTF-8 string');
    return prepared(bytes, bytes.byteLength, true);
  }
  if (data instanceof Uint8Array) {
    checkLength(data.byteLength, opts, 'the data');
    mustMatch(data.byteLength, 'the bytes given');
    return prepared(data, data.byteLength, true);
  }
  if (data instanceof FileSlice) {
    checkLength(data.size, opts, 'the file slice');
    mustMatch(data.size, 'the file slice');
    if (data.path !== undefined)
      return prepared({ kind: 'file', path: data.path, offset: data.offset, length: data.size }, data.size, true);
    return streamed(data.stream(), data.size, opts, () => {});
  }
  if (data instanceof ReadStream) {
    // An untouched file stream is a file range: send Content-Length, and retry by reopening the range.
    const range = await fileRangeOf(data);
    if (range !== undefined) {
      checkLength(range.length, opts, 'the file');
      mustMatch(range.length, 'the file range');
      data.destroy();
      return prepared({ kind: 'file', ...range }, range.length, true);
    }
  }
  if (declared !== undefined) checkLength(declared, opts, 'contentLength');
  if (data instanceof Readable) {
    // Object mode is fine as long as the chunks are bytes or strings (Readable.from() makes object-mode streams).
    return streamed(data, declared, opts, () => data.destroy());
  }
  if (typeof ReadableStream !== 'undefined' && data instanceof ReadableStream) {
    const readable = Readable.fromWeb(data as import('node:stream/web').ReadableStream, { objectMode: true });
    return streamed(readable, declared, opts, () => readable.destroy());
  }
  if (isAsyncIterable(data) || isIterable(data)) return streamed(data, declared, opts, () => {});
  throw new OssArgumentError(
    `unsupported upload data (${describe(data)}): ` +
      'pass a string, Buffer/Uint8Array, FileSlice, Readable, ReadableStream or (async) iterable of bytes',
    'data',
  );
}

async function streamed(
  source: AsyncIterable<unknown> | Iterable<unknown>,
  declared: number | undefined,
  opts: PrepareBodyOptions,
  destroy: () => void,
): Promise<PreparedBody> {
  const checked = new CheckedSource(source, declared, opts, destroy);
  let empty: boolean;
  try {
    empty = await checked.prime();
  } catch (err) {
    checked.discard();
    throw err;
  }
  // An empty source is an empty body with Content-Length 0: nothing left to stream, and it can be resent.
  if (empty) return prepared(new Uint8Array(0), 0, true);
  return prepared({ kind: 'stream', stream: checked.chunks() }, declared ?? null, false, () => checked.discard());
}
