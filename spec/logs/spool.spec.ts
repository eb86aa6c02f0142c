import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { Auth, Bucket, createLogSink, OssServiceError } from 'oss-stream';
import { OssServer } from 'oss-stream/server';
import { bundledEntry, ROOT } from './ship-harness.js';

function childCommand(dir: string): Promise<string[]> {
  return bundledEntry(dir, 'spec/logs/spool-child.ts', 'spool-child.mjs');
}

async function objectsText(bucket: Bucket, prefix: string): Promise<string> {
  let text = '';
  for (let seq = 0; ; seq++) {
    try {
      const { body } = await bucket.getObject(`${prefix}${seq}.log`);
      for await (const c of body) text += String(c);
    } catch (err) {
      if (err instanceof OssServiceError && err.status === 404) return text;
      throw err;
    }
  }
}

describe('createLogSink spool', function () {
  this.timeout(90_000);
  let server: OssServer;
  let bucket: Bucket;
  let dir: string;

  before(async () => {
    server = await OssServer.start({
      credentials: [{ accessKeyId: 'spool-ak', accessKeySecret: 'spool-sk' }],
      buckets: ['spool-spec'],
    });
    bucket = new Bucket(new Auth('spool-ak', 'spool-sk'), server.endpoint, 'spool-spec');
    await mkdir(join(ROOT, 'tmp'), { recursive: true });
    dir = await mkdtemp(join(ROOT, 'tmp', 'spool-'));
  });
  after(async () => {
    await bucket.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('kill -9 at random instants: every acknowledged line is stored exactly once, in order, after a restart', async () => {
    const cmd = await childCommand(dir);
    const spoolDir = join(dir, 'spool-a');
    // Slow appends, so the spool holds a backlog when the kill comes.
    server.faults.add({ op: 'AppendObject', times: Infinity, action: { type: 'delay', ms: 15 } });
    const acked: number[] = [];
    const runs = 5;
    for (let run = 0; run < runs; run++) {
      const last = run === runs - 1;
      const child = spawn(
        process.execPath,
        [...cmd, server.endpoint, 'spool-a/app-{seq}.log', spoolDir, String(run), last ? '300' : '100000'],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      let err = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      const exited = once(child, 'exit');
      if (!last) {
        // Kill once it has written a few hundred lines, at a random point after that.
        await new Promise<void>((resolve) => child.stdout!.on('data', () => /\b(2|3|4)\d\d\n/.test(out) && resolve()));
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 300)));
        child.kill('SIGKILL');
      }
      const [code, signal] = await exited;
      if (last) expect(code, err).to.equal(0);
      else expect(signal, err).to.equal('SIGKILL');
      const numbers = out
        .split('\n')
        .filter((l) => /^\d+$/.test(l))
        .map(Number);
      acked.push(numbers.length === 0 ? -1 : Math.max(...numbers));
    }
    server.faults.clear();
    const lines = (await objectsText(bucket, 'spool-a/app-')).split('\n').filter((l) => l !== '');
    let i = 0;
    for (let run = 0; run < runs; run++) {
      let n = 0;
      while (i < lines.length && lines[i]!.startsWith(`run ${run} `)) {
        expect(lines[i]).to.equal(`run ${run} line ${n}`);
        i++;
        n++;
      }
      expect(n - 1, `run ${run}: stored lines vs acknowledged`).to.be.at.least(acked[run]!);
    }
    expect(i, `unexpected line ${lines[i]}`).to.equal(lines.length);
    expect(acked.slice(0, -1).every((a) => a >= 200)).to.equal(true);
  });

  it('empties the spool file once everything is stored, and leaves a clean state', async () => {
    const spoolDir = join(dir, 'spool-b');
    const sink = createLogSink(bucket, {
      key: 'spool-b/app-{seq}.log',
      flushBytes: 1024,
      spool: { dir: spoolDir, fsyncIntervalMs: 0 },
    });
    for (let i = 0; i < 500; i++) sink.write(`line ${i}\n`);
    sink.end();
    await finished(sink);
    expect((await stat(join(spoolDir, 'spool.log'))).size).to.equal(0);
    const text = await objectsText(bucket, 'spool-b/app-');
    expect(text).to.equal(Array.from({ length: 500 }, (_, i) => `line ${i}\n`).join(''));
    const stateName = (await import('node:fs/promises'))
      .readdir(spoolDir)
      .then((n) => n.find((f) => f.startsWith('ship-'))!);
    const state = JSON.parse(await readFile(join(spoolDir, await stateName), 'utf8')) as {
      intent: unknown;
      files: Record<string, { offset: number }>;
    };
    expect(state.intent).to.equal(null);
    expect(Object.values(state.files).map((f) => f.offset)).to.deep.equal([0]);
  });
});
