// `oss-stream ship` as a user runs it, in child processes, SIGKILLed at random instants while a writer rotates the log.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Auth, Bucket } from 'oss-stream';
import { OssServer } from 'oss-stream/server';
import { cliCommand, ROOT, runShipCrashScenario, type ShipCrashResult } from '../logs/ship-harness.js';

function expectExactlyOnce(r: ShipCrashResult): void {
  expect(r.lines).to.be.greaterThan(1000);
  expect(r.rotations).to.be.at.least(2);
  const firstBad = r.numbers.findIndex((n, i) => n !== i);
  expect(
    firstBad,
    `line order breaks at index ${firstBad}: ${r.numbers.slice(Math.max(0, firstBad - 3), firstBad + 3).join(',')}`,
  ).to.equal(-1);
  expect(r.numbers.length).to.equal(r.lines);
}

describe('oss-stream ship: exactly once across kill -9', function () {
  this.timeout(120_000);

  it('10 SIGKILLs at random instants while the log rotates by rename and copytruncate: every line once, in order', async () => {
    const r = await runShipCrashScenario({
      kills: 10,
      gzip: false,
      seed: Number(process.env.SHIP_SEED ?? 0x5eed),
      rotateEvery: 2500,
      log: process.env.SHIP_LOG === undefined ? undefined : console.log,
    });
    expectExactlyOnce(r);
    expect(r.objects).to.be.greaterThan(1);
  });

  it('the same with --compress gzip: the objects gunzip to every line once, in order', async () => {
    const r = await runShipCrashScenario({
      kills: 10,
      gzip: true,
      seed: Number(process.env.SHIP_SEED ?? 0x9219),
      rotateEvery: 2500,
      log: process.env.SHIP_LOG === undefined ? undefined : console.log,
    });
    expectExactlyOnce(r);
  });
});

describe('oss-stream ship: signals and exit codes', function () {
  this.timeout(60_000);
  let server: OssServer;
  let dir: string;
  let cli: string[];
  before(async () => {
    server = await OssServer.start({
      credentials: [{ accessKeyId: 'ak', accessKeySecret: 'sk' }],
      buckets: ['ship-signals'],
    });
    await mkdir(join(ROOT, 'tmp'), { recursive: true });
    dir = await mkdtemp(join(ROOT, 'tmp', 'ship-signals-'));
    cli = await cliCommand(dir);
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  for (const [signal, code] of [
    ['SIGTERM', 0],
    ['SIGINT', 130],
  ] as const) {
    it(`${signal} ships the whole lines written so far and exits with ${code}`, async () => {
      const log = join(dir, `${signal}.log`);
      await writeFile(log, 'before start\n');
      const env = {
        ...process.env,
        OSS_ENDPOINT: server.endpoint,
        OSS_ACCESS_KEY_ID: 'ak',
        OSS_ACCESS_KEY_SECRET: 'sk',
      };
      const child = spawn(
        process.execPath,
        [
          ...cli,
          'ship',
          log,
          `oss://ship-signals/${signal}-{seq}.log`,
          '--state-dir',
          join(dir, 'state'),
          '--flush-interval',
          '60s',
        ],
        { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let err = '';
      const started = new Promise<void>((resolve) =>
        child.stderr!.on('data', (d: Buffer) => (err += d.toString()).includes('ship: following') && resolve()),
      );
      const exited = once(child, 'exit');
      await started;
      // Written after start and well before the 60 s flush interval: only the signal's final pass ships it.
      await appendFile(log, 'after start\n');
      child.kill(signal);
      const [exitCode] = await exited;
      expect(exitCode, err).to.equal(code);
      const bucket = new Bucket(new Auth('ak', 'sk'), server.endpoint, 'ship-signals');
      const { body } = await bucket.getObject(`${signal}-0.log`);
      let text = '';
      for await (const c of body) text += String(c);
      await bucket.close();
      expect(text).to.equal('before start\nafter start\n');
    });
  }

  it('exits with 2 and a usage line on a bad command line', async () => {
    const child = spawn(process.execPath, [...cli, 'ship', 'a.log', 'oss://b-b/no-seq.log'], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const [exitCode] = await once(child, 'exit');
    expect(exitCode).to.equal(2);
    expect(err).to.match(/needs \{seq\}[^]*Usage: oss-stream ship/);
  });
});
