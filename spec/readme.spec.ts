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
        const { code: exit, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
          execFile(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, timeout: 30_000 }, (err, out, errOut) =>
            resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout: out, stderr: errOut }),
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
});
