// `oss-stream/pino` end to end: pino.transport in a child process that logs and calls process.exit at once; every
// line must be stored. The transport runs as users run it: compiled JavaScript in pino's worker thread.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Auth, Bucket, OssServiceError } from 'oss-stream';
import { OssServer } from 'oss-stream/server';
import { bundledEntry, ROOT } from './logs/ship-harness.js';

/** The transport as one JavaScript file (esbuild, as tsx uses it), or the examples' shim that loads the source. */
async function transportTarget(dir: string): Promise<{ target: string; execArgv: string[] }> {
  const cmd = await bundledEntry(dir, 'lib/pino.ts', 'pino-transport.mjs');
  // Without esbuild, the examples' shim loads the source in pino's worker.
  return { target: cmd.length === 1 ? cmd[0]! : join(ROOT, 'examples/_pino-target.mjs'), execArgv: [] };
}

const CHILD = `
import pino from 'pino';
const [target, execArgv, key, count, compress] = [process.argv[2], JSON.parse(process.argv[3]), process.argv[4], Number(process.argv[5]), process.argv[6]];
const transport = pino.transport({ target, options: { key, compress, flushIntervalMs: 60000 }, worker: { execArgv } });
const logger = pino(transport);
for (let i = 0; i < count; i++) logger.info({ i }, 'line ' + i);
process.exit(0);
`;

// Wrong credentials: the first append is refused, and the application hears of it through pino's transport.
const FAILING_CHILD = `
import pino from 'pino';
const [target, execArgv] = [process.argv[2], JSON.parse(process.argv[3])];
const transport = pino.transport({ target, options: { key: 'denied-{seq}.log', flushIntervalMs: 10 }, worker: { execArgv } });
transport.on('error', (err) => {
  process.stdout.write(JSON.stringify({ name: err.name, message: err.message }));
  process.exit(3);
});
pino(transport).info('never stored');
setTimeout(() => process.exit(4), 30000).unref?.();
setInterval(() => undefined, 1000);
`;

describe('oss-stream/pino transport', function () {
  this.timeout(60_000);
  let server: OssServer;
  let bucket: Bucket;
  let dir: string;
  let transport: { target: string; execArgv: string[] };

  before(async () => {
    server = await OssServer.start({
      credentials: [{ accessKeyId: 'pino-ak', accessKeySecret: 'pino-sk' }],
      buckets: ['pino-logs'],
    });
    bucket = new Bucket(new Auth('pino-ak', 'pino-sk'), server.endpoint, 'pino-logs');
    await mkdir(join(ROOT, 'tmp'), { recursive: true });
    dir = await mkdtemp(join(ROOT, 'tmp', 'pino-'));
    transport = await transportTarget(dir);
    await writeFile(join(dir, 'child.mjs'), CHILD);
    await writeFile(join(dir, 'failing-child.mjs'), FAILING_CHILD);
  });
  after(async () => {
    await bucket.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function run(key: string, count: number, compress: 'gzip' | 'none'): Promise<string> {
    const env = {
      ...process.env,
      OSS_ENDPOINT: server.endpoint,
      OSS_BUCKET: 'pino-logs',
      OSS_ACCESS_KEY_ID: 'pino-ak',
      OSS_ACCESS_KEY_SECRET: 'pino-sk',
    };
    const child = spawn(
      process.execPath,
      [join(dir, 'child.mjs'), transport.target, JSON.stringify(transport.execArgv), key, String(count), compress],
      { cwd: dir, env, stdio: ['ignore', 'inherit', 'pipe'] },
    );
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const [code] = await once(child, 'exit');
    expect(code, err).to.equal(0);
    expect(err).to.equal('');
    let text = '';
    for (let seq = 0; ; seq++) {
      try {
        const { body } = await bucket.getObject(key.replace('{seq}', String(seq)));
        const parts: Buffer[] = [];
        for await (const c of body) parts.push(c as Buffer);
        const bytes = Buffer.concat(parts);
        text += (compress === 'gzip' ? gunzipSync(bytes) : bytes).toString();
      } catch (e) {
        if (e instanceof OssServiceError && e.status === 404) break;
        throw e;
      }
    }
    return text;
  }

  for (const compress of ['none', 'gzip'] as const) {
    it(`stores every line logged before an immediate process.exit (${compress})`, async () => {
      const count = 5000;
      const text = await run(`app-${compress}-{seq}.log${compress === 'gzip' ? '.gz' : ''}`, count, compress);
      const lines = text.split('\n').filter((l) => l !== '');
      expect(lines.length).to.equal(count);
      lines.forEach((l, i) => expect(JSON.parse(l)).to.include({ i, msg: `line ${i}`, level: 30 }));
    });
  }

  it('a sink that fails (wrong secret) fails the transport: pino emits the OSS error, nothing is stored', async () => {
    const env = {
      ...process.env,
      OSS_ENDPOINT: server.endpoint,
      OSS_BUCKET: 'pino-logs',
      OSS_ACCESS_KEY_ID: 'pino-ak',
      OSS_ACCESS_KEY_SECRET: 'not-the-secret',
    };
    const child = spawn(
      process.execPath,
      [join(dir, 'failing-child.mjs'), transport.target, JSON.stringify(transport.execArgv)],
      {
        cwd: dir,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const [code] = await once(child, 'exit');
    expect(code, out).to.equal(3);
    const reported = JSON.parse(out) as { name: string; message: string };
    // The error crosses pino's worker boundary by structured clone: its message survives, its own fields do not.
    expect(reported.message).to.match(/SignatureDoesNotMatch|signature/i);
    const listed = await bucket.headObject('denied-0.log').then(
      () => 'stored',
      (e: unknown) => (e as OssServiceError).status,
    );
    expect(listed).to.equal(404);
  });
});
