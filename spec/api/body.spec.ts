import { expect } from 'chai';
import fc from 'fast-check';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { FileSlice, LIMITS, OssArgumentError, determinePartSize } from 'oss-stream';
import { prepareBody, type PreparedBody, type UploadData } from '../../lib/api/body.js';
import { partCount } from '../../lib/parts/part-size.js';
import { chunked, oracleCrc, pattern, readAll, rejection } from '../support/bytes.js';
import { eventually } from '../support/eventually.js';

const GiB = 1024 ** 3;
const MAX = { maxLength: LIMITS.maxPutSize };

/** Reads a prepared body the way the transport would for one attempt, feeding `observe`. */
async function drain(p: PreparedBody, attempt = 1): Promise<Buffer> {
  const b = p.body;
  if (b === undefined) return Buffer.alloc(0);
  if (typeof b === 'string') return Buffer.from(b, 'utf8');
  if (b instanceof Uint8Array) {
    p.observe(b, attempt);
    return Buffer.from(b);
  }
  if (b.kind === 'file') {
    const data =
      b.length === 0
        ? Buffer.alloc(0)
        : await readAll(createReadStream(b.path, { start: b.offset, end: b.offset + b.length - 1 }));
    p.observe(data, attempt);
    return data;
  }
  const chunks: Buffer[] = [];
  for await (const c of b.stream) {
    p.observe(c, attempt);
    chunks.push(Buffer.from(c));
  }
  return Buffer.concat(chunks);
}

/** A byte stream that counts how often it was asked for data. */
function countingStream(chunks: Buffer[]): { stream: Readable; reads: () => number } {
  let reads = 0;
  let i = 0;
  const stream = new Readable({
    read() {
      reads++;
      this.push(i < chunks.length ? chunks[i++] : null);
    },
  });
  return { stream, reads: () => reads };
}

describe('api/body: prepareBody', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'oss-stream-body-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('replayable sources with a known length', () => {
    it('a string is sent as UTF-8: the length counts bytes, not UTF-16 units', async () => {
      const text = 'content of object — 对象 ✓ 😀';
      const p = await prepareBody(text, MAX);
      const utf8 = Buffer.from(text, 'utf8');
      expect(text.length).to.equal(27);
      expect([p.length, p.replayable]).to.deep.equal([utf8.length, true]);
      expect(utf8.length).to.equal(37);
      expect(await drain(p)).to.deep.equal(utf8);
      expect([p.sent(), p.crc64()]).to.deep.equal([37, oracleCrc(utf8)]);
    });

    it('Buffer and Uint8Array views go through untouched (no copy), offset views included', async () => {
      const backing = pattern(1000);
      const view = new Uint8Array(backing.buffer, backing.byteOffset + 10, 100);
      const p = await prepareBody(view, MAX);
      expect(p.body).to.equal(view);
      expect([p.length, p.replayable]).to.deep.equal([100, true]);
      expect(await drain(p)).to.deep.equal(backing.subarray(10, 110));
      expect(p.crc64()).to.equal(oracleCrc(backing.subarray(10, 110)));
    });

    it('a FileSlice of a path is a file range: re-read on every attempt', async () => {
      const file = join(dir, 'slice.bin');
      const data = pattern(10_000, 1);
      await writeFile(file, data);
      const p = await prepareBody(new FileSlice(file, 1234, 5000), MAX);
      expect(p.body).to.deep.equal({ kind: 'file', path: file, offset: 1234, length: 5000 });
      expect([p.length, p.replayable]).to.deep.equal([5000, true]);
      expect(await drain(p)).to.deep.equal(data.subarray(1234, 6234));
    });

    it('a FileSlice of an open FileHandle is streamed with its length', async () => {
      const file = join(dir, 'handle.bin');
      const data = pattern(3000, 2);
      await writeFile(file, data);
      const fh = await open(file, 'r');
      try {
        const p = await prepareBody(new FileSlice(fh, 100, 2000), MAX);
        expect([p.length, p.replayable]).to.deep.equal([2000, false]);
        expect(await drain(p)).to.deep.equal(data.subarray(100, 2100));
      } finally {
        await fh.close();
      }
    });

    it('an untouched fs.ReadStream becomes its file range (Content-Length, replayable), start/end honoured', async () => {
      const file = join(dir, 'stream.bin');
      const data = pattern(70_000, 3);
      await writeFile(file, data);
      const whole = createReadStream(file);
      const p = await prepareBody(whole, MAX);
      expect(p.body).to.deep.equal({ kind: 'file', path: file, offset: 0, length: 70_000 });
      expect(p.replayable).to.equal(true);
      expect(whole.destroyed, 'the caller stream is closed, the range is reopened per attempt').to.equal(true);
      const ranged = await prepareBody(createReadStream(file, { start: 5, end: 9 }), MAX);
      expect(ranged.body).to.deep.equal({ kind: 'file', path: file, offset: 5, length: 5 });
      expect(await drain(ranged)).to.deep.equal(data.subarray(5, 10));
    });

    it('an fs.ReadStream with an encoding is streamed as the text it yields, not as the raw file range', async () => {
      const file = join(dir, 'encoded.bin');
      await writeFile(file, Buffer.from([0xde, 0xad, 0xbe, 0xef]));
      const p = await prepareBody(createReadStream(file, { encoding: 'hex' }), MAX);
      expect([p.length, p.replayable]).to.deep.equal([null, false]);
      expect((await drain(p)).toString('utf8')).to.equal('deadbeef');
    });

    it('an fs.ReadStream that was already read from is streamed from where it is (length unknown)', async () => {
      const file = join(dir, 'touched.bin');
      const data = pattern(200_000, 4);
      await writeFile(file, data);
      const s = createReadStream(file, { highWaterMark: 65_536 });
      const first = await new Promise<Buffer>((resolve) => s.once('readable', () => resolve(s.read(1000) as Buffer)));
      const p = await prepareBody(s, MAX);
      expect([p.length, p.replayable]).to.deep.equal([null, false]);
      expect(Buffer.concat([first, await drain(p)])).to.deep.equal(data);
    });
  });

  describe('one-shot sources (sent chunked unless contentLength is given)', () => {
    const data = pattern(300_000, 5);
    const sources: Array<[string, () => UploadData]> = [
      ['a byte Readable', () => Readable.from(chunked(data), { objectMode: false })],
      ['an object-mode Readable of Buffers (Readable.from)', () => Readable.from(chunked(data))],
      ['a sync iterable (array of chunks)', () => chunked(data)],
      [
        'a sync generator',
        () =>
          (function* () {
            yield* chunked(data);
          })(),
      ],
      [
        'an async generator',
        () =>
          (async function* () {
            for (const c of chunked(data)) yield c;
          })(),
      ],
      [
        'a Web ReadableStream',
        () => {
          const chunks = chunked(data);
          return new ReadableStream<Uint8Array>({
            pull(c) {
              const next = chunks.shift();
              if (next === undefined) c.close();
              else c.enqueue(next);
            },
          });
        },
      ],
    ];
    for (const [name, make] of sources) {
      it(`${name}: length null, not replayable, bytes and CRC exact`, async () => {
        const p = await prepareBody(make(), MAX);
        expect([p.length, p.replayable]).to.deep.equal([null, false]);
        expect((p.body as { kind: string }).kind).to.equal('stream');
        expect((await drain(p)).equals(data)).to.equal(true);
        expect([p.sent(), p.crc64()]).to.deep.equal([data.length, oracleCrc(data)]);
      });
    }

    it('strings inside iterables and streams are UTF-8 encoded', async () => {
      const p = await prepareBody(
        (async function* () {
          yield 'ü';
          yield Buffer.from('-');
          yield '中';
        })(),
        MAX,
      );
      expect(await drain(p)).to.deep.equal(Buffer.from('ü-中', 'utf8'));
      const w = await prepareBody(
        new ReadableStream<string>({
          start(c) {
            c.enqueue('✓');
            c.close();
          },
        }),
        MAX,
      );
      expect(await drain(w)).to.deep.equal(Buffer.from('✓', 'utf8'));
    });

    it('contentLength is sent as the length and enforced both ways', async () => {
      const p = await prepareBody(Readable.from(chunked(data)), { ...MAX, contentLength: data.length });
      expect(p.length).to.equal(data.length);
      expect((await drain(p)).length).to.equal(data.length);
      const short = await prepareBody(Readable.from(chunked(data)), { ...MAX, contentLength: data.length + 1 });
      const e1 = await rejection(drain(short));
      expect([e1.constructor, e1.code, e1.argument]).to.deep.equal([
        OssArgumentError,
        'InvalidArgument',
        'contentLength',
      ]);
      expect(e1.message).to.equal(
        `the data ended after ${data.length} bytes, short of contentLength ${data.length + 1}; nothing was stored`,
      );
      const long = await prepareBody(chunked(data), { ...MAX, contentLength: 10 });
      const e2 = await rejection(drain(long));
      expect(e2.message).to.equal('the data is longer than contentLength 10; nothing was stored');
    });

    it('the first chunk is read before the request: a source of objects fails before anything is sent', async () => {
      const objects = Readable.from([{ a: 1 }]);
      const e = await rejection(prepareBody(objects, MAX));
      expect(e).to.be.instanceOf(OssArgumentError);
      expect(e.message).to.match(/^upload data must yield bytes or strings, got Object/);
      expect(objects.destroyed, 'the rejected stream is released').to.equal(true);
      const numbers = await rejection(prepareBody([1, 2, 3] as unknown as Iterable<Uint8Array>, MAX));
      expect(numbers.message).to.match(/got number/);
    });

    it('a bad chunk after good ones fails the body while it is read', async () => {
      const p = await prepareBody(
        (function* () {
          yield Buffer.from('ok');
          yield 42 as unknown as Uint8Array;
        })(),
        MAX,
      );
      const e = await rejection(drain(p));
      expect(e).to.be.instanceOf(OssArgumentError);
      expect(e.argument).to.equal('data');
    });

    it('empty sources of every kind become a replayable 0-byte body with Content-Length 0', async () => {
      const file = join(dir, 'empty.bin');
      await writeFile(file, '');
      const empties: UploadData[] = [
        '',
        Buffer.alloc(0),
        new Uint8Array(0),
        [],
        (async function* () {})(),
        Readable.from([]),
        Readable.from([Buffer.alloc(0), '']),
        new ReadableStream({
          start(c) {
            c.close();
          },
        }),
        new FileSlice(file, 0, 0),
        createReadStream(file),
      ];
      for (const e of empties) {
        const p = await prepareBody(e, MAX);
        expect([p.length, p.replayable], String(e?.constructor?.name)).to.deep.equal([0, true]);
        expect((await drain(p)).length).to.equal(0);
        expect([p.sent(), p.crc64()]).to.deep.equal([0, '0']);
      }
    });

    it('discard() destroys a Readable and ends a generator (its finally runs)', async () => {
      const r = Readable.from(['a', 'b']);
      (await prepareBody(r, MAX)).discard();
      expect(r.destroyed).to.equal(true);
      let cleaned = false;
      const gen = (async function* () {
        try {
          yield 'a';
          yield 'b';
        } finally {
          cleaned = true;
        }
      })();
      const p = await prepareBody(gen, MAX);
      p.discard();
      await eventually(() => expect(cleaned).to.equal(true));
    });
  });

  describe('the CRC covers exactly what the successful attempt sent', () => {
    it('a new attempt number restarts the hash and the byte count', async () => {
      const p = await prepareBody(pattern(5000, 6), MAX);
      p.observe(Buffer.from('garbage from a failed attempt'), 1);
      expect(p.sent()).to.equal(29);
      await drain(p, 2);
      expect([p.sent(), p.crc64()]).to.deep.equal([5000, oracleCrc(pattern(5000, 6))]);
    });

    it('property: any chunking of any bytes, through any one-shot source, hashes and concatenates exactly', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.uint8Array({ maxLength: 4096 }),
          fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 8 }),
          fc.constantFrom('readable', 'sync', 'async', 'web'),
          async (bytes, sizes, kind) => {
            const data = Buffer.from(bytes);
            const chunks = chunked(data, sizes);
            const source: UploadData =
              kind === 'readable'
                ? Readable.from(chunks)
                : kind === 'sync'
                  ? chunks
                  : kind === 'async'
                    ? (async function* () {
                        yield* chunks;
                      })()
                    : new ReadableStream<Uint8Array>({
                        start(c) {
                          for (const x of chunks) c.enqueue(x);
                          c.close();
                        },
                      });
            const p = await prepareBody(source, MAX);
            expect((await drain(p)).equals(data)).to.equal(true);
            expect(p.crc64()).to.equal(oracleCrc(data));
            expect(p.length).to.equal(data.length === 0 ? 0 : null);
          },
        ),
        { numRuns: 150 },
      );
    });
  });

  describe('validation before anything is read or sent', () => {
    it('unsupported data types are argument errors naming what to pass', async () => {
      for (const bad of [123, null, undefined, {}, new DataView(new ArrayBuffer(4)), true]) {
        const e = await rejection(prepareBody(bad as unknown as UploadData, MAX));
        expect(e).to.be.instanceOf(OssArgumentError);
        expect(e.message).to.match(
          /^unsupported upload data \(.+\): pass a string, Buffer\/Uint8Array, FileSlice, Readable, ReadableStream or \(async\) iterable of bytes$/,
        );
      }
    });

    it('contentLength must be a non-negative integer and match bytes, strings and slices', async () => {
      for (const bad of [-1, 1.5, Number.NaN, 2 ** 53]) {
        const e = await rejection(prepareBody('x', { ...MAX, contentLength: bad }));
        expect(e.message).to.equal(`contentLength must be a non-negative integer, got ${bad}`);
      }
      expect((await rejection(prepareBody('héllo', { ...MAX, contentLength: 5 }))).message).to.equal(
        'contentLength 5 does not match the UTF-8 string of 6 bytes',
      );
      expect((await rejection(prepareBody(Buffer.alloc(3), { ...MAX, contentLength: 4 }))).message).to.equal(
        'contentLength 4 does not match the bytes given of 3 bytes',
      );
    });

    it('a 6 GiB contentLength is EntityTooLarge before the stream is read at all', async () => {
      const { stream, reads } = countingStream([Buffer.from('x')]);
      const e = await rejection(prepareBody(stream, { ...MAX, contentLength: 6 * GiB }));
      expect([e.constructor, e.code, e.argument]).to.deep.equal([OssArgumentError, 'EntityTooLarge', 'data']);
      expect(e.message).to.equal(
        'contentLength is 6442450944 bytes; the limit is 5368709120 bytes (use a multipart upload)',
      );
      expect(reads()).to.equal(0);
    });

    it('exactly 5 GiB is accepted as a declared length without buffering (only the first chunk is pulled)', async () => {
      let pulls = 0;
      const source = (async function* () {
        for (;;) {
          pulls++;
          yield Buffer.alloc(65_536);
        }
      })();
      const p = await prepareBody(source, { ...MAX, contentLength: 5 * GiB });
      expect([p.length, pulls]).to.deep.equal([5 * GiB, 1]);
      p.discard();
    });

    it('48.8 TiB: determinePartSize picks 5 GiB parts, 9,995 of them, each a valid declared part length', async () => {
      const total = LIMITS.maxObjectSize;
      expect(total).to.equal(53_656_167_435_468); // 48.8 × 1024 GiB
      const partSize = determinePartSize(total);
      expect(partSize).to.equal(5 * GiB);
      const parts = partCount(total, partSize);
      expect(parts).to.equal(9995);
      const last = total - (parts - 1) * partSize;
      expect(last).to.equal(1_288_490_188);
      expect(last).to.be.within(1, partSize);
      for (const len of [partSize, last]) {
        const p = await prepareBody(Readable.from([Buffer.from('x')]), {
          maxLength: LIMITS.maxPartSize,
          contentLength: len,
        });
        expect(p.length).to.equal(len);
        p.discard();
      }
      expect(determinePartSize(10 * GiB)).to.equal(10 * 1024 * 1024);
      expect(determinePartSize(10 * 1024 * 1024 * 10_000 + 1)).to.equal(20 * 1024 * 1024);
      expect(() => determinePartSize(total + 1)).to.throw(OssArgumentError, /exceeds the largest OSS object/);
    });

    it('a FileSlice or file over the limit is EntityTooLarge (a sparse 6 GiB file, never read)', async () => {
      const file = join(dir, 'sparse.bin');
      const fh = await open(file, 'w');
      await fh.truncate(6 * GiB);
      await fh.close();
      const e = await rejection(prepareBody(new FileSlice(file, 0, 6 * GiB), MAX));
      expect([e.code, e.message]).to.deep.equal([
        'EntityTooLarge',
        'the file slice is 6442450944 bytes; the limit is 5368709120 bytes (use a multipart upload)',
      ]);
      const s = createReadStream(file);
      const e2 = await rejection(prepareBody(s, MAX));
      expect(e2.code).to.equal('EntityTooLarge');
      s.destroy();
      // Offsets past 4 GiB are plain arithmetic too.
      const tail = await prepareBody(new FileSlice(file, 6 * GiB - 100, 100), MAX);
      expect(tail.body).to.deep.equal({ kind: 'file', path: file, offset: 6 * GiB - 100, length: 100 });
      expect(await drain(tail)).to.deep.equal(Buffer.alloc(100));
    });
  });
});
