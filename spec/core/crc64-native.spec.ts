import { expect } from 'chai';
import fc from 'fast-check';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { loadAddon } from '../../lib/core/native-addon.js';
import { NATIVE_CRC64_FILE, loadNativeCrc64, type Crc64Addon } from '../../lib/core/crc64-native.js';
import { JS_CRC64_KERNEL, type Crc64Kernel } from '../../lib/core/crc64-table.js';
import { loadWasmCrc64 } from '../../lib/core/crc64-wasm-kernel.js';
import { REPO_ROOT, buildNativeCrc64 } from '../../bench/tools/native-build.js';
import { renderCrc64Constants } from '../../bench/tools/crc64-fold-constants.js';
import { noise } from '../support/bytes.js';

/** Whether this machine should run the native kernel: linux-x64 with PCLMULQDQ, per the kernel's own /proc view. */
const CAPABLE =
  process.platform === 'linux' &&
  process.arch === 'x64' &&
  /^flags\s*:.*\bpclmulqdq\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));

/** Whether the addon should choose its 256-bit kernel here (VPCLMULQDQ and AVX2 in the kernel's /proc view). */
const WIDE = CAPABLE && /^flags\s*:(?=.*\bvpclmulqdq\b)(?=.*\bavx2\b)/m.test(readFileSync('/proc/cpuinfo', 'utf8'));

const load = loadNativeCrc64();
const wasm = loadWasmCrc64()!;
const addon = loadAddon<Crc64Addon>(NATIVE_CRC64_FILE).addon;

/** Every kernel the addon offers on this CPU, by instruction: the chosen one and each narrower one are all checked. */
const kernels: [string, Crc64Kernel][] = Object.entries(addon?.kernels ?? {}).map(([cpu, k]) => [
  cpu,
  { name: 'native', update: k.update as Crc64Kernel['update'], copy: k.copy as Crc64Kernel['copy'] },
]);

/** The decimal CRC of data[start, end) through `kernel`, continuing `previous`. */
function run(kernel: Crc64Kernel, data: Uint8Array, start = 0, end = data.length, previous = 0n): string {
  const state = new Int32Array([Number(previous & 0xffffffffn) | 0, Number(previous >> 32n) | 0]);
  kernel.update(state, data, start, end);
  return ((BigInt(state[1]! >>> 0) << 32n) | BigInt(state[0]! >>> 0)).toString();
}

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('native CRC-64 kernel (PCLMULQDQ)', () => {
  it('loads on linux-x64 with PCLMULQDQ, and says why not elsewhere', function () {
    if (!CAPABLE) {
      expect(load.kernel).to.equal(null);
      expect(load.reason).to.be.a('string');
      this.skip();
    }
    expect(load.reason, 'why the native kernel did not load').to.equal(undefined);
    expect(load.kernel!.name).to.equal('native');
  });

  it('chooses the 256-bit kernel where the CPU has VPCLMULQDQ and AVX2, and offers the 128-bit one too', function () {
    if (!CAPABLE) this.skip();
    expect(addon!.cpu).to.equal(WIDE ? 'vpclmulqdq' : 'pclmulqdq');
    expect(kernels.map(([cpu]) => cpu)).to.deep.equal(WIDE ? ['pclmulqdq', 'vpclmulqdq'] : ['pclmulqdq']);
    // The default entry points are the chosen kernel's.
    const data = noise(5000, 9);
    const chosen = kernels.find(([cpu]) => cpu === addon!.cpu)![1];
    expect(run(load.kernel!, data, 3)).to.equal(run(chosen, data, 3));
  });

  for (const [cpu, kernel] of kernels) {
    describe(`${cpu}: agrees with the wasm kernel`, function () {
      const native = kernel;
      before(function () {
        if (load.kernel === null) this.skip();
      });

      it('on the test vectors of the protocol reference (§5.4)', () => {
        const vectors: [Uint8Array, string][] = [
          [utf8(''), '0'],
          [utf8('a'), '3675645893302102789'],
          [utf8('abc'), '3231342946509354535'],
          [utf8('123456789'), '11051210869376104954'],
          [utf8('This is a test of the emergency broadcast system.'), '2871916124362751090'],
          [
            utf8('Even if I could be Shakespeare, I think I should still choose to be Faraday. - A. Huxley'),
            '8850241425668899847',
          ],
          [utf8("Anything you're good at contributes to happiness."), '108247482078852440'],
          [Uint8Array.from({ length: 256 }, (_, i) => i), '8232944260754389680'],
          [new Uint8Array(1 << 20), '6947770692288575170'],
          [new Uint8Array(1 << 20).fill(0x61), '6701094182323390671'],
          [Uint8Array.from({ length: 204801 }, (_, i) => (i * 7 + 3) & 0xff), '13774458494986373463'],
        ];
        for (const [data, expected] of vectors) {
          expect(run(native, data), `${data.length} bytes`).to.equal(expected);
          expect(run(wasm, data), `${data.length} bytes (wasm)`).to.equal(expected);
        }
        // Continuation: "6789" after the CRC of "12345".
        const first = BigInt(run(wasm, utf8('12345')));
        expect(run(native, utf8('6789'), 0, 4, first)).to.equal('11051210869376104954');
      });

      it('on every length 0..600 at every start alignment 0..15, from zero and from a random previous CRC', () => {
        const backing = noise(16 + 600 + 16, 1);
        const previous = 0xdeadbeefcafebaben;
        for (let length = 0; length <= 600; length++) {
          for (let offset = 0; offset < 16; offset++) {
            const at = `length ${length} offset ${offset}`;
            expect(run(native, backing, offset, offset + length), at).to.equal(
              run(wasm, backing, offset, offset + length),
            );
            // The same bytes as a view of their own: the addon adds the view's byteOffset itself.
            const view = backing.subarray(offset, offset + length);
            expect(run(native, view, 0, length, previous), at).to.equal(run(wasm, view, 0, length, previous));
          }
        }
      });

      it('on 1 MiB and 8 MiB + 13 at every start alignment 0..15, and on all-ones bytes', function () {
        this.timeout(60_000);
        const big = noise((8 << 20) + 13 + 16, 2);
        for (const length of [1 << 20, (8 << 20) + 13]) {
          for (let offset = 0; offset < 16; offset++) {
            expect(run(native, big, offset, offset + length), `${length} at ${offset}`).to.equal(
              run(wasm, big, offset, offset + length),
            );
          }
        }
        const ones = new Uint8Array(4099).fill(0xff);
        expect(run(native, ones, 0, ones.length, (1n << 64n) - 1n)).to.equal(
          run(wasm, ones, 0, ones.length, (1n << 64n) - 1n),
        );
      });

      it('on incremental updates split at random points', () => {
        fc.assert(
          fc.property(
            fc.uint8Array({ minLength: 0, maxLength: 5000 }),
            fc.array(fc.nat({ max: 700 }), { maxLength: 30 }),
            fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
            (all, sizes, previous) => {
              const state = new Int32Array([Number(previous & 0xffffffffn) | 0, Number(previous >> 32n) | 0]);
              let at = 0;
              for (const size of sizes) {
                const end = Math.min(all.length, at + size);
                native.update(state, all, at, end);
                at = end;
              }
              native.update(state, all, at, all.length);
              const incremental = ((BigInt(state[1]! >>> 0) << 32n) | BigInt(state[0]! >>> 0)).toString();
              expect(incremental).to.equal(run(wasm, all, 0, all.length, previous));
            },
          ),
          { numRuns: 300 },
        );
      });

      it('on views of every kind: Node pool slices, a SharedArrayBuffer, an empty and a detached view', () => {
        // Buffer.from of a short string is a view into Node's shared 8 KiB slab, at an arbitrary byteOffset.
        const pooled = Buffer.from('a pooled buffer that is long enough to be folded, with a tail of odd length!');
        expect(pooled.byteOffset === 0 && pooled.buffer.byteLength === pooled.length).to.equal(false);
        expect(run(native, pooled)).to.equal(run(JS_CRC64_KERNEL, pooled));
        const shared = new Uint8Array(new SharedArrayBuffer(333));
        shared.set(noise(333, 3));
        expect(run(native, shared, 5, 300)).to.equal(run(wasm, shared, 5, 300));
        expect(run(native, new Uint8Array(0), 0, 0, 42n)).to.equal('42');
        const buffer = new ArrayBuffer(64);
        const detached = new Uint8Array(buffer, 16);
        structuredClone(buffer, { transfer: [buffer] });
        expect(detached.length).to.equal(0);
        expect(run(native, detached, 0, 0, 7n)).to.equal('7');
      });

      it('checks its own arguments (TypeError, RangeError) and leaves the state alone when it throws', () => {
        const state = new Int32Array([123, 456]);
        const data = new Uint8Array(40);
        const update = native.update as (...args: unknown[]) => void;
        const cases: [unknown[], ErrorConstructor][] = [
          [[state, data, 0], TypeError],
          [[new Uint32Array(2), data, 0, 40], TypeError],
          [[new Int32Array(1), data, 0, 40], TypeError],
          [[state, new Int8Array(40), 0, 40], TypeError],
          [[state, new DataView(new ArrayBuffer(40)), 0, 40], TypeError],
          [[state, 'x'.repeat(40), 0, 40], TypeError],
          [[state, data, 0, 41], RangeError],
          [[state, data, -1, 10], RangeError],
          [[state, data, 10, 9], RangeError],
          [[state, data, 0.5, 10], RangeError],
          [[state, data, 0, Number.NaN], RangeError],
          [[state, data, 0, Number.POSITIVE_INFINITY], RangeError],
          [[state, data, '0', 10], RangeError],
          [[state, data, 0, 2 ** 64], RangeError],
        ];
        for (const [args, type] of cases) {
          expect(() => update(...args), String(args.slice(1).map(String))).to.throw(type);
          expect([...state]).to.deep.equal([123, 456]);
        }
      });

      describe('copy: the copy and the CRC in one pass', () => {
        /** Through the fused copy: the CRC, and the target after the copy. */
        function copied(
          source: Uint8Array,
          start: number,
          end: number,
          target: Uint8Array,
          at: number,
          previous = 0n,
        ): string {
          const state = new Int32Array([Number(previous & 0xffffffffn) | 0, Number(previous >> 32n) | 0]);
          native.copy!(state, source, start, end, target, at);
          return ((BigInt(state[1]! >>> 0) << 32n) | BigInt(state[0]! >>> 0)).toString();
        }

        it("gives update()'s CRC and exactly the bytes, every length 0..600, all source and target alignments", () => {
          const source = noise(16 + 600 + 16, 4);
          const previous = 0x0123456789abcdefn;
          for (let length = 0; length <= 600; length++) {
            for (let from = 0; from < 16; from += 3) {
              for (let to = 0; to < 16; to += 5) {
                const target = new Uint8Array(to + length + 16).fill(0xa5);
                const at = `length ${length} from ${from} to ${to}`;
                expect(copied(source, from, from + length, target, to, previous), at).to.equal(
                  run(wasm, source, from, from + length, previous),
                );
                expect(
                  Buffer.compare(target.subarray(to, to + length), source.subarray(from, from + length)),
                  at,
                ).to.equal(0);
                // Not a byte written outside the range.
                expect(
                  target.subarray(0, to).every((b) => b === 0xa5),
                  at,
                ).to.equal(true);
                expect(
                  target.subarray(to + length).every((b) => b === 0xa5),
                  at,
                ).to.equal(true);
              }
            }
          }
        });

        it('on 8 MiB + 13 at an odd offset, and on overlapping views of one buffer (as memmove)', function () {
          this.timeout(30_000);
          const big = noise((8 << 20) + 13 + 7, 5);
          const target = Buffer.allocUnsafe((8 << 20) + 13 + 3);
          expect(copied(big, 7, big.length, target, 3)).to.equal(run(wasm, big, 7, big.length));
          expect(target.subarray(3).equals(big.subarray(7))).to.equal(true);
          for (const [from, to] of [
            [0, 100],
            [100, 0],
            [10, 11],
          ] as const) {
            const bytes = noise(2000, 6);
            const expected = Buffer.from(bytes);
            expected.copyWithin(to, from, from + 1500);
            const crc = copied(bytes, from, from + 1500, bytes, to);
            expect(Buffer.from(bytes).equals(expected), `${from} -> ${to}`).to.equal(true);
            expect(crc, `${from} -> ${to}`).to.equal(run(wasm, expected, to, to + 1500));
          }
        });

        it('checks its arguments before touching a byte (TypeError, RangeError)', () => {
          const state = new Int32Array([123, 456]);
          const source = noise(40, 7);
          const target = new Uint8Array(40);
          const copy = native.copy as (...args: unknown[]) => void;
          const cases: [unknown[], ErrorConstructor][] = [
            [[state, source, 0, 40, target], TypeError],
            [[new Int32Array(1), source, 0, 40, target, 0], TypeError],
            [[state, new Int8Array(40), 0, 40, target, 0], TypeError],
            [[state, source, 0, 40, new Uint16Array(40), 0], TypeError],
            [[state, source, 0, 41, target, 0], RangeError],
            [[state, source, 5, 4, target, 0], RangeError],
            [[state, source, 0, 40, target, 1], RangeError],
            [[state, source, 0, 10, target, 31], RangeError],
            [[state, source, 0, 10, target, -1], RangeError],
            [[state, source, 0, 10, target, 0.5], RangeError],
            [[state, source, 0, 10, target, Number.NaN], RangeError],
          ];
          for (const [args, type] of cases) {
            expect(() => copy(...args), String(args.slice(2).map(String))).to.throw(type);
            expect([...state]).to.deep.equal([123, 456]);
            expect(target.every((b) => b === 0)).to.equal(true);
          }
        });
      });
    });
  }

  describe('as a module', function () {
    let native: Crc64Kernel;
    before(function () {
      if (load.kernel === null) this.skip();
      native = load.kernel;
    });

    it('loads in worker threads too, each its own instance, and a thread that ends takes nothing down', async () => {
      // Plain JS in the workers (they do not inherit the TypeScript loader): the addon itself, as the kernel uses it.
      const code = `const { parentPort, workerData } = require('node:worker_threads');
        const addon = { exports: {} };
        process.dlopen(addon, workerData.file);
        const state = new Int32Array(2);
        addon.exports.update(state, workerData.data, 5, workerData.data.length);
        parentPort.postMessage([addon.exports.cpu, state[0], state[1]]);`;
      const data = noise(100_000, 5);
      const state = new Int32Array(2);
      wasm.update(state, data, 5, data.length);
      const file = join(REPO_ROOT, NATIVE_CRC64_FILE);
      const results = await Promise.all(
        [1, 2, 3].map(
          () =>
            new Promise<unknown>((resolve, reject) => {
              const worker = new Worker(code, { eval: true, workerData: { file, data } });
              worker.once('message', (message) => {
                resolve(message);
                void worker.terminate();
              });
              worker.once('error', reject);
            }),
        ),
      );
      for (const result of results) expect(result).to.deep.equal([addon!.cpu, state[0], state[1]]);
      // This thread's instance still works after theirs are gone.
      expect(run(native, data, 5)).to.equal(run(wasm, data, 5));
    });

    it('loads again in the same process (a second copy of the package, ESM beside CJS)', () => {
      const again = loadNativeCrc64();
      expect(again.reason).to.equal(undefined);
      const data = noise(1000, 4);
      expect(run(again.kernel!, data)).to.equal(run(native, data));
    });
  });

  it('the committed header is what bench/tools/crc64-fold-constants.ts derives', () => {
    const committed = readFileSync(join(REPO_ROOT, 'native/crc64-constants.h'), 'utf8');
    expect(committed).to.equal(renderCrc64Constants());
  });

  it('the committed binary is exactly what `npm run build:native` builds from native/crc64.c', function () {
    this.timeout(60_000);
    if (spawnSync('gcc', ['--version']).status !== 0) this.skip();
    const dir = mkdtempSync(join(tmpdir(), 'crc64-native-'));
    try {
      const fresh = join(dir, 'crc64.node');
      buildNativeCrc64(fresh);
      const committed = readFileSync(join(REPO_ROOT, NATIVE_CRC64_FILE));
      const gcc = execFileSync('gcc', ['--version'], { encoding: 'utf8' }).split('\n')[0];
      const built = /GCC: \([^)]*\) [\w.]+/.exec(committed.toString('latin1'))?.[0];
      expect(
        readFileSync(fresh).equals(committed),
        `rebuild with npm run build:native (${gcc}; committed: ${built})`,
      ).to.equal(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
