// The published shape: rollup builds ESM + CJS + .d.ts for `oss-stream` and `oss-stream/server`, and the bin runs.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const run = (cmd: string, args: string[]) =>
  new Promise<{ code: number; out: string }>((resolve) =>
    execFile(cmd, args, { cwd: ROOT, timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? 1 : 0, out: stdout + stderr }),
    ),
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
    for (const name of [
      'Bucket',
      'Auth',
      'StsAuth',
      'createUploadStream',
      'createPutStream',
      'createAppendStream',
      'MultipartWritable',
      'resumableUpload',
      'ResumableStore',
      'crc64',
      'crc64Combine',
      'OssError',
      'determinePartSize',
      'FileSlice',
    ]) {
      expect(typeof esm[name], `esm ${name}`).to.equal('function');
      expect(typeof cjs[name], `cjs ${name}`).to.equal('function');
    }
    expect((esm['crc64'] as (s: string) => string)('123456789')).to.equal('11051210869376104954');
    const server = createRequire(import.meta.url)(join(ROOT, 'dist/server.cjs')) as Record<string, unknown>;
    expect(typeof server['OssServer']).to.equal('function');
    for (const name of ['createLogSink', 'LogSink', 'KeyTemplate'])
      expect(typeof esm[name], `esm ${name}`).to.equal('function');
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
    type Conditions = Record<'import' | 'require', { types: string; default: string }>;
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, Conditions>;
    };
    expect(pkg.exports['.']!.import.types).to.equal('./dist/index.d.ts');
    expect(pkg.exports['.']!.require.types).to.equal('./dist/index.d.cts');
    expect(pkg.exports['./server']!.import.types).to.equal('./dist/server.d.ts');
    expect(pkg.exports['./server']!.require.types).to.equal('./dist/server.d.cts');
    expect(pkg.exports['./pino']!.import.types).to.equal('./dist/pino.d.ts');
    expect(pkg.exports['./pino']!.require.types).to.equal('./dist/pino.d.cts');
    expect(await readFile(join(ROOT, 'dist/pino.d.ts'), 'utf8')).to.include('PinoOssOptions');
    expect(await readFile(join(ROOT, 'dist/index.d.ts'), 'utf8')).to.include('createLogSink');
    // The CommonJS declarations import each other as .cjs, so TypeScript reads every one of them as CommonJS.
    expect(await readFile(join(ROOT, 'dist/server.d.cts'), 'utf8')).to.include("from './index.cjs'");
  });

  it('declares exactly the public API of spec/public-api.txt, and no internal type (issue 13)', async () => {
    const text = await readFile(join(ROOT, 'spec/public-api.txt'), 'utf8');
    const list = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    const dist: Record<string, string> = {
      'oss-stream': 'index',
      'oss-stream/server': 'server',
      'oss-stream/pino': 'pino',
    };
    for (const [entry, file] of Object.entries(dist)) {
      const dts = await readFile(join(ROOT, `dist/${file}.d.ts`), 'utf8');
      // rollup-plugin-dts ends each entry with export lists (`export { a as B, C } from './chunk.js'`, `export type`).
      const lists = [...dts.matchAll(/^export (?:type )?\{([^}]*)\}/gm)].map((m) => m[1]!);
      const names = lists.flatMap((l) =>
        l.split(',').map((n) =>
          n
            .trim()
            .split(/\s+as\s+/)
            .pop()!,
        ),
      );
      const listed = list.filter((l) => l.startsWith(`${entry} `)).map((l) => l.split(' ')[2]!);
      expect(names.filter((n) => n !== '').sort(), entry).to.deep.equal(listed.sort());
    }
    const declarations = (await readdir(join(ROOT, 'dist'))).filter((f) => /\.d\.c?ts$/.test(f));
    const internal = /\b(OssContext|HttpClient|MultipartInternals|ResolvedClientOptions|resolveClientOptions)\b/g;
    for (const f of declarations) {
      expect((await readFile(join(ROOT, 'dist', f), 'utf8')).match(internal), f).to.equal(null);
    }
  });

  describe('type-checks consumer projects with tsc (issue 17)', () => {
    // Each consumer imports both entry points and uses their types; the @ts-expect-error line fails the build if a
    // module's types resolve to `any` (not found) instead of ours.
    const use = (from: string, server: string): string => `
${from}
${server}
const bucket: Bucket = new Bucket(new Auth('ak', 'sk'), 'http://127.0.0.1:9000', 'demo');
const sink: MultipartWritable = createUploadStream(bucket, 'k', { partSize: 8 << 20, tags: { a: '1' } });
export const etag: Promise<string> = sink.done().then((r) => r.etag);
export const started: Promise<OssServer> = OssServer.start({ port: 0 });
// @ts-expect-error a Bucket is not a number: proves the types are ours, not any
export const wrong: number = bucket;
`;
    const CONSUMERS: Array<{
      name: string;
      type: 'module' | 'commonjs';
      compilerOptions: Record<string, unknown>;
      file: string;
      code: string;
    }> = [
      {
        name: 'CommonJS, module node16, a .cts file',
        type: 'commonjs',
        compilerOptions: { module: 'node16', moduleResolution: 'node16' },
        file: 'index.cts',
        code: use(
          "import { Auth, Bucket, createUploadStream, MultipartWritable } from 'oss-stream';",
          "import { OssServer } from 'oss-stream/server';\nimport oss = require('oss-stream');\nexport const b: typeof oss.Bucket = oss.Bucket;",
        ),
      },
      {
        name: 'CommonJS, moduleResolution node10',
        type: 'commonjs',
        compilerOptions: { module: 'commonjs', moduleResolution: 'node10' },
        file: 'index.ts',
        code: use(
          "import { Auth, Bucket, createUploadStream, MultipartWritable } from 'oss-stream';",
          "import { OssServer } from 'oss-stream/server';",
        ),
      },
      {
        name: 'ESM, module nodenext',
        type: 'module',
        compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' },
        file: 'index.ts',
        code: use(
          "import { Auth, Bucket, createUploadStream, MultipartWritable } from 'oss-stream';",
          "import { OssServer } from 'oss-stream/server';",
        ),
      },
    ];
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'oss-stream-consumers-'));
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    for (const c of CONSUMERS) {
      it(c.name, async () => {
        const project = join(dir, c.name.replace(/\W+/g, '-'));
        await mkdir(join(project, 'node_modules'), { recursive: true });
        // The package as installed (its package.json, exports and dist/), and Node's types for the consumer.
        await symlink(ROOT, join(project, 'node_modules/oss-stream'), 'dir');
        await symlink(join(ROOT, 'node_modules/@types'), join(project, 'node_modules/@types'), 'dir');
        await writeFile(
          join(project, 'package.json'),
          JSON.stringify({ name: 'consumer', private: true, type: c.type }),
        );
        // Our declarations are checked in full once, by the CommonJS consumer (the .d.cts files); the others only
        // resolve them (faster).
        const skipLibCheck = c.file !== 'index.cts';
        const compilerOptions = {
          ...c.compilerOptions,
          target: 'es2022',
          strict: true,
          noEmit: true,
          types: ['node'],
          skipLibCheck,
        };
        await writeFile(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: [c.file] }));
        await writeFile(join(project, c.file), c.code);
        const r = await run(process.execPath, [
          join(ROOT, 'node_modules/typescript/bin/tsc'),
          '-p',
          join(project, 'tsconfig.json'),
        ]);
        expect(r.out.trim(), r.out).to.equal('');
        expect(r.code).to.equal(0);
      });
    }
  });

  it('the packed tarball holds every file the README points to (examples/, ARCHITECTURE.md, bench/RESULTS.md, docs/), and no sources or specs', async () => {
    // The README is the package page: what it names must be in the tarball, since relative paths resolve there.
    const r = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts']);
    expect(r.code, r.out).to.equal(0);
    const packed = (JSON.parse(r.out.slice(r.out.indexOf('['))) as { files: { path: string }[] }[])[0]!.files.map(
      (f) => f.path,
    );
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const named = [
      ...new Set([...readme.matchAll(/`((?:examples|docs|bench)\/[^`\s]*|ARCHITECTURE\.md)`/g)].map((m) => m[1]!)),
    ];
    expect(named).to.include.members(['examples/', 'docs/errors.md', 'bench/RESULTS.md', 'ARCHITECTURE.md']);
    for (const path of named) {
      if (path.endsWith('/'))
        expect(
          packed.filter((p) => p.startsWith(path)),
          path,
        ).to.not.be.empty;
      else expect(packed, path).to.include(path);
    }
    const examples = (await readdir(join(ROOT, 'examples'))).map((n) => `examples/${n}`);
    expect(packed).to.include.members([
      ...examples,
      'dist/cli.js',
      'dist/index.js',
      'dist/index.cjs',
      'dist/index.d.ts',
      'package.json',
      'README.md',
    ]);
    expect(
      packed.filter((p) => /^(?:lib|spec)\//.test(p) || (p.startsWith('bench/') && p !== 'bench/RESULTS.md')),
    ).to.deep.equal([]);
  });

  it('installed from the packed tarball, ESM and CJS find the shipped native CRC-64 kernel', async function () {
    const capable =
      process.platform === 'linux' &&
      process.arch === 'x64' &&
      /^flags\s*:.*\bpclmulqdq\b/m.test(await readFile('/proc/cpuinfo', 'utf8'));
    const dir = await mkdtemp(join(tmpdir(), 'oss-stream-installed-'));
    try {
      const r = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir]);
      expect(r.code, r.out).to.equal(0);
      const [{ filename, files }] = JSON.parse(r.out.slice(r.out.indexOf('['))) as {
        filename: string;
        files: { path: string }[];
      }[];
      expect(files.map((f) => f.path)).to.include.members(['native/crc64-linux-x64.node', 'native/crc64.c']);
      const installed = join(dir, 'node_modules/oss-stream');
      await mkdir(installed, { recursive: true });
      expect((await run('tar', ['-xzf', join(dir, filename), '-C', installed, '--strip-components=1'])).code).to.equal(
        0,
      );
      // Its dependencies, as npm would have installed them.
      await symlink(join(ROOT, 'node_modules'), join(installed, 'node_modules'), 'dir');
      const script =
        "const cjs = require('oss-stream'); import('oss-stream').then((esm) => console.log(" +
        'esm.crc64Kernel(), cjs.crc64Kernel(), esm.crc64(Buffer.alloc(4096, 7)) === cjs.crc64(Buffer.alloc(4096, 7))))';
      const out = await new Promise<string>((resolve, reject) =>
        execFile(process.execPath, ['-e', script], { cwd: dir, timeout: 60_000 }, (err, stdout, stderr) =>
          err ? reject(new Error(stderr)) : resolve(stdout.trim()),
        ),
      );
      const kernel = capable ? 'native' : 'wasm';
      expect(out).to.equal(`${kernel} ${kernel} true`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the bin prints its usage', async () => {
    const r = await run(process.execPath, [join(ROOT, 'dist/cli.js'), '--help']);
    expect(r.code).to.equal(0);
    expect(r.out).to.match(/Usage: oss-stream <command>/);
    expect(r.out).to.match(/\bcp\b/);
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const v = await run(process.execPath, [join(ROOT, 'dist/cli.js'), '--version']);
    expect(v).to.deep.equal({ code: 0, out: `oss-stream ${version}\n` });
  });

  it("pino loads the built transport by its package name, 'oss-stream/pino', and every line is stored", async () => {
    const { OssServer } = await import('oss-stream/server');
    const { Auth, Bucket } = await import('oss-stream');
    const server = await OssServer.start({
      credentials: [{ accessKeyId: 'pkg-ak', accessKeySecret: 'pkg-sk' }],
      buckets: ['pkg-pino'],
    });
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
      const env = {
        ...process.env,
        OSS_ENDPOINT: server.endpoint,
        OSS_BUCKET: 'pkg-pino',
        OSS_ACCESS_KEY_ID: 'pkg-ak',
        OSS_ACCESS_KEY_SECRET: 'pkg-sk',
      };
      const r = await new Promise<{ code: number; out: string }>((resolve) =>
        execFile(process.execPath, [join(dir, 'log.mjs')], { cwd: dir, env, timeout: 60_000 }, (err, stdout, stderr) =>
          resolve({ code: err ? 1 : 0, out: stdout + stderr }),
        ),
      );
      expect(r.code, r.out).to.equal(0);
      const bucket = new Bucket(new Auth('pkg-ak', 'pkg-sk'), server.endpoint, 'pkg-pino');
      const { body } = await bucket.getObject('pkg-0.log');
      let text = '';
      for await (const c of body) text += String(c);
      await bucket.close();
      expect(
        text
          .trim()
          .split('\n')
          .map((l) => (JSON.parse(l) as { i: number }).i),
      ).to.deep.equal(Array.from({ length: 100 }, (_, i) => i));
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
