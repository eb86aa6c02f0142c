import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CRC64_KERNEL_ENV, crc64Kernel } from '../../lib/core/crc64-kernel.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LIB = fileURLToPath(new URL('../../lib/core/crc64.ts', import.meta.url));

/** linux-x64 with PCLMULQDQ: where the default must be the native kernel. */
const CAPABLE =
  process.platform === 'linux' &&
  process.arch === 'x64' &&
  /^flags\s*:.*\bpclmulqdq\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));

/** In a fresh process: the kernel chosen, then the CRCs of a folded-size buffer and of the check string. */
function child(env: string | undefined, nodeFlags: string[] = []): { out: string[]; stderr: string } {
  // The last figure goes through Crc64.copy (the native kernel's fused copy, the others' copy then hash) and must
  // equal the one before it.
  const script = `import { Crc64, crc64, crc64Kernel } from ${JSON.stringify(LIB)};
    const buf = Uint8Array.from({ length: 204801 }, (_, i) => (i * 7 + 3) & 0xff);
    const copied = new Crc64().copy(buf, new Uint8Array(5000), 7, 3, 3 + 4096 + 13).digest();
    console.log(crc64Kernel(), crc64(buf), crc64('123456789'), crc64(buf.subarray(3, 3 + 4096 + 13)), copied);`;
  const childEnv = { ...process.env };
  delete childEnv[CRC64_KERNEL_ENV];
  if (env !== undefined) childEnv[CRC64_KERNEL_ENV] = env;
  const result = spawnSync(process.execPath, [...nodeFlags, '--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
    env: childEnv,
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(result.status, result.stderr).to.equal(0);
  return { out: result.stdout.trim().split(' '), stderr: result.stderr };
}

const VALUES = ['13774458494986373463', '11051210869376104954'];

describe('CRC-64 kernel selection', function () {
  this.timeout(120_000);

  it('this process runs the kernel its environment asks for', () => {
    const asked = process.env[CRC64_KERNEL_ENV];
    const expected = asked === 'wasm' || asked === 'js' ? asked : CAPABLE ? 'native' : 'wasm';
    expect(crc64Kernel()).to.equal(expected);
  });

  it('defaults to native where it can, and every choice gives the same CRCs', function () {
    const byDefault = child(undefined);
    expect(byDefault.out[0]).to.equal(CAPABLE ? 'native' : 'wasm');
    const slice = byDefault.out[3];
    expect(byDefault.out.slice(1, 3)).to.deep.equal(VALUES);
    expect(byDefault.out[4]).to.equal(slice);
    for (const [env, kernel] of [
      ['wasm', 'wasm'],
      ['js', 'js'],
      ['native', CAPABLE ? 'native' : 'wasm'],
      ['auto', CAPABLE ? 'native' : 'wasm'],
    ] as const) {
      const { out } = child(env);
      expect(out, `${CRC64_KERNEL_ENV}=${env}`).to.deep.equal([kernel, ...VALUES, slice, slice]);
    }
  });

  it('warns about an unknown value and keeps the default', () => {
    const { out, stderr } = child('sse');
    expect(out[0]).to.equal(CAPABLE ? 'native' : 'wasm');
    expect(stderr).to.match(/OSS_STREAM_CRC64="sse" is not one of auto, native, wasm, js/);
  });

  it('falls back to wasm when addons are refused (node --no-addons), and to JS without WebAssembly', () => {
    expect(child(undefined, ['--no-addons']).out.slice(0, 3)).to.deep.equal(['wasm', ...VALUES]);
    expect(child(undefined, ['--no-addons', '--jitless']).out.slice(0, 3)).to.deep.equal(['js', ...VALUES]);
    // The native kernel needs no WebAssembly.
    expect(child(undefined, ['--jitless']).out.slice(0, 3)).to.deep.equal([CAPABLE ? 'native' : 'js', ...VALUES]);
  });
});
