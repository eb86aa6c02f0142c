// The published shape: rollup builds ESM + CJS + .d.ts for `oss-stream` and `oss-stream/server`, and the bin runs.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const run = (cmd: string, args: string[]) =>
  new Promise<{ code: number; out: string }>((resolve) =>
    execFile(cmd, args, { cwd: ROOT, timeout: 120_000 }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, out: stdout + stderr })),
  );

describe('package build', function () {
  this.timeout(180_000);

  before(async () => {
    const r = await run(process.execPath, [join(ROOT, 'node_modules/rollup/dist/bin/rollup'), '-c']);
    expect(r.code, r.out).to.equal(0);
  });

  it('exports the same API from ESM and CJS', async () => {
    const esm = (await import(pathToFileURL(join(ROOT, 'dist/index.js')).href)) as Record<string, unknown>;
    const cjs = createRequire(import.meta.url)(join(ROOT, 'dist/index.cjs')) as Record<string, unknown>;
    for (const name of ['Bucket', 'Auth', 'StsAuth', 'createUploadStream', 'createPutStream', 'createAppendStream', 'MultipartWritable', 'resumableUpload', 'ResumableStore', 'crc64', 'crc64Combine', 'OssError', 'determinePartSize', 'FileSlice']) {
      expect(typeof esm[name], `esm ${name}`).to.equal('function');
      expect(typeof cjs[name], `cjs ${name}`).to.equal('function');
    }
    expect((esm['crc64'] as (s: string) => string)('123456789')).to.equal('11051210869376104954');
    const server = createRequire(import.meta.url)(join(ROOT, 'dist/server.cjs')) as Record<string, unknown>;
    expect(typeof server['OssServer']).to.equal('function');
    for (const name of ['createLogSink', 'LogSink', 'KeyTemplate']) expect(typeof esm[name], `esm ${name}`).to.equal('function');
    // pino loads a transport's default export, from either module system.
    const pinoEsm = (await import(pathToFileURL(join(ROOT, 'dist/pino.js')).href)) as { default: unknown };
    const pinoCjs = createRequire(import.meta.url)(join(ROOT, 'dist/pino.cjs')) as { default: unknown };
    expect(typeof pinoEsm.default).to.equal('function');
    expect(typeof pinoCjs.default).to.equal('function');
  });

  it('ships bundled type declarations', async () => {
    const dts = await readFile(join(ROOT, 'dist/index.d.ts'), 'utf8');
    for (const name of ['createUploadStream', 'MultipartWritable', 'Bucket', 'OssError']) expect(dts).to.include(name);
    expect(await readFile(join(ROOT, 'dist/server.d.ts'), 'utf8')).to.include('OssServer');
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, { types: string }> };
    expect(pkg.exports['.']!.types).to.equal('./dist/index.d.ts');
    expect(pkg.exports['./server']!.types).to.equal('./dist/server.d.ts');
    expect(pkg.exports['./pino']!.types).to.equal('./dist/pino.d.ts');
    expect(await readFile(join(ROOT, 'dist/pino.d.ts'), 'utf8')).to.include('PinoOssOptions');
    expect(await readFile(join(ROOT, 'dist/index.d.ts'), 'utf8')).to.include('createLogSink');
  });

  it('the bin prints its usage', async () => {
    const r = await run(process.execPath, [join(ROOT, 'dist/cli.js'), '--help']);
    expect(r.code).to.equal(0);
    expect(r.out).to.match(/Usage: oss-stream <command>/);
    expect(r.out).to.match(/\bcp\b/);
  });

  it("pino loads the built transport by its package name, 'oss-stream/pino', and every line is stored", async () => {
    const { OssServer } = await import('oss-stream/server');
    const { Auth, Bucket } = await import('oss-stream');
    const server = await OssServer.start({ credentials: [{ accessKeyId: 'pkg-ak', accessKeySecret: 'pkg-sk' }], buckets: ['pkg-pino'] });
    const dir = join(ROOT, 'tmp', `package-pino-${process.pid}`);
    await mkdir(dir, { recursive: true });
    try {
      // Inside the package, so 'oss-stream/pino' resolves through package.json "exports" as it does from node_modules.
      await writeFile(
        join(dir, 'log.mjs'),
        "import pino from 'pino';\n" +
          "const logger = pino(pino.transport({ target: 'oss-stream/pino', options: { key: 'pkg-{seq}.log' } }));\n" +
          "for (let i = 0; i < 100; i++) logger.info({ i }, 'hello');\nprocess.exit(0);\n",
      );
      const env = { ...process.env, OSS_ENDPOINT: server.endpoint, OSS_BUCKET: 'pkg-pino', OSS_ACCESS_KEY_ID: 'pkg-ak', OSS_ACCESS_KEY_SECRET: 'pkg-sk' };
      const r = await new Promise<{ code: number; out: string }>((resolve) =>
        execFile(process.execPath, [join(dir, 'log.mjs')], { cwd: dir, env, timeout: 60_000 }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, out: stdout + stderr })),
      );
      expect(r.code, r.out).to.equal(0);
      const bucket = new Bucket(new Auth('pkg-ak', 'pkg-sk'), server.endpoint, 'pkg-pino');
      const { body } = await bucket.getObject('pkg-0.log');
      let text = '';
      for await (const c of body) text += String(c);
      await bucket.close();
      expect(text.trim().split('\n').map((l) => (JSON.parse(l) as { i: number }).i)).to.deep.equal(Array.from({ length: 100 }, (_, i) => i));
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
