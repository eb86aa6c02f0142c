import { expect } from 'chai';
import { appendFileSync, copyFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import fsp, { appendFile, mkdir, mkdtemp, open, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Bucket } from 'oss-stream';
import type { OssServer } from 'oss-stream/server';
import { FileShipper } from '../../lib/logs/file-shipper.js';
import { ShipStateFile } from '../../lib/logs/ship-state.js';
import { eventually } from '../support/eventually.js';
import { clientFor, startServer } from '../support/local-oss.js';

/**
 * Runs `fn` with `fs.promises.readdir` and `fs.promises.open` calling `after(path)` once each listing or open is made
 * (the imports of lib/ see them too): a way to act at an exact instant between the shipper's steps.
 */
async function afterEachLook<T>(after: (path: string) => void, fn: () => Promise<T>): Promise<T> {
  const saved = { readdir: fsp.readdir, open: fsp.open };
  const patched = fsp as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  for (const name of ['readdir', 'open'] as const) {
    const real = saved[name] as (...a: unknown[]) => Promise<unknown>;
    patched[name] = async (...args: unknown[]) => {
      const r = await real.apply(fsp, args);
      after(String(args[0]));
      return r;
    };
  }
  syncBuiltinESMExports();
  try {
    return await fn();
  } finally {
    Object.assign(fsp, saved);
    syncBuiltinESMExports();
  }
}

/** Rotations as logrotate makes them, done at once (between two steps of the shipper). */
const rotateBy = {
  copytruncate(path: string, suffix: string, next: string): void {
    copyFileSync(path, `${path}.${suffix}`);
    truncateSync(path, 0);
    appendFileSync(path, next);
  },
  rename(path: string, suffix: string, next: string): void {
    renameSync(path, `${path}.${suffix}`);
    writeFileSync(path, next);
  },
};

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

  it('stop() ships what the file held then, even while a faster writer keeps appending', async () => {
    // Before: the stop chased the writer, which is always ahead here (1 KiB more before every read of 256 B at
    // most), and ended only when the writer did.
    const f = join(dir, 'a.log');
    let line = 0;
    const lines = (count: number) =>
      Array.from({ length: count }, () => `line ${String(line++).padStart(6, '0')}\n`).join('');
    await writeFile(f, lines(20));
    const s = shipper([f], { flushBytes: 64 });
    const running = s.run();
    await eventually(async () => expect((await readBack(bucket, `${base}0.log`)).length).to.be.above(0));
    const probe = await open(f, 'r');
    const proto = Object.getPrototypeOf(probe) as { read: (...a: unknown[]) => Promise<unknown> };
    await probe.close();
    const read = proto.read;
    let grown = 0;
    proto.read = function (this: unknown, ...args: unknown[]) {
      if (grown < 2000) {
        grown++;
        appendFileSync(f, lines(80)); // 1,040 bytes
      }
      return read.apply(this, args);
    };
    const sizeAtStop = (await fsp.stat(f)).size;
    try {
      s.stop();
      await running;
    } finally {
      proto.read = read;
    }
    const shipped = await readBack(bucket, `${base}0.log`);
    const file = await readFile(f);
    expect(shipped.length).to.be.at.least(sizeAtStop);
    // Fixed at the stop (give or take the reads already under way): not the ~2 MB the writer went on to append.
    expect(shipped.length).to.be.at.most(sizeAtStop + 4 * 1040);
    expect(shipped.equals(file.subarray(0, shipped.length))).to.equal(true);
    expect(shipped.at(-1)).to.equal(0x0a);
    // The next run ships the rest, from the file.
    await shipper([f], { once: true }).run();
    expect((await readBack(bucket, `${base}0.log`)).equals(await readFile(f))).to.equal(true);
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

  describe('a rotation at any instant while the shipper was down or looking', () => {
    // A restarted shipper looks at the followed path and its siblings several times (the recorded file, what was
    // rotated after it, the file at the path). Each case rotates the log right after the k-th listing of the
    // directory or open of the path in a run, for every k that run makes, and checks that every line is shipped
    // exactly once, in order.
    const cases = [
      {
        name: 'the recorded file is still at the path, with unshipped lines',
        // Before: the path was checked after the siblings were listed, so a copytruncate in between lost 'a3'.
        prepare: async (f: string) => {
          await appendFile(f, 'a3\n');
        },
        want: 'a1\na2\na3\nb1\n',
      },
      {
        name: 'the recorded file was renamed away, and a new one is at the path',
        // Before: the path was opened after the last look at the siblings, so a rotation in between lost 'b1'.
        prepare: async (f: string) => {
          await appendFile(f, 'a3\n');
          await rename(f, `${f}.0`);
          // Rotated well before the next one (rotated files are ordered by mtime, which may be coarse).
          await utimes(`${f}.0`, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
          await writeFile(f, 'a4\n');
        },
        want: 'a1\na2\na3\na4\nb1\n',
      },
    ];
    for (const c of cases) {
      for (const kind of ['copytruncate', 'rename'] as const) {
        it(`${c.name}; ${kind} right after any listing or open`, async () => {
          let fired = 0;
          for (let k = 1; ; k++) {
            const logs = join(dir, `${kind}-${k}`);
            await mkdir(logs);
            const f = join(logs, 'app.log');
            const key = `${base}${kind}-${k}-{seq}.log`;
            const run = () => shipper([f], { once: true, key, stateDir: join(logs, '..', `state-${kind}-${k}`) }).run();
            await writeFile(f, 'a1\na2\n');
            await run();
            await c.prepare(f);
            let looks = 0;
            await afterEachLook((p) => {
              if ((p === logs || p === f) && ++looks === k) rotateBy[kind](f, 'r', 'b1\n');
            }, run);
            if (looks < k) {
              // This run looks fewer times: every instant is covered.
              expect(fired, 'rotations made mid-run').to.be.at.least(1);
              break;
            }
            fired++;
            await run();
            expect((await readBack(bucket, key.replace('{seq}', '0'))).toString(), `rotated after look ${k}`).to.equal(
              c.want,
            );
          }
        });
      }
    }

    it('a file truncated between reading its size and reading its bytes: shipped from its copy', async () => {
      // Before: the read found nothing and the batch was cut from the previous batch's bytes still in the buffer
      // (duplicated), and the offset jumped past the copy's end (the rest of the file lost).
      const f = join(dir, 'a.log');
      const text = Array.from({ length: 40 }, (_, i) => `line ${String(i).padStart(3, '0')}\n`).join('');
      await writeFile(f, text);
      const probe = await open(f, 'r');
      const proto = Object.getPrototypeOf(probe) as { read: (...a: unknown[]) => Promise<unknown> };
      await probe.close();
      const read = proto.read;
      let rotated = false;
      proto.read = function (this: unknown, ...args: unknown[]) {
        // The first read past the start is the second batch's (fingerprints read from byte 0).
        if (!rotated && typeof args[3] === 'number' && args[3] > 0) {
          rotated = true;
          rotateBy.copytruncate(f, '1', 'b1\n');
        }
        return read.apply(this, args);
      };
      try {
        await shipper([f], { once: true, flushBytes: 64 }).run();
      } finally {
        proto.read = read;
      }
      expect(rotated).to.equal(true);
      await shipper([f], { once: true }).run();
      expect((await readBack(bucket, `${base}0.log`)).toString()).to.equal(`${text}b1\n`);
    });
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
