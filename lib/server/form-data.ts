/**
 * A streaming `multipart/form-data` reader for PostObject: the form fields before the `file` field are kept in
 * memory (bounded), the file's bytes stream to a destination chosen once every field is known (OSS requires the
 * file to be the last field; anything after it is ignored), hashed (MD5 + CRC-64) on the way. It is a Writable, so
 * the request body reaches it through the context's one body reader (counted, size-checked, fault-aware).
 */
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { Crc64 } from '../core/crc64.js';
import type { HashedDigest } from './body-receiver.js';
import { ServerError } from './server-error.js';

/** Where the file goes, decided from the fields: a stream and the largest file accepted. */
interface FileSink {
  stream: Writable;
  maxBytes: number;
}

/** The fields (names lower-case, first occurrence wins) and the file part's `filename` and `Content-Type`. */
export interface FormFields {
  fields: Map<string, string>;
  filename: string;
  fileContentType: string | undefined;
}

/** Largest total size of the fields before the file (the policy is one of them). */
const MAX_FIELD_BYTES = 1024 * 1024;
const MAX_PART_HEADER_BYTES = 16 * 1024;

/** 400 MalformedPOSTRequest. */
function malformedPost(detail: string): ServerError {
  return new ServerError(
    400,
    'MalformedPOSTRequest',
    `The body of your POST request is not well-formed multipart/form-data: ${detail}.`,
  );
}

/** The boundary of a `multipart/form-data` Content-Type; 400 MalformedPOSTRequest without one. */
export function formBoundary(contentType: string | undefined): string {
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '');
  const boundary = m?.[1] ?? m?.[2];
  if (boundary === undefined || boundary.length > 70) throw malformedPost('no boundary in Content-Type');
  return boundary;
}

type State = 'preamble' | 'headers' | 'field' | 'file' | 'done';

/**
 * Parses a form body written into it. `onFile` runs once, when the file part starts, with every field before it;
 * it throws to refuse the request (nothing of the file is stored then) or returns where the file goes. Once the
 * Writable finished, {@link FormReader.result} holds the fields and the file's digest.
 */
export class FormReader extends Writable {
  readonly #delimiter: Buffer;
  readonly #onFile: (form: FormFields) => FileSink;
  #buf: Buffer = Buffer.alloc(0);
  #state: State = 'preamble';
  #fieldBytes = 0;
  #name = '';
  #filename: string | undefined;
  #partType: string | undefined;
  readonly #fields = new Map<string, string>();
  #sink: FileSink | undefined;
  #size = 0;
  readonly #md5 = createHash('md5');
  readonly #crc = new Crc64();
  #result: { form: FormFields; digest: HashedDigest } | undefined;

  constructor(boundary: string, onFile: (form: FormFields) => FileSink) {
    super();
    this.#delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
    // The first delimiter may open the body without a preceding CRLF.
    this.#buf = Buffer.from('\r\n', 'latin1');
    this.#onFile = onFile;
  }

  /** The fields and the file's digest, once the body was read whole. */
  get result(): { form: FormFields; digest: HashedDigest } {
    if (this.#result === undefined) throw malformedPost('no file field');
    return this.#result;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    if (this.#state === 'done') {
      done();
      return;
    }
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    try {
      this.#parse(done);
    } catch (err) {
      done(err as Error);
    }
  }

  override _final(done: (err?: Error | null) => void): void {
    if (this.#state !== 'done') {
      done(
        this.#sink === undefined ? malformedPost('no file field') : malformedPost('the file field is not terminated'),
      );
      return;
    }
    done();
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    if (this.#sink !== undefined && !this.#sink.stream.closed) {
      this.#sink.stream.once('close', () => done(err));
      this.#sink.stream.destroy();
      return;
    }
    done(err);
  }

  /** Consumes what `#buf` holds; calls `done` once the file destination took the bytes. */
  #parse(done: (err?: Error | null) => void): void {
    for (;;) {
      switch (this.#state) {
        case 'preamble':
        case 'field': {
          const at = this.#buf.indexOf(this.#delimiter);
          if (at < 0) {
            if (this.#fieldBytes + this.#buf.length > MAX_FIELD_BYTES) throw tooManyFieldBytes();
            return done();
          }
          if (this.#state === 'field') {
            const value = this.#buf.subarray(0, at).toString('utf8');
            if (!this.#fields.has(this.#name)) this.#fields.set(this.#name, value);
          }
          this.#countField(at);
          if (!this.#afterDelimiter(at)) return done();
          break;
        }
        case 'headers': {
          const end = this.#buf.indexOf('\r\n\r\n', 0, 'latin1');
          if (end < 0) {
            if (this.#buf.length > MAX_PART_HEADER_BYTES) throw malformedPost('part headers too long');
            return done();
          }
          this.#partHeaders(this.#buf.subarray(0, end).toString('utf8'));
          this.#buf = this.#buf.subarray(end + 4);
          break;
        }
        case 'file':
          return this.#fileBytes(done);
        case 'done':
          return done();
      }
    }
  }

  /** After a delimiter at `at`: the next part, or the end. False when more bytes are needed. */
  #afterDelimiter(at: number): boolean {
    const after = at + this.#delimiter.length;
    if (this.#buf.length < after + 2) return false;
    const tail = this.#buf.subarray(after, after + 2).toString('latin1');
    if (tail === '--') throw malformedPost('no file field');
    // Transport padding (spaces, tabs) may follow a delimiter before its CRLF.
    const eol = this.#buf.indexOf('\r\n', after, 'latin1');
    if (eol < 0) return false;
    if (this.#buf.subarray(after, eol).toString('latin1').trim() !== '') throw malformedPost('bad delimiter line');
    this.#buf = this.#buf.subarray(eol + 2);
    this.#state = 'headers';
    return true;
  }

  #partHeaders(text: string): void {
    let disposition: string | undefined;
    this.#partType = undefined;
    for (const line of text.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      if (name === 'content-disposition') disposition = line.slice(colon + 1);
      else if (name === 'content-type') this.#partType = line.slice(colon + 1).trim();
    }
    const name = disposition === undefined ? undefined : param(disposition, 'name');
    if (name === undefined) throw malformedPost('a part without a form-data name');
    this.#name = name.toLowerCase();
    this.#filename = param(disposition!, 'filename');
    if (this.#name !== 'file') {
      this.#state = 'field';
      return;
    }
    this.#sink = this.#onFile({
      fields: this.#fields,
      filename: this.#filename ?? '',
      fileContentType: this.#partType,
    });
    this.#sink.stream.on('error', (err: Error) => this.destroy(err));
    this.#state = 'file';
  }

  /** Writes the file bytes that surely precede the closing delimiter; keeps a tail that could start it. */
  #fileBytes(done: (err?: Error | null) => void): void {
    const at = this.#buf.indexOf(this.#delimiter);
    const safe = at >= 0 ? at : Math.max(0, this.#buf.length - this.#delimiter.length + 1);
    const bytes = this.#buf.subarray(0, safe);
    this.#buf = this.#buf.subarray(safe);
    const sink = this.#sink!;
    if (at >= 0) {
      this.#state = 'done';
      this.#buf = Buffer.alloc(0);
    }
    this.#size += bytes.length;
    if (this.#size > sink.maxBytes) {
      throw new ServerError(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size.', {
        MaxSizeAllowed: String(sink.maxBytes),
      });
    }
    this.#md5.update(bytes);
    this.#crc.update(bytes);
    const finish = (): void => {
      if (this.#state !== 'done') return done();
      this.#result = {
        form: { fields: this.#fields, filename: this.#filename ?? '', fileContentType: this.#partType },
        digest: { size: this.#size, md5: this.#md5.digest(), crc64: this.#crc.digest() },
      };
      sink.stream.once('close', () => done());
      sink.stream.end();
    };
    if (bytes.length === 0 || sink.stream.write(bytes)) finish();
    else sink.stream.once('drain', finish);
  }

  #countField(n: number): void {
    this.#fieldBytes += n;
    if (this.#fieldBytes > MAX_FIELD_BYTES) throw tooManyFieldBytes();
  }
}

function tooManyFieldBytes(): ServerError {
  return malformedPost(`form fields larger than ${MAX_FIELD_BYTES} bytes`);
}

/** A `name="value"` parameter of a Content-Disposition value. */
function param(disposition: string, name: string): string | undefined {
  const m =
    new RegExp(`;\\s*${name}="([^"]*)"`, 'i').exec(disposition) ??
    new RegExp(`;\\s*${name}=([^;\\s]+)`, 'i').exec(disposition);
  return m?.[1];
}
