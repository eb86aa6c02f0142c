import { expect } from 'chai';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import {
  type Bucket,
  crc64,
  createLogSink,
  type FailedObject,
  type LogSink,
  type LogSinkOptions,
  OssArgumentError,
  OssServiceError,
  PositionNotEqualToLengthError,
  ObjectNotAppendableError,
  type RolledObject,
} from 'oss-stream';
import type { OssServer } from 'oss-stream/server';
import { consistently, eventually } from '../support/eventually.js';
import { clientFor, startServer } from '../support/local-oss.js';

const KiB = 1024;

async function readBack(bucket: Bucket, key: string): Promise<Buffer> {
  const { body } = await bucket.getObject(key);
  const parts: Buffer[] = [];
  for await (const c of body) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

async function exists(bucket: Bucket, key: string): Promise<boolean> {
  try {
    await bucket.headObject(key);
    return true;
  } catch (err) {
    if (err instanceof OssServiceError && err.status === 404) return false;
    throw err;
  }
}

/** The objects of a `prefix{seq}suffix` series, in seq order, until the first missing seq. */
async function series(bucket: Bucket, prefix: string, suffix: string, from = 0): Promise<string[]> {
  const keys: string[] = [];
  for (let seq = from; await exists(bucket, `${prefix}${seq}${suffix}`); seq++) keys.push(`${prefix}${seq}${suffix}`);
  return keys;
}

const lines = (from: number, to: number, pad = 0) =>
  Array.from({ length: to - from }, (_, i) => `line ${String(from + i).padStart(pad, '0')}\n`);

/** Writes every string, honouring backpressure, then ends the sink and waits for 'finish'. */
async function writeAll(sink: LogSink, chunks: string[]): Promise<void> {
  for (const c of chunks) if (!sink.write(c)) await once(sink, 'drain');
  sink.end();
  await finished(sink);
}

describe('createLogSink', () => {
  let server: OssServer;
  let bucket: Bucket;
  let n = 0;
  let base: string;
  const sink = (opts: Omit<LogSinkOptions, 'key'> & { key?: string }) => {
    const s = createLogSink(bucket, { key: `${base}{seq}.log`, flushIntervalMs: 0, ...opts });
    return s;
  };

  before(async () => {
    server = await startServer({ limits: { maxPutSize: 64 * KiB } });
    bucket = clientFor(server, { retries: 2, limits: { maxPutSize: 64 * KiB } });
  });
  after(async () => {
    await bucket.close();
    await server.close();
  });
  beforeEach(() => {
    server.faults.clear();
    base = `sink-${++n}/app-`;
  });

  it('rolls by size at line boundaries: every object holds whole lines, and roll events describe each one', async () => {
    const rolled: RolledObject[] = [];
    const s = sink({ flushBytes: 100, rollBytes: 300, onRoll: (o) => rolled.push(o) });
    const input = lines(0, 200, 4);
    await writeAll(s, input);
    const keys = await series(bucket, base, '.log');
    expect(keys.length).to.be.greaterThan(5);
    expect(rolled.map((o) => o.key)).to.deep.equal(keys);
    const bodies = await Promise.all(keys.map((k) => readBack(bucket, k)));
    expect(Buffer.concat(bodies).toString()).to.equal(input.join(''));
    for (const [i, b] of bodies.entries()) {
      expect(b.length).to.be.at.most(300);
      expect(b.toString()).to.match(/^line \d{4}\n(line \d{4}\n)*$/);
      expect(rolled[i]!.size).to.equal(b.length);
      expect(rolled[i]!.crc64).to.equal(crc64(b));
      expect(rolled[i]!.reason).to.equal(i === keys.length - 1 ? 'close' : 'size');
      expect(rolled[i]!.firstWriteAt.getTime()).to.be.at.most(rolled[i]!.lastWriteAt.getTime());
    }
    expect(s.result).to.include({
      bytesIn: input.join('').length,
      bytesStored: input.join('').length,
      objects: keys.length,
    });
  });

  it('cuts a line longer than a batch at the batch size, and never passes rollBytes', async () => {
    const long = `${'x'.repeat(250)}\n`;
    const s = sink({ flushBytes: 100, rollBytes: 200 });
    await writeAll(s, ['a\n', long, 'b\n']);
    const keys = await series(bucket, base, '.log');
    const bodies = await Promise.all(keys.map((k) => readBack(bucket, k)));
    expect(Buffer.concat(bodies).toString()).to.equal(`a\n${long}b\n`);
    for (const b of bodies) expect(b.length).to.be.at.most(200);
  });

  it('ships whole lines on the flush timer and keeps a partial line until its newline comes', async () => {
    const s = sink({ flushIntervalMs: 20 });
    s.write('one\ntw');
    const key = `${base}0.log`;
    await eventually(() => exists(bucket, key));
    expect((await readBack(bucket, key)).toString()).to.equal('one\n');
    s.write('o\n');
    await s.flush();
    expect((await readBack(bucket, key)).toString()).to.equal('one\ntwo\n');
    s.end();
    await finished(s);
  });

  it('rolls when the rendered key changes (the hour turns) and starts {seq} again in the new prefix', async () => {
    let now = new Date(Date.UTC(2026, 0, 5, 7, 59, 0));
    const rolled: RolledObject[] = [];
    const s = createLogSink(bucket, {
      key: `${base}{HH}-{seq}.log`,
      flushIntervalMs: 0,
      now: () => now,
      onRoll: (o) => rolled.push(o),
    });
    s.write('at seven\n');
    await s.flush();
    s.write('still seven\n');
    await s.flush();
    now = new Date(Date.UTC(2026, 0, 5, 8, 0, 1));
    s.write('at eight\n');
    await s.flush();
    s.end();
    await finished(s);
    expect((await readBack(bucket, `${base}07-0.log`)).toString()).to.equal('at seven\nstill seven\n');
    expect((await readBack(bucket, `${base}08-0.log`)).toString()).to.equal('at eight\n');
    expect(rolled.map((o) => [o.key, o.reason])).to.deep.equal([
      [`${base}07-0.log`, 'prefix'],
      [`${base}08-0.log`, 'close'],
    ]);
  });

  it('rolls objects older than rollIntervalMs', async () => {
    let now = new Date(Date.UTC(2026, 0, 5, 7, 0, 0));
    const rolled: RolledObject[] = [];
    const s = sink({ rollIntervalMs: 60_000, now: () => now, onRoll: (o) => rolled.push(o) });
    s.write('first\n');
    await s.flush();
    now = new Date(now.getTime() + 61_000);
    s.write('second\n');
    await s.flush();
    s.end();
    await finished(s);
    expect((await series(bucket, base, '.log')).length).to.equal(2);
    expect(rolled.map((o) => o.reason)).to.deep.equal(['interval', 'close']);
  });

  it('after a restart, {seq} continues after every object that exists (never reusing one)', async () => {
    for (let seq = 0; seq < 11; seq++) await bucket.appendObject(`${base}${seq}.log`, 0, `older run ${seq}\n`);
    const s = sink({});
    await writeAll(s, ['new run\n']);
    expect((await readBack(bucket, `${base}11.log`)).toString()).to.equal('new run\n');
    expect((await readBack(bucket, `${base}10.log`)).toString()).to.equal('older run 10\n');
    // A second run in the same prefix does not touch the first one's object either.
    const again = sink({});
    await writeAll(again, ['third run\n']);
    expect((await readBack(bucket, `${base}12.log`)).toString()).to.equal('third run\n');
  });

  it("never hits the appendable limit by surprise: rollBytes defaults to the service's limit and may not pass it", async () => {
    const s = sink({ flushBytes: 10 * KiB });
    const line = `${'y'.repeat(1023)}\n`;
    await writeAll(
      s,
      Array.from({ length: 150 }, () => line),
    );
    const keys = await series(bucket, base, '.log');
    expect(keys.length).to.equal(3);
    for (const k of keys) expect((await bucket.headObject(k)).size).to.be.at.most(64 * KiB);
    expect(() => sink({ rollBytes: 64 * KiB + 1 })).to.throw(OssArgumentError, /rollBytes/);
    expect(() => sink({ rollBytes: 100, flushBytes: 101 })).to.throw(OssArgumentError, /flushBytes/);
  });

  it('another writer on the key: the object fails, says so, and the batch goes to the next {seq}', async () => {
    const failed: FailedObject[] = [];
    const s = sink({});
    s.on('objectFailed', (f: FailedObject) => failed.push(f));
    s.write('mine 1\n');
    await s.flush();
    await bucket.appendObject(`${base}0.log`, 7, 'theirs\n');
    s.write('mine 2\n');
    await s.flush();
    s.write('mine 3\n');
    s.end();
    await finished(s);
    expect(failed).to.have.length(1);
    expect(failed[0]!.key).to.equal(`${base}0.log`);
    expect(failed[0]!.stored).to.equal(7);
    expect(failed[0]!.error).to.be.instanceOf(PositionNotEqualToLengthError);
    expect((await readBack(bucket, `${base}0.log`)).toString()).to.equal('mine 1\ntheirs\n');
    expect((await readBack(bucket, `${base}1.log`)).toString()).to.equal('mine 2\nmine 3\n');
  });

  it('an object replaced by a Normal one (ObjectNotAppendable) rolls too', async () => {
    const failed: FailedObject[] = [];
    const s = sink({});
    s.on('objectFailed', (f: FailedObject) => failed.push(f));
    s.write('mine 1\n');
    await s.flush();
    await bucket.putObject(`${base}0.log`, 'normal object\n');
    await writeAll(s, ['mine 2\n']);
    expect(failed.map((f) => f.error)).to.satisfy(
      (errs: Error[]) => errs.length === 1 && errs[0] instanceof ObjectNotAppendableError,
    );
    expect((await readBack(bucket, `${base}1.log`)).toString()).to.equal('mine 2\n');
  });

  it("compress: 'gzip' appends one gzip member per batch: every object gunzips whole after every append", async () => {
    const s = sink({ key: `${base}{seq}.log.gz`, compress: 'gzip', flushBytes: 300, rollBytes: 400, gzipLevel: 1 });
    const input = lines(0, 300, 5);
    s.write(input.slice(0, 50).join(''));
    await s.flush();
    // Mid-way, the object is a valid gzip file holding what was shipped so far.
    expect(gunzipSync(await readBack(bucket, `${base}0.log.gz`)).toString()).to.equal(input.slice(0, 50).join(''));
    await writeAll(s, input.slice(50));
    const keys = await series(bucket, base, '.log.gz');
    expect(keys.length).to.be.greaterThan(1);
    const text = (await Promise.all(keys.map(async (k) => gunzipSync(await readBack(bucket, k)).toString()))).join('');
    expect(text).to.equal(input.join(''));
    expect(s.result.bytesStored).to.be.lessThan(s.result.bytesIn);
  });

  it('holds two batches at most (the one on the wire and the one filling); the write callbacks wait beyond', async () => {
    server.faults.add({ op: 'AppendObject', action: { type: 'delay', ms: 1000 } });
    const s = sink({ flushBytes: 100 });
    const ten = 'x'.repeat(9) + '\n';
    let called = 0;
    expect(s.bufferedBytes).to.equal(0);
    for (let i = 0; i < 30; i++) s.write(ten, () => called++);
    // One batch in flight, one full: 200 bytes held, and the rest waits for the append to land.
    await eventually(() => expect(called).to.equal(20));
    expect(s.bufferedBytes).to.equal(200);
    await consistently(
      () => {
        expect(called).to.equal(20);
        expect(s.bufferedBytes).to.equal(200);
      },
      { minMs: 300 },
    );
    s.end();
    await finished(s);
    expect(called).to.equal(30);
    expect(s.bufferedBytes).to.equal(0);
    expect((await readBack(bucket, `${base}0.log`)).toString()).to.equal(ten.repeat(30));
  });

  it('refuses objects and bad options with typed errors', async () => {
    const s = sink({});
    const err = await new Promise<Error>((resolve) => {
      s.on('error', resolve);
      s.write({ not: 'bytes' });
    });
    expect(err).to.be.instanceOf(OssArgumentError);
    expect(() => sink({ compress: 'brotli' as 'gzip' })).to.throw(OssArgumentError, /compress/);
    expect(() => sink({ gzipLevel: 10 })).to.throw(OssArgumentError, /gzipLevel/);
    expect(() => createLogSink(bucket, { key: 'no-seq.log' })).to.throw(OssArgumentError, /\{seq\}/);
  });
});
