import { expect } from 'chai';
import { appendFile, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Bucket } from 'oss-stream';
import type { OssServer } from 'oss-stream/server';
import { FileShipper } from '../../lib/logs/file-shipper.js';
import { ShipStateFile } from '../../lib/logs/ship-state.js';
import { eventually } from '../support/eventually.js';
import { clientFor, startServer } from '../support/local-oss.js';

async function readBack(bucket: Bucket, key: string): Promise<Buffer> {
  const { body } = await bucket.getObject(key);
  const parts: Buffer[] = [];
  for await (const c of body) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('FileShipper', () => {
  let server: OssServer;
  let bucket: Bucket;
  let dir: string;
  let n = 0;
  let base: string;

  before(async () => {
    server = await startServer();
    bucket = clientFor(server);
  });
  after(async () => {
    await bucket.close();
    await server.close();
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'file-shipper-'));
    base = `fs-${++n}/app-`;
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const shipper = (paths: string[], extra: Partial<ConstructorParameters<typeof FileShipper>[2]> = {}) =>
    new FileShipper(bucket, paths, {
      key: `${base}{seq}.log`,
      stateDir: join(dir, 'state'),
      flushIntervalMs: 0,
      pollIntervalMs: 10,
      ...extra,
    });

  it('--once ships whole lines only; the next run continues the same object from the state file', async () => {
    const f = join(dir, 'a.log');
    await writeFile(f, 'one\ntwo\nthr');
    const p = await shipper([f], { once: true }).run();
    expect(p.bytes).to.equal(8);
    expect((await readBack(bucket, `${base}0.log`)).toString()).to.equal('one\ntwo\n');
    const s = shipper([f], { once: true });
    const state = JSON.parse(await readFile(s.stateFile, 'utf8')) as {
      files: Record<string, { offset: number }>;
      intent: unknown;
    };
    expect(Object.values(state.files)[0]!.offset).to.equal(8);
    expect(state.intent).to.equal(null);
    await appendFile(f, 'ee\n');
    await s.run();
    expect((await readBack(bucket, `${base}0.log`)).toString()).to.equal('one\ntwo\nthree\n');
  });

  it('uncompressed, writes the state once per run of appends, not per batch; gzip, once per batch', async () => {
    const f = join(dir, 'a.log');
    const text = Array.from({ length: 400 }, (_, i) => `line ${i}\n`).join('');
    await writeFile(f, text);
    const save = ShipStateFile.prototype.save;
    const saves = { none: 0, gzip: 0 };
    let mode: 'none' | 'gzip' = 'none';
    ShipStateFile.prototype.save = function (this: ShipStateFile, state) {
      saves[mode]++;
      return save.call(this, state);
    };
    try {
      // 100-byte batches, 400 while catching up: 9 appends of 3.5 KB, one object.
      const p = await shipper([f], { once: true, flushBytes: 100 }).run();
      expect(p.batches).to.be.at.least(5);
      expect((await readBack(bucket, `${base}0.log`)).toString()).to.equal(text);
      mode = 'gzip';
      base = `${base}gz-`;
      const g = await shipper([f], { once: true, flushBytes: 100, compress: 'gzip', stateDir: join(dir, 'gz') }).run();
      expect(gunzipSync(await readBack(bucket, `${base}0.log`)).toString()).to.equal(text);
      // The file put on record, one run, the clean record at the end; with gzip, one record per batch as well.
      expect(saves.none).to.equal(3);
      expect(saves.gzip).to.equal(g.batches + 2);
    } finally {
      ShipStateFile.prototype.save = save;
    }
  });

  it('follows several files into one object, through a rename rotation, until stop()', async () => {
    const a = join(dir, 'a.log');
    const b = join(dir, 'b.log');
    await writeFile(a, 'a1\n');
    await writeFile(b, 'b1\n');
    const s = shipper([a, b], { compress: 'gzip' });
    const running = s.run();
    const text = async () => gunzipSync(await readBack(bucket, `${base}0.log`)).toString();
    await eventually(async () => expect((await text()).split('\n').sort().join(' ')).to.equal(' a1 b1'));
    await appendFile(a, 'a2\n');
    await rename(a, `${a}.1`);
    await writeFile(a, 'a3\n');
    await eventually(async () => expect(await text()).to.match(/a1\n[^]*a2\na3\n/));
    s.stop();
    expect((await running).bytes).to.equal(12);
  });

  it('says so when the recorded file is gone, and goes on with the file at the path', async () => {
    const f = join(dir, 'a.log');
    await writeFile(f, 'old 1\n');
    await shipper([f], { once: true }).run();
    await appendFile(f, 'old 2 never shipped\n');
    await rm(f);
    await writeFile(f, 'new 1\n');
    const notices: string[] = [];
    await shipper([f], { once: true, onNotice: (l) => notices.push(l) }).run();
    expect(notices.join('\n')).to.match(/is gone/);
    expect((await readBack(bucket, `${base}0.log`)).toString()).to.equal('old 1\nnew 1\n');
  });

  it('stops with InvalidShipState on a state file it cannot read, instead of guessing', async () => {
    const f = join(dir, 'a.log');
    await writeFile(f, 'one\n');
    const s = shipper([f], { once: true });
    await mkdir(join(dir, 'state'), { recursive: true });
    await writeFile(s.stateFile, '{"version":1,"files":');
    const err = await s.run().then(
      () => undefined,
      (e: unknown) => e as { code?: string },
    );
    expect(err?.code).to.equal('InvalidShipState');
  });
});
