import { expect } from 'chai';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ReadableStream } from 'node:stream/web';
import zlib from 'node:zlib';
import chain from 'stream-chain';
import {
  Auth,
  Bucket,
  createPutStream,
  crc64,
  OssArgumentError,
  OssError,
  OssIntegrityError,
  PutStream,
} from 'oss-stream';
import type { OssServer } from 'oss-stream/server';
import { consistently, eventually } from '../support/eventually.js';
import { chunked, pattern } from '../support/bytes.js';
import { BUCKET, clientFor, startServer } from '../support/local-oss.js';

async function readBack(bucket: Bucket, key: string): Promise<Buffer> {
  const { body } = await bucket.getObject(key);
  const parts: Buffer[] = [];
  for await (const c of body) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

async function exists(bucket: Bucket, key: string): Promise<boolean> {
  return bucket.headObject(key).then(
    () => true,
    (err: OssError) => {
      if (err.status === 404) return false;
      throw err;
    },
  );
}

function rejection(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: Error) => err,
  );
}

/** A byte source that yields `first`, then waits until `gate` resolves before yielding `rest`. */
async function* gated(first: Buffer[], gate: Promise<unknown>, rest: Buffer[]): AsyncGenerator<Buffer> {
  yield* first;
  await gate;
  yield* rest;
}

describe('createPutStream', () => {
  let server: OssServer;
  let bucket: Bucket;

  before(async () => {
    server = await startServer();
    bucket = clientFor(server);
  });
  after(async () => {
    await bucket.close();
    await server.close();
  });
  beforeEach(() => {
    server.faults.clear();
    server.stats.reset();
  });

  /** No object at `key`, and none appears while the event loop turns (a failed request must not commit late). */
  const staysAbsent = (key: string): Promise<void> =>
    consistently(async () => expect(await exists(bucket, key)).to.equal(false));
  const bytesIn = (): number => server.stats.op('PutObject').bytesIn;

  it('streams a chunked body (no contentLength): bytes and CRC64 exact, sent before the source ends', async () => {
    const data = pattern(3 * 1024 * 1024 + 123);
    const chunks = chunked(data, [1, 1000, 65_536, 7, 300_000]);
    const half = chunks.findIndex((_, i) => chunks.slice(0, i).reduce((n, c) => n + c.length, 0) > data.length / 2);
    // The second half waits until the server has received bytes: proof the body is streamed, not buffered whole.
    const arrived = eventually(() => bytesIn() > 0);
    const sink = createPutStream(bucket, 'put/chunked.bin');
    await pipeline(Readable.from(gated(chunks.slice(0, half), arrived, chunks.slice(half))), sink);
    expect(sink.result?.size).to.equal(data.length);
    expect(sink.result?.crc64).to.equal(crc64(data));
    expect(sink.result?.etag).to.match(/^"[0-9A-F]{32}"$/);
    expect((await readBack(bucket, 'put/chunked.bin')).equals(data)).to.equal(true);
    expect(server.stats.op('PutObject').requests).to.equal(1);
    expect(server.stats.op('PutObject').bytesIn).to.equal(data.length);
  });

  it('sends Content-Length when contentLength is given', async () => {
    const data = pattern(1024 * 1024 + 5, 9);
    const sink = createPutStream(bucket, 'put/known.bin', { contentLength: data.length });
    await pipeline(Readable.from(chunked(data, [4096, 17])), sink);
    expect(sink.result?.size).to.equal(data.length);
    expect(sink.result?.crc64).to.equal(crc64(data));
    expect((await readBack(bucket, 'put/known.bin')).equals(data)).to.equal(true);
  });

  for (const contentLength of [undefined, 0]) {
    it(`stores an empty object from an empty stream (contentLength ${contentLength})`, async () => {
      const key = `put/empty-${contentLength}`;
      const sink = createPutStream(bucket, key, { contentLength });
      await pipeline(Readable.from([]), sink);
      expect(sink.result?.size).to.equal(0);
      expect(sink.result?.crc64).to.equal('0');
      const h = await bucket.headObject(key);
      expect(h.size).to.equal(0);
      expect(h.crc64).to.equal('0');
    });
  }

  it('accepts strings in any encoding, as their bytes', async () => {
    const sink = createPutStream(bucket, 'put/strings.txt');
    sink.write('héllo ');
    sink.write('ff00', 'hex');
    sink.write(' wörld', 'latin1');
    sink.end('!');
    await once(sink, 'finish');
    const expected = Buffer.concat([
      Buffer.from('héllo '),
      Buffer.from([0xff, 0]),
      Buffer.from(' wörld', 'latin1'),
      Buffer.from('!'),
    ]);
    expect((await readBack(bucket, 'put/strings.txt')).equals(expected)).to.equal(true);
    expect(sink.result?.size).to.equal(expected.length);
  });

  it("sets result before 'finish', and 'finish' fires only once the object is stored", async () => {
    const data = pattern(200_000);
    const sink = createPutStream(bucket, 'put/finish.bin');
    const seen = new Promise<{ size: number | undefined; head: number }>((resolve, reject) => {
      sink.on('finish', () => {
        const size = sink.result?.size;
        bucket.headObject('put/finish.bin').then((h) => resolve({ size, head: h.size }), reject);
      });
    });
    expect(sink.result).to.equal(undefined);
    await pipeline(Readable.from(chunked(data, [50_000])), sink);
    expect(await seen).to.deep.equal({ size: data.length, head: data.length });
  });

  it('works with .pipe()', async () => {
    const data = pattern(700_000, 1);
    const sink = createPutStream(bucket, 'put/piped.bin');
    Readable.from(chunked(data, [65_536])).pipe(sink);
    await once(sink, 'finish');
    expect((await readBack(bucket, 'put/piped.bin')).equals(data)).to.equal(true);
  });

  it('works with a Web ReadableStream source (Readable.fromWeb)', async () => {
    const data = pattern(300_000, 5);
    const chunks = chunked(data, [10_000, 3]);
    let i = 0;
    const web = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (i < chunks.length) controller.enqueue(new Uint8Array(chunks[i++]!));
        else controller.close();
      },
    });
    const sink = createPutStream(bucket, 'put/web.bin');
    await pipeline(Readable.fromWeb(web), sink);
    expect(sink.result?.crc64).to.equal(crc64(data));
    expect((await readBack(bucket, 'put/web.bin')).equals(data)).to.equal(true);
  });

  it("composes with stream-chain's chain() in byte mode (gzip on the way)", async () => {
    const data = Buffer.from('a log line that compresses well\n'.repeat(20_000));
    const sink = createPutStream(bucket, 'put/chained.gz');
    await pipeline(
      Readable.from(chunked(data, [4096])),
      chain([zlib.createGzip()], { readableObjectMode: false, writableObjectMode: false }),
      sink,
    );
    const stored = await readBack(bucket, 'put/chained.gz');
    expect(sink.result?.size).to.equal(stored.length);
    expect(zlib.gunzipSync(stored).equals(data)).to.equal(true);
  });

  it('rejects an object-mode chunk with a clear OssArgumentError and stores nothing', async () => {
    const sink = createPutStream(bucket, 'put/objects.bin');
    const err = await rejection(pipeline(Readable.from([Buffer.from('ok'), { not: 'bytes' }]), sink));
    expect(err).to.be.instanceOf(OssArgumentError);
    expect((err as OssArgumentError).code).to.equal('InvalidArgument');
    expect((err as OssArgumentError).argument).to.equal('chunk');
    expect(err.message).to.include('bytes and strings only').and.include('object mode');
    expect(await exists(bucket, 'put/objects.bin')).to.equal(false);
  });

  it('fails with OssArgumentError and stores nothing when the data is longer than contentLength', async () => {
    // The declared bytes arrive whole in the first chunk; the extra byte comes later. The server must never see the
    // whole declared body, or it would commit a truncated object.
    const data = pattern(100_000);
    const sink = createPutStream(bucket, 'put/long.bin', { contentLength: data.length });
    // the extra byte comes once all the declared bytes but the held-back last one are at the server
    const sent = eventually(() => bytesIn() === data.length - 1);
    const err = await rejection(pipeline(Readable.from(gated([data], sent, [Buffer.from('x')])), sink));
    expect(err).to.be.instanceOf(OssArgumentError);
    expect((err as OssArgumentError).argument).to.equal('contentLength');
    expect(err.message).to.include(`longer than contentLength ${data.length}`);
    await staysAbsent('put/long.bin');
    expect(server.stats.op('PutObject').bytesIn).to.equal(data.length - 1);
  });

  it('contentLength 0 with a late byte: OssArgumentError, no empty object stored', async () => {
    const sink = createPutStream(bucket, 'put/zero-long.bin', { contentLength: 0 });
    // the late byte comes after a window in which nothing may reach the server: no byte, no early empty commit
    const quiet = consistently(async () => expect(await exists(bucket, 'put/zero-long.bin')).to.equal(false));
    const err = await rejection(pipeline(Readable.from(gated([], quiet, [Buffer.from('x')])), sink));
    expect(err).to.be.instanceOf(OssArgumentError);
    expect(err.message).to.include('longer than contentLength 0');
    await staysAbsent('put/zero-long.bin');
  });

  it('fails with OssArgumentError and stores nothing when the data is shorter than contentLength', async () => {
    const data = pattern(100_000);
    const sink = createPutStream(bucket, 'put/short.bin', { contentLength: data.length + 1 });
    const err = await rejection(pipeline(Readable.from([data]), sink));
    expect(err).to.be.instanceOf(OssArgumentError);
    expect(err.message).to.include(`ended after ${data.length} bytes, short of contentLength ${data.length + 1}`);
    await staysAbsent('put/short.bin');
  });

  it('rejects a bad contentLength before sending anything', () => {
    expect(() => createPutStream(bucket, 'put/x', { contentLength: -1 })).to.throw(OssArgumentError, /contentLength/);
    expect(() => createPutStream(bucket, 'put/x', { contentLength: 1.5 })).to.throw(OssArgumentError, /contentLength/);
    expect(server.stats.op('PutObject').requests).to.equal(0);
  });

  it('a server reset mid-body errors the stream, stores nothing and destroys the source', async () => {
    server.faults.add({ op: 'PutObject', action: { type: 'reset', afterBytes: 100_000 } });
    const data = pattern(2 * 1024 * 1024);
    const source = Readable.from(chunked(data, [16_384]));
    const sink = createPutStream(bucket, 'put/reset.bin');
    const err = await rejection(pipeline(source, sink));
    expect(err).to.be.instanceOf(OssError);
    expect((err as OssError).code).to.equal('NetworkError');
    expect(source.destroyed).to.equal(true);
    expect(sink.result).to.equal(undefined);
    expect(await exists(bucket, 'put/reset.bin')).to.equal(false);
    // not retried: the stream's bytes are gone
    expect(server.stats.op('PutObject').requests).to.equal(1);
  });

  it('a source error mid-stream aborts the upload: the source error wins, nothing stored', async () => {
    async function* failing(): AsyncGenerator<Buffer> {
      yield pattern(200_000);
      await eventually(() => bytesIn() === 200_000); // mid-stream: the first chunk is at the server
      throw new Error('disk on fire');
    }
    const sink = createPutStream(bucket, 'put/source-error.bin');
    const err = await rejection(pipeline(Readable.from(failing()), sink));
    expect(err.message).to.equal('disk on fire');
    expect(sink.destroyed).to.equal(true);
    await staysAbsent('put/source-error.bin');
    expect(server.stats.op('PutObject').bytesIn).to.equal(200_000);
  });

  it('aborts quickly via signal with an AbortError, storing nothing', async () => {
    const ac = new AbortController();
    // A source that never ends on its own (paced: the timer is the source, not a wait).
    const source = new Readable({
      read() {
        setTimeout(() => this.push(pattern(1024)), 5);
      },
    });
    const sink = createPutStream(bucket, 'put/aborted.bin', { signal: ac.signal });
    const piped = rejection(pipeline(source, sink));
    await eventually(() => bytesIn() > 0); // the upload is under way
    const started = Date.now();
    ac.abort();
    const err = await piped;
    expect(err.name).to.equal('AbortError');
    expect((err as OssError).code).to.equal('AbortError');
    expect(Date.now() - started).to.be.below(1000);
    expect(source.destroyed).to.equal(true);
    await staysAbsent('put/aborted.bin');
  });

  it('a signal aborted before construction errors the sink at once, even while the source is idle', async () => {
    const ac = new AbortController();
    ac.abort();
    const sink = createPutStream(bucket, 'put/pre-aborted.bin', { signal: ac.signal });
    const [err] = (await once(sink, 'error')) as [Error]; // never erroring fails by the suite's timeout
    expect(err.name).to.equal('AbortError');
    expect((err as OssError).code).to.equal('AbortError');
    expect(await exists(bucket, 'put/pre-aborted.bin')).to.equal(false);
  });

  it('destroy() before the end cancels quietly (no error event, as every sink): done() says AbortError, nothing stored', async () => {
    const sink = createPutStream(bucket, 'put/destroyed.bin');
    let errored = false;
    sink.on('error', () => (errored = true));
    sink.write(pattern(50_000));
    const closed = new Promise((resolve) => sink.on('close', resolve));
    void eventually(() => bytesIn() > 0).then(() => sink.destroy()); // mid-body
    const err = (await sink.done().catch((e: unknown) => e)) as OssError;
    expect(err.name).to.equal('AbortError');
    await closed;
    expect(errored).to.equal(false);
    expect(await exists(bucket, 'put/destroyed.bin')).to.equal(false);
  });

  it('a service error while the source is still writing (bad credentials) errors the stream at once', async () => {
    const wrong = new Bucket(new Auth('spec-ak', 'wrong-secret'), server.endpoint, BUCKET, { retries: 0 });
    try {
      const sink = createPutStream(wrong, 'put/forbidden.bin');
      sink.write(pattern(1000)); // the request goes out with its first bytes; the stream is never ended
      const [err] = (await once(sink, 'error')) as [OssError];
      expect(err.status).to.equal(403);
      expect(err.code).to.equal('SignatureDoesNotMatch');
    } finally {
      await wrong.close();
    }
  });

  it('reports progress monotonically with total null (chunked), reaching the size at the end', async () => {
    const data = pattern(2 * 1024 * 1024 + 1);
    const calls: [number, number | null][] = [];
    const sink = createPutStream(bucket, 'put/progress-chunked.bin', { onProgress: (n, t) => calls.push([n, t]) });
    await pipeline(Readable.from(chunked(data, [32_768])), sink);
    expect(calls.length).to.be.above(10);
    expect(calls.every(([, t]) => t === null)).to.equal(true);
    for (let i = 1; i < calls.length; i++) expect(calls[i]![0]).to.be.above(calls[i - 1]![0]);
    expect(calls.at(-1)).to.deep.equal([data.length, null]);
  });

  it('reports progress against contentLength, reaching the total only once stored', async () => {
    const data = pattern(2 * 1024 * 1024 + 1);
    const calls: [number, number | null][] = [];
    const sink = createPutStream(bucket, 'put/progress-known.bin', {
      contentLength: data.length,
      onProgress: (n, t) => calls.push([n, t]),
    });
    let atFinish: [number, number | null] | undefined;
    sink.on('finish', () => (atFinish = calls.at(-1)));
    await pipeline(Readable.from(chunked(data, [32_768])), sink);
    expect(calls.length).to.be.above(10);
    expect(calls.every(([, t]) => t === data.length)).to.equal(true);
    for (let i = 1; i < calls.length; i++) expect(calls[i]![0]).to.be.above(calls[i - 1]![0]);
    expect(calls.slice(0, -1).every(([n]) => n < data.length)).to.equal(true);
    expect(atFinish).to.deep.equal([data.length, data.length]);
  });

  it('stores headers and metadata', async () => {
    const sink = createPutStream(bucket, 'put/meta.csv', {
      headers: { 'Content-Type': 'text/csv; charset=utf-8', 'Cache-Control': 'no-cache', 'x-oss-meta-owner': 'ops' },
    });
    await pipeline(Readable.from(['a,b\n', '1,2\n']), sink);
    const h = await bucket.headObject('put/meta.csv');
    expect(h.contentType).to.equal('text/csv; charset=utf-8');
    expect(h.headers['cache-control']).to.equal('no-cache');
    expect(h.meta).to.deep.equal({ owner: 'ops' });
    expect(h.size).to.equal(8);
  });

  it('guesses Content-Type from the key', async () => {
    await pipeline(Readable.from(['{}']), createPutStream(bucket, 'put/data.json'));
    expect((await bucket.headObject('put/data.json')).contentType).to.match(/^application\/json/);
  });

  it('fails with OssIntegrityError when the server reports a different CRC64', async () => {
    server.faults.add({ op: 'PutObject', action: { type: 'corrupt-crc64' } });
    const sink = createPutStream(bucket, 'put/crc.bin');
    const err = await rejection(pipeline(Readable.from([pattern(10_000)]), sink));
    expect(err).to.be.instanceOf(OssIntegrityError);
    expect((err as OssIntegrityError).code).to.equal('InconsistentCrc64');
    expect((err as OssIntegrityError).expected).to.equal(crc64(pattern(10_000)));
    expect(sink.result).to.equal(undefined);
  });

  it('is a PutStream', () => {
    const sink = createPutStream(bucket, 'put/type.bin');
    expect(sink).to.be.instanceOf(PutStream);
    sink.destroy(new Error('not used'));
    sink.on('error', () => undefined);
  });
});
