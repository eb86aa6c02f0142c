import { expect } from 'chai';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AppendStream,
  type Bucket,
  createAppendStream,
  crc64,
  ObjectNotAppendableError,
  OssArgumentError,
  OssError,
  OssIntegrityError,
  PositionNotEqualToLengthError,
} from 'oss-stream';
import type { OssServer } from 'oss-stream/server';
import { chunked, pattern } from '../support/bytes.js';
import { clientFor, startServer } from '../support/local-oss.js';
import { consistently, eventually } from '../support/eventually.js';
import { startRecordingProxy, type RecordingProxy } from '../support/recording-proxy.js';

async function readBack(bucket: Bucket, key: string): Promise<Buffer> {
  const { body } = await bucket.getObject(key);
  const parts: Buffer[] = [];
  for await (const c of body) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

function rejection(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: Error) => err,
  );
}

/** Resolves with the stream's error and waits for 'close' too (no hang). */
async function errorAndClose(s: AppendStream): Promise<Error> {
  const closed = new Promise((resolve) => s.on('close', resolve));
  const [err] = (await once(s, 'error').catch((e: Error) => [e])) as [Error];
  await closed;
  return err;
}

describe('createAppendStream', () => {
  let server: OssServer;
  let bucket: Bucket;
  let n = 0;
  let key: string;
  const appends = (): number => server.stats.op('AppendObject').requests;

  before(async () => {
    server = await startServer();
    bucket = clientFor(server, { retries: 2 });
  });
  after(async () => {
    await bucket.close();
    await server.close();
  });
  beforeEach(() => {
    server.faults.clear();
    server.stats.reset();
    key = `logs/app-${++n}.log`;
  });

  it('batches by flushBytes and flushes the rest at the end', async () => {
    const data = pattern(3500);
    const sink = createAppendStream(bucket, key, { flushBytes: 1000, flushIntervalMs: 0 });
    await pipeline(Readable.from(chunked(data, [350])), sink);
    expect(appends()).to.equal(4);
    expect(server.stats.op('AppendObject').bytesIn).to.equal(3500);
    expect(server.stats.op('HeadObject').requests).to.equal(1);
    expect(sink.result).to.deep.include({ nextPosition: 3500, size: 3500, appends: 4, crc64: crc64(data) });
    expect((await readBack(bucket, key)).equals(data)).to.equal(true);
  });

  it('one chunk spanning several batches is cut into full batches', async () => {
    const data = pattern(10_001, 4);
    const sink = createAppendStream(bucket, key, { flushBytes: 2500, flushIntervalMs: 0 });
    await pipeline(Readable.from([data]), sink);
    expect(appends()).to.equal(5);
    expect(sink.result?.appends).to.equal(5);
    expect((await readBack(bucket, key)).equals(data)).to.equal(true);
  });

  it('ships what is buffered after flushIntervalMs', async () => {
    const sink = createAppendStream(bucket, key, { flushBytes: 1024 * 1024, flushIntervalMs: 40 });
    sink.write('first line\n');
    // nothing but the timer ships it: flushBytes is far away and nobody calls flush()
    await eventually(async () => expect((await bucket.headObject(key)).size).to.equal(11));
    expect(appends()).to.equal(1);
    sink.write('second ');
    sink.write('line\n');
    await eventually(async () => expect((await bucket.headObject(key)).size).to.equal(23));
    expect(appends()).to.equal(2);
    sink.end();
    await once(sink, 'finish');
    expect(appends()).to.equal(2); // nothing left to ship at the end
    expect((await readBack(bucket, key)).toString()).to.equal('first line\nsecond line\n');
    expect(sink.result).to.deep.include({ nextPosition: 23, size: 23, appends: 2 });
  });

  it('flush() ships now and resolves once stored; with nothing buffered it sends nothing', async () => {
    const sink = createAppendStream(bucket, key, { flushIntervalMs: 0 });
    sink.write('abc');
    await sink.flush();
    expect(appends()).to.equal(1);
    expect((await bucket.headObject(key)).size).to.equal(3);
    await sink.flush();
    expect(appends()).to.equal(1);
    sink.end('def');
    await once(sink, 'finish');
    expect((await readBack(bucket, key)).toString()).to.equal('abcdef');
  });

  it("position 'auto' on a missing object starts at 0 and stores the headers of the first append", async () => {
    const sink = createAppendStream(bucket, key, {
      headers: { 'Content-Type': 'text/plain', 'x-oss-meta-host': 'web-1' },
    });
    await pipeline(Readable.from(['a\n', 'b\n']), sink);
    const h = await bucket.headObject(key);
    expect(h.objectType).to.equal('Appendable');
    expect(h.contentType).to.equal('text/plain');
    expect(h.meta).to.deep.equal({ host: 'web-1' });
    expect(h.nextAppendPosition).to.equal(4);
  });

  it("position 'auto' on an existing Appendable object continues at its end, chaining its CRC64", async () => {
    await bucket.appendObject(key, 0, 'hello ');
    const sink = createAppendStream(bucket, key);
    await pipeline(Readable.from(['wor', 'ld']), sink);
    expect(sink.result).to.deep.include({ nextPosition: 11, size: 5, appends: 1, crc64: crc64('hello world') });
    expect((await readBack(bucket, key)).toString()).to.equal('hello world');
    expect((await bucket.headObject(key)).crc64).to.equal(crc64('hello world'));
  });

  it('an explicit position equal to the length works', async () => {
    await bucket.appendObject(key, 0, '12345');
    const sink = createAppendStream(bucket, key, { position: 5 });
    await pipeline(Readable.from(['678']), sink);
    expect((await readBack(bucket, key)).toString()).to.equal('12345678');
  });

  it("position 'auto' on a Normal object fails with ObjectNotAppendable, even with nothing written", async () => {
    await bucket.putObject(key, 'normal');
    const sink = createAppendStream(bucket, key);
    const err = await errorAndClose(sink);
    expect(err).to.be.instanceOf(ObjectNotAppendableError);
    expect((err as OssError).code).to.equal('ObjectNotAppendable');
    expect((err as OssError).status).to.equal(409);
    expect(err.message).to.include('Normal');
    expect(appends()).to.equal(0);
    expect((await readBack(bucket, key)).toString()).to.equal('normal');
  });

  it('an explicit wrong position fails with PositionNotEqualToLengthError carrying nextPosition', async () => {
    await bucket.appendObject(key, 0, 'abcdefg');
    const err = await rejection(pipeline(Readable.from(['x']), createAppendStream(bucket, key, { position: 3 })));
    expect(err).to.be.instanceOf(PositionNotEqualToLengthError);
    expect((err as PositionNotEqualToLengthError).nextPosition).to.equal(7);
    expect(err.message).to.include('position 3').and.include('7 bytes');
    const missing = await rejection(
      pipeline(Readable.from(['x']), createAppendStream(bucket, `${key}.missing`, { position: 2 })),
    );
    expect(missing).to.be.instanceOf(PositionNotEqualToLengthError);
    expect((missing as PositionNotEqualToLengthError).nextPosition).to.equal(0);
    expect(appends()).to.equal(1); // the setup's own append only
    expect((await readBack(bucket, key)).toString()).to.equal('abcdefg');
  });

  it('rejects bad options before any request', () => {
    expect(() => createAppendStream(bucket, key, { flushBytes: 0 })).to.throw(OssArgumentError, /flushBytes/);
    expect(() => createAppendStream(bucket, key, { position: -1 })).to.throw(OssArgumentError, /position/);
    expect(() => createAppendStream(bucket, key, { flushIntervalMs: 1.5 })).to.throw(
      OssArgumentError,
      /flushIntervalMs/,
    );
    expect(server.stats.total.requests).to.equal(0);
  });

  it('result: nextPosition, size, appends and the whole-object CRC64 as read back; progress per batch', async () => {
    await bucket.appendObject(key, 0, pattern(777, 1));
    const data = pattern(5000, 2);
    const progress: [number, number | null][] = [];
    const sink = createAppendStream(bucket, key, {
      flushBytes: 2000,
      flushIntervalMs: 0,
      onProgress: (c, t) => progress.push([c, t]),
    });
    await pipeline(Readable.from(chunked(data, [999])), sink);
    const whole = await readBack(bucket, key);
    expect(whole.equals(Buffer.concat([pattern(777, 1), data]))).to.equal(true);
    expect(sink.result).to.deep.include({ nextPosition: 5777, size: 5000, appends: 3, crc64: crc64(whole) });
    expect(sink.result?.etag).to.match(/^".+"$/);
    expect(sink.result?.requestId).to.match(/^[0-9A-F]{24}$/);
    expect(progress).to.deep.equal([
      [2000, null],
      [4000, null],
      [5000, null],
    ]);
  });

  it('an empty stream appends nothing and leaves a missing object missing', async () => {
    const sink = createAppendStream(bucket, key);
    await pipeline(Readable.from([]), sink);
    expect(sink.result).to.deep.include({ nextPosition: 0, size: 0, appends: 0, crc64: '0' });
    expect(appends()).to.equal(0);
    const err = await rejection(bucket.headObject(key));
    expect((err as OssError).status).to.equal(404);
  });

  it('a lost acknowledgement (committed, answer dropped) is resolved without duplicating the batch', async () => {
    const sink = createAppendStream(bucket, key, { flushBytes: 1000, flushIntervalMs: 0 });
    sink.write(pattern(1000, 1)); // batch 1 ships at once
    await sink.flush();
    server.faults.add({ op: 'AppendObject', action: { type: 'drop-after-commit' } });
    const rest = pattern(2500, 2);
    sink.end(rest);
    await once(sink, 'finish');
    const expected = Buffer.concat([pattern(1000, 1), rest]);
    const got = await readBack(bucket, key);
    expect(got.length).to.equal(expected.length);
    expect(got.equals(expected)).to.equal(true);
    // batch 2 twice (the dropped answer, then PositionNotEqualToLength), batches 3 and 4 once
    expect(appends()).to.equal(5);
    expect(server.stats.op('HeadObject').requests).to.equal(2);
    expect(sink.result).to.deep.include({ nextPosition: 3500, size: 3500, appends: 4, crc64: crc64(expected) });
  });

  it('a lost acknowledgement with retries 0 errors (the batch did land) instead of guessing', async () => {
    const sink = createAppendStream(bucket, key, { retries: 0, flushIntervalMs: 0 });
    const errored = once(sink, 'error'); // the stream errors too, not only flush()
    server.faults.add({ op: 'AppendObject', action: { type: 'drop-after-commit' } });
    sink.write('landed');
    const err = await rejection(sink.flush());
    expect((await errored)[0]).to.equal(err);
    expect((err as OssError).code).to.equal('NetworkError');
    expect(sink.result).to.equal(undefined);
    expect((await readBack(bucket, key)).toString()).to.equal('landed');
  });

  // 408 as the client retries it: the append path shares the transport's retry verdict (core/retry-policy.ts).
  for (const status of [500, 503, 408] as const) {
    it(`retries an append answered ${status} (nothing stored) and stays exact`, async () => {
      const data = pattern(3000, 7);
      server.faults.add({ op: 'AppendObject', times: 2, action: { type: 'error', status } });
      const sink = createAppendStream(bucket, key, { flushBytes: 1000, flushIntervalMs: 0 });
      await pipeline(Readable.from([data]), sink);
      expect(appends()).to.equal(5);
      expect(sink.result).to.deep.include({ nextPosition: 3000, appends: 3, crc64: crc64(data) });
      expect((await readBack(bucket, key)).equals(data)).to.equal(true);
    });
  }

  it('gives up after its retries with the service error', async () => {
    server.faults.add({ op: 'AppendObject', times: 3, action: { type: 'error', status: 500 } });
    const sink = createAppendStream(bucket, key, { retries: 2 });
    const err = await rejection(pipeline(Readable.from(['x']), sink));
    expect((err as OssError).status).to.equal(500);
    expect((err as OssError).code).to.equal('InternalError');
    expect(appends()).to.equal(3);
  });

  it('another writer appending while the stream is idle: a clear error naming both positions, nothing overwritten', async () => {
    const sink = createAppendStream(bucket, key, { flushIntervalMs: 0 });
    const errored = once(sink, 'error'); // the stream errors too, not only flush()
    sink.write('aaa');
    await sink.flush();
    await bucket.appendObject(key, 3, 'XX');
    sink.write('bbb');
    const err = await rejection(sink.flush());
    expect((await errored)[0]).to.equal(err);
    expect(err).to.be.instanceOf(PositionNotEqualToLengthError);
    expect((err as PositionNotEqualToLengthError).nextPosition).to.equal(5);
    expect((err as OssError).code).to.equal('PositionNotEqualToLength');
    expect(err.message)
      .to.include('at position 3')
      .and.include('now 5 bytes')
      .and.include('another writer')
      .and.include('3 bytes');
    expect((err as Error & { cause: unknown }).cause).to.be.instanceOf(PositionNotEqualToLengthError);
    expect(sink.destroyed).to.equal(true);
    expect(sink.result).to.deep.include({ nextPosition: 3, size: 3 });
    expect((await readBack(bucket, key)).toString()).to.equal('aaaXX');
  });

  it('another writer in between AND a lost answer: not mistaken for our batch', async () => {
    const sink = createAppendStream(bucket, key, { flushIntervalMs: 0 });
    const errored = once(sink, 'error'); // the stream errors too, not only flush()
    sink.write('aaa');
    await sink.flush();
    // The other writer's bytes are as long as our next batch: only the CRC64 chain tells them apart.
    await bucket.appendObject(key, 3, 'XYZ');
    server.faults.add({ op: 'AppendObject', action: { type: 'reset' } });
    sink.write('bbb');
    const err = await rejection(sink.flush());
    expect(err).to.be.instanceOf(PositionNotEqualToLengthError);
    expect((await errored)[0]).to.equal(err);
    expect(err.message).to.include('at position 3').and.include('now 6 bytes');
    expect((await readBack(bucket, key)).toString()).to.equal('aaaXYZ');
  });

  it('holds the write callback while two batches are busy (backpressure, two buffers of memory)', async () => {
    // long enough that the window below ends before batch 1's answer, however slow the machine
    server.faults.add({ op: 'AppendObject', action: { type: 'delay', ms: 1000 } });
    const sink = createAppendStream(bucket, key, { flushBytes: 1000, flushIntervalMs: 0 });
    let done = 0;
    const data = pattern(5000);
    const chunks = chunked(data, [500]);
    for (const c of chunks) sink.write(c, () => done++);
    // batch 1 (writes 1-2) is on the wire, batch 2 (writes 3-4) is full: write 5 waits
    await eventually(() => appends() === 1 && done >= 4);
    await consistently(() => expect(done).to.equal(4), { minMs: 20 });
    sink.end();
    await once(sink, 'finish');
    expect(done).to.equal(10);
    expect(appends()).to.equal(5);
    expect((await readBack(bucket, key)).equals(data)).to.equal(true);
  });

  it('a batch that fills while another is on the wire ships as soon as that one lands (no timer needed)', async () => {
    server.faults.add({ op: 'AppendObject', action: { type: 'delay', ms: 100 } });
    const sink = createAppendStream(bucket, key, { flushBytes: 1000, flushIntervalMs: 0 });
    sink.write(pattern(2000));
    await eventually(async () => expect((await bucket.headObject(key)).size).to.equal(2000));
    expect(appends()).to.equal(2);
    sink.end();
    await once(sink, 'finish');
    expect(appends()).to.equal(2);
  });

  it('rejects an object-mode chunk with a clear OssArgumentError', async () => {
    const sink = createAppendStream(bucket, key);
    const err = await rejection(pipeline(Readable.from([{ level: 'info' }]), sink));
    expect(err).to.be.instanceOf(OssArgumentError);
    expect((err as OssArgumentError).argument).to.equal('chunk');
    expect(err.message).to.include('bytes and strings only').and.include('object mode');
    expect(appends()).to.equal(0);
  });

  it('fails with OssIntegrityError when the server reports a CRC64 off the chain', async () => {
    server.faults.add({ op: 'AppendObject', action: { type: 'corrupt-crc64' } });
    const err = await rejection(pipeline(Readable.from(['x']), createAppendStream(bucket, key)));
    expect(err).to.be.instanceOf(OssIntegrityError);
    expect((err as OssIntegrityError).expected).to.equal(crc64('x'));
  });

  it('destroy() with buffered bytes cancels quietly (no error event, as every sink), drops them and closes', async () => {
    const sink = createAppendStream(bucket, key, { flushIntervalMs: 0 });
    let errored = false;
    sink.on('error', () => (errored = true));
    sink.write('buffered');
    await consistently(() => expect(appends()).to.equal(0)); // buffered, not shipped (no timer, no flush)
    const closed = once(sink, 'close');
    sink.destroy();
    await closed;
    expect(errored).to.equal(false);
    expect(appends()).to.equal(0);
    await rejection(sink.flush()).then((e) => expect(e.name).to.equal('AbortError'));
    await rejection(sink.done()).then((e) => expect(e.name).to.equal('AbortError'));
  });

  it('destroy() during an append in flight cancels it and closes quickly', async () => {
    server.faults.add({ op: 'AppendObject', action: { type: 'delay', ms: 5000 } });
    const sink = createAppendStream(bucket, key, { flushIntervalMs: 0 });
    sink.write('slow');
    const flushed = rejection(sink.flush());
    await eventually(() => appends() === 1); // on the wire, its answer held
    const started = Date.now();
    const done = errorAndClose(sink);
    sink.destroy(new Error('shutting down'));
    expect((await done).message).to.equal('shutting down');
    expect(Date.now() - started).to.be.below(1000);
    expect((await flushed).message).to.equal('shutting down');
  });

  it('an aborted signal ends the stream with AbortError', async () => {
    const ac = new AbortController();
    const sink = createAppendStream(bucket, key, { signal: ac.signal, flushIntervalMs: 0 });
    sink.write('x');
    await sink.flush();
    const source = new Readable({ read() {} });
    const piped = rejection(pipeline(source, sink));
    const taken = once(source, 'data'); // the sink has 'more' in hand when the signal fires
    source.push('more');
    await taken;
    ac.abort();
    const err = await piped;
    expect(err.name).to.equal('AbortError');
    expect(source.destroyed).to.equal(true);
    expect((await readBack(bucket, key)).toString()).to.equal('x');
  });

  it('ships 20,000 small lines (over 1 MiB) intact in a few requests', async () => {
    function* lines(): Generator<string> {
      for (let i = 0; i < 20_000; i++)
        yield `${new Date(1_700_000_000_000 + i).toISOString()} INFO GET /api/v1/items/${i} 200 12ms\n`;
    }
    const expected = Buffer.from([...lines()].join(''));
    expect(expected.length).to.be.above(1024 * 1024);
    const sink = createAppendStream(bucket, key, { flushBytes: 256 * 1024 });
    await pipeline(Readable.from(lines()), sink);
    expect(appends()).to.equal(Math.ceil(expected.length / (256 * 1024)));
    expect(sink.result).to.deep.include({ size: expected.length, crc64: crc64(expected) });
    expect((await readBack(bucket, key)).equals(expected)).to.equal(true);
  });

  describe('lineMode', () => {
    let proxy: RecordingProxy;
    let viaProxy: Bucket;
    before(async () => {
      proxy = await startRecordingProxy(server.endpoint);
      viaProxy = clientFor(proxy);
    });
    after(async () => {
      await viaProxy.close();
      await proxy.close();
    });
    const appendBodies = (): Buffer[] =>
      proxy.requests.filter((r) => r.method === 'POST' && r.url.includes('append')).map((r) => r.body);

    it('ends every append request at a line end; only a line longer than a batch is cut at flushBytes', async () => {
      proxy.requests.length = 0;
      const lines = [
        'short\n',
        `${'a'.repeat(40)}\n`,
        `${'b'.repeat(70)}\n`,
        `${'L'.repeat(250)}\n`,
        'x\n',
        `${'c'.repeat(99)}\n`,
        `${'d'.repeat(30)}\n`,
      ];
      const data = Buffer.from(lines.join('').repeat(3));
      const sink = createAppendStream(viaProxy, key, { flushBytes: 100, flushIntervalMs: 0, lineMode: true });
      // Chunks that cut lines anywhere, as a pipe does.
      await pipeline(Readable.from(chunked(data, [7, 33, 1, 64, 128])), sink);
      const bodies = appendBodies();
      expect(Buffer.concat(bodies).equals(data)).to.equal(true);
      for (const b of bodies) {
        expect(b.length).to.be.at.most(100);
        const endsLine = b[b.length - 1] === 0x0a;
        // Not at a line end: only a whole batch that is a piece of one over-long line.
        if (!endsLine) expect([b.length, b.includes(0x0a)], JSON.stringify(b.toString())).to.deep.equal([100, false]);
      }
      // The 251-byte line went as 100 + 100 + 51 (with its newline): two byte cuts per copy of it, no others.
      expect(bodies.filter((b) => b[b.length - 1] !== 0x0a)).to.have.length(6);
      expect(sink.result).to.deep.include({ size: data.length, appends: bodies.length, crc64: crc64(data) });
      expect((await readBack(bucket, key)).equals(data)).to.equal(true);
    });

    it('without lineMode the same input is cut at exactly flushBytes (mid-line)', async () => {
      proxy.requests.length = 0;
      const data = Buffer.from(`${'a'.repeat(60)}\n${'b'.repeat(60)}\n`);
      await pipeline(Readable.from([data]), createAppendStream(viaProxy, key, { flushBytes: 100, flushIntervalMs: 0 }));
      expect(appendBodies().map((b) => b.length)).to.deep.equal([100, 22]);
    });

    it('the timer ships complete lines only; a partial line waits for its newline, end() ships it', async () => {
      proxy.requests.length = 0;
      const sink = createAppendStream(viaProxy, key, { flushIntervalMs: 20, lineMode: true });
      sink.write('one\ntw');
      await eventually(() => expect(appendBodies().map(String)).to.deep.equal(['one\n']));
      // The timer fired; 'tw' stays buffered however long we wait.
      await consistently(() => expect(appendBodies()).to.have.length(1), { minMs: 100 });
      sink.write('o\nthr');
      await eventually(() => expect(appendBodies().map(String)).to.deep.equal(['one\n', 'two\n']));
      sink.end('ee');
      await once(sink, 'finish');
      expect(appendBodies().map(String)).to.deep.equal(['one\n', 'two\n', 'three']);
      expect((await readBack(bucket, key)).toString()).to.equal('one\ntwo\nthree');
    });

    it('flush() ships everything, a partial line included', async () => {
      proxy.requests.length = 0;
      const sink = createAppendStream(viaProxy, key, { flushIntervalMs: 0, lineMode: true });
      sink.write('a\nb');
      await sink.flush();
      expect(appendBodies().map(String)).to.deep.equal(['a\nb']);
      sink.end();
      await once(sink, 'finish');
    });

    it('rejects a lineMode that is not a boolean', () => {
      expect(() => createAppendStream(bucket, key, { lineMode: 'yes' as unknown as boolean })).to.throw(
        OssArgumentError,
        /lineMode must be a boolean/,
      );
    });
  });

  describe('retries across an outage', () => {
    it('rides out an outage longer than the client retries would, losing no line written meanwhile', async () => {
      // Eight failures in a row: the client's 3 retries would give up; the append stream's schedule (scaled down
      // here: 4 ms doubling to 32 ms) keeps trying, while writes go on into the second batch buffer.
      server.faults.add({ op: 'AppendObject', times: 8, action: { type: 'error', status: 500 } });
      const sink = createAppendStream(bucket, key, {
        flushBytes: 64,
        flushIntervalMs: 0,
        lineMode: true,
        retries: 9,
        retryBaseDelayMs: 4,
        retryMaxDelayMs: 32,
      });
      const lines = Array.from({ length: 40 }, (_, i) => `line ${String(i).padStart(3, '0')}\n`);
      await pipeline(Readable.from(lines), sink);
      const data = lines.join('');
      expect((await readBack(bucket, key)).toString()).to.equal(data);
      expect(sink.result).to.deep.include({ size: data.length, crc64: crc64(data) });
      expect(appends()).to.equal(sink.result!.appends + 8);
    });

    const fastRetries = { retries: 9, retryBaseDelayMs: 4, retryMaxDelayMs: 32 };

    it('its HEADs ride out the outage on the same schedule: at the start, and after a lost answer', async () => {
      // The client's own 2 retries would give up on both HEADs below.
      server.faults.add({ op: 'HeadObject', times: 5, action: { type: 'error', status: 500 } });
      const sink = createAppendStream(bucket, key, { flushBytes: 1000, flushIntervalMs: 0, ...fastRetries });
      sink.write(pattern(1000, 1));
      await sink.flush();
      expect(server.stats.op('HeadObject').requests).to.equal(6);
      server.faults.add({ op: 'AppendObject', action: { type: 'drop-after-commit' } });
      server.faults.add({ op: 'HeadObject', times: 5, action: { type: 'error', status: 500 } });
      const rest = pattern(1500, 2);
      sink.end(rest);
      await once(sink, 'finish');
      const expected = Buffer.concat([pattern(1000, 1), rest]);
      expect((await readBack(bucket, key)).equals(expected)).to.equal(true);
      expect(server.stats.op('HeadObject').requests).to.equal(12);
      expect(sink.result).to.deep.include({ size: 2500, crc64: crc64(expected) });
    });

    it('gives up when the outage outlasts its retries, with what was stored in result', async () => {
      server.faults.add({ op: 'AppendObject', times: 5, action: { type: 'error', status: 500 } });
      const sink = createAppendStream(bucket, key, {
        flushIntervalMs: 0,
        retries: 4,
        retryBaseDelayMs: 1,
        retryMaxDelayMs: 2,
      });
      const err = await rejection(pipeline(Readable.from(['lost\n']), sink));
      expect((err as OssError).status).to.equal(500);
      expect(appends()).to.equal(5);
    });

    it('rejects bad backoff options before any request', () => {
      expect(() => createAppendStream(bucket, key, { retryBaseDelayMs: -1 })).to.throw(
        OssArgumentError,
        /retryBaseDelayMs/,
      );
      expect(() => createAppendStream(bucket, key, { retryMaxDelayMs: 1.5 })).to.throw(
        OssArgumentError,
        /retryMaxDelayMs/,
      );
      expect(server.stats.total.requests).to.equal(0);
    });
  });

  it('is an AppendStream', () => {
    const sink = createAppendStream(bucket, key);
    expect(sink).to.be.instanceOf(AppendStream);
    sink.on('error', () => undefined);
    sink.destroy(new Error('unused'));
  });
});
