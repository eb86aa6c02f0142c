// Every README code block marked `ts runnable` is a complete program: run it as a user would and check it works.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('README', function () {
  this.timeout(60_000);

  it('starts with the two commands a newcomer runs', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)![1]!;
    expect(firstBlock).to.match(/^npm ci && npm start\b/m);
    expect(firstBlock).to.match(/^npm test\b/m);
    const ci = await readFile(join(ROOT, '.ci/run'), 'utf8');
    expect(ci).to.match(/^npm ci$/m);
    expect(ci).to.match(/^npm test$/m);
  });

  it('runs every `ts runnable` block', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```ts runnable\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).to.be.at.least(1);
    // inside the project so `oss-stream` resolves through tsconfig paths, as it would from node_modules
    const dir = join(ROOT, 'tmp', `readme-${process.pid}`);
    await mkdir(dir, { recursive: true });
    try {
      for (const [i, code] of blocks.entries()) {
        const file = join(dir, `block-${i}.ts`);
        await writeFile(file, code);
        const {
          code: exit,
          stdout,
          stderr,
        } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
          execFile(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, timeout: 30_000 }, (err, out, errOut) =>
            resolve({
              code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1,
              stdout: out,
              stderr: errOut,
            }),
          );
        });
        expect(stderr, `block ${i} stderr`).to.equal('');
        expect(exit, `block ${i} exit code; stdout: ${stdout}`).to.equal(0);
        if (i === 0) expect(stdout).to.match(/^3 \{ requests: 4, bytesIn: \d+/);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('type-checks every other `ts` block against the real API (so the docs cannot drift)', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).to.be.at.least(5);
    // What a snippet may use without defining it: provided here unless the snippet imports or declares it itself.
    const provided: [name: string, line: string][] = [
      ['pipeline', "import { pipeline } from 'node:stream/promises';"],
      ['finished', "import { finished } from 'node:stream/promises';"],
      ['createReadStream', "import { createReadStream } from 'node:fs';"],
      ['createGzip', "import { createGzip } from 'node:zlib';"],
      ['Bucket', "import { Bucket } from 'oss-stream';"],
      ['createUploadStream', "import { createUploadStream } from 'oss-stream';"],
      ['createAppendStream', "import { createAppendStream } from 'oss-stream';"],
      ['ResumableStore', "import { ResumableStore } from 'oss-stream';"],
      ['bucket', 'declare const bucket: Bucket;'],
      ['source', "declare const source: import('node:stream').Readable;"],
      ['sink', "declare const sink: import('node:stream').Writable;"],
      ['size', 'declare const size: number;'],
      ['store', 'declare const store: ResumableStore;'],
      ['onProgress', "declare const onProgress: import('oss-stream').ProgressCallback;"],
    ];
    const dir = join(ROOT, 'tmp', `readme-types-${process.pid}`);
    await mkdir(dir, { recursive: true });
    try {
      const files: string[] = [];
      for (const [i, code] of blocks.entries()) {
        const defines = (name: string) =>
          new RegExp(
            `(import[^;]*\\b${name}\\b[^;]*from|\\b(const|let|function|class)\\s+${name}\\b|\\{[^}]*\\b${name}\\b[^}]*\\}\\s*=)`,
          ).test(code);
        const needed = provided.filter(([name]) => new RegExp(`\\b${name}\\b`).test(code) && !defines(name));
        // Bucket is needed by the declarations of bucket/store even when the snippet does not name it.
        if (needed.some(([n]) => n === 'bucket') && !needed.some(([n]) => n === 'Bucket') && !defines('Bucket'))
          needed.unshift(provided.find(([n]) => n === 'Bucket')!);
        if (
          needed.some(([n]) => n === 'store') &&
          !needed.some(([n]) => n === 'ResumableStore') &&
          !defines('ResumableStore')
        )
          needed.unshift(provided.find(([n]) => n === 'ResumableStore')!);
        const file = join(dir, `block-${i}.ts`);
        await writeFile(file, `${needed.map(([, line]) => line).join('\n')}\n${code}\nexport {};\n`);
        files.push(file);
      }
      await writeFile(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          extends: '../../tsconfig.json',
          compilerOptions: { noEmit: true, rootDir: '../..', noUnusedLocals: false },
          include: ['*.ts'],
        }),
      );
      const { code, out } = await new Promise<{ code: number; out: string }>((resolve) =>
        execFile(
          process.execPath,
          [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')],
          { cwd: ROOT, timeout: 60_000 },
          (err, stdout, stderr) => resolve({ code: err === null ? 0 : 1, out: stdout + stderr }),
        ),
      );
      expect(code, out).to.equal(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
