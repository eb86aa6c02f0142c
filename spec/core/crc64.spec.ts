import { expect } from 'chai';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { Crc64, Crc64Stream, crc64, crc64Combine, crc64Equal, crc64Kernel } from '../../lib/core/crc64.js';
import { OssArgumentError } from '../../lib/errors.js';
import { renderCrc64WasmModule } from '../../bench/tools/crc64-wasm-gen.js';
import { noise } from '../support/bytes.js';

// ---- Oracles, deliberately naive and independent of the implementation under test ----

const POLY = 0xc96c5795d7870f42n;
const MASK = 0xffffffffffffffffn;

/** Bit at a time, straight from the definition: reflected register, init and xorout all ones. */
function naiveCrc64(data: Uint8Array, previous = 0n): bigint {
  let reg = previous ^ MASK;
  for (const byte of data) {
    reg ^= BigInt(byte);
    for (let k = 0; k < 8; k++) reg = (reg & 1n) === 1n ? (reg >> 1n) ^ POLY : reg >> 1n;
  }
  return reg ^ MASK;
}

/**
 * Combine by the other classic method: GF(2) 64×64 matrices for "append one zero bit", squared repeatedly to
 * append 2, 4, 8… zero bits (the implementation multiplies polynomials modulo P instead).
 */
function matrixCombine(crc1: bigint, crc2: bigint, len2: bigint): bigint {
  const times = (mat: bigint[], vec: bigint): bigint => {
    let sum = 0n;
    for (let i = 0; vec !== 0n; i++, vec >>= 1n) if ((vec & 1n) === 1n) sum ^= mat[i]!;
    return sum;
  };
  const square = (mat: bigint[]): bigint[] => mat.map((row) => times(mat, row));
  if (len2 === 0n) return crc1;
  // One zero bit: bit 0 of the register feeds the polynomial, every other bit n moves to n-1.
  let odd = [POLY, ...Array.from({ length: 63 }, (_, n) => 1n << BigInt(n))];
  let even = square(odd); // two zero bits
  odd = square(even); // four zero bits
  let crc = crc1;
  let n = len2;
  for (;;) {
    even = square(odd); // first pass: one zero byte
    if ((n & 1n) === 1n) crc = times(even, crc);
    n >>= 1n;
    if (n === 0n) break;
    odd = square(even);
    if ((n & 1n) === 1n) crc = times(odd, crc);
    n >>= 1n;
    if (n === 0n) break;
  }
  return crc ^ crc2;
}

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const concat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(parts));
const hex = (decimal: string): string => BigInt(decimal).toString(16).padStart(16, '0');

const native = createRequire(import.meta.url)('crc64-ecma182') as { crc64(buf: Buffer): Buffer };
const nativeCrc = (data: Uint8Array): string =>
  native
    .crc64(Buffer.from(data.buffer, data.byteOffset, data.byteLength))
    .readBigUInt64LE(0)
    .toString();

// Run once per kernel (OSS_STREAM_CRC64=wasm, =js): the title says which one ran.
describe(`core/crc64 (${crc64Kernel()} kernel)`, () => {
  describe('test vectors (oss-protocol §5.4)', () => {
    const strings: [string, string, string][] = [
      ['', '0000000000000000', '0'],
      ['a', '330284772e652b05', '3675645893302102789'],
      ['abc', '2cd8094a1a277627', '3231342946509354535'],
      ['123456789', '995dc9bbdf1939fa', '11051210869376104954'],
      ['This is a test of the emergency broadcast system.', '27db187fc15bbc72', '2871916124362751090'],
      [
        'Even if I could be Shakespeare, I think I should still choose to be Faraday. - A. Huxley',
        '7ad25fafa1710407',
        '8850241425668899847',
      ],
      ["Anything you're good at contributes to happiness.", '01809282ed23f558', '108247482078852440'],
    ];
    for (const [input, hexValue, decimal] of strings) {
      it(`${JSON.stringify(input.slice(0, 24))} → ${decimal}`, () => {
        expect(crc64(input)).to.equal(decimal);
        expect(crc64(utf8(input))).to.equal(decimal);
        expect(hex(decimal)).to.equal(hexValue);
        expect(naiveCrc64(utf8(input)).toString()).to.equal(decimal);
      });
    }

    it('bytes 0x00..0xFF', () => {
      const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
      expect(crc64(bytes)).to.equal('8232944260754389680');
      expect(hex('8232944260754389680')).to.equal('72414b2f65db3ab0');
    });

    it('1 MiB of 0x00 and of 0x61', () => {
      expect(crc64(new Uint8Array(1 << 20))).to.equal('6947770692288575170');
      expect(crc64(new Uint8Array(1 << 20).fill(0x61))).to.equal('6701094182323390671');
      expect(hex('6947770692288575170')).to.equal('606b70a23ebaf6c2');
      expect(hex('6701094182323390671')).to.equal('5cff11a7a7d288cf');
    });

    it('buf[i] = (i*7+3) & 0xFF, 204801 bytes, whole and as parts 102400+102400+1', () => {
      const buf = Uint8Array.from({ length: 204801 }, (_, i) => (i * 7 + 3) & 0xff);
      expect(crc64(buf)).to.equal('13774458494986373463');
      expect(hex('13774458494986373463')).to.equal('bf28b5055f064957');
      const p1 = crc64(buf.subarray(0, 102400));
      const p2 = crc64(buf.subarray(102400, 204800));
      const p3 = crc64(buf.subarray(204800));
      expect(crc64Combine(crc64Combine(p1, p2, 102400), p3, 1)).to.equal('13774458494986373463');
      expect(crc64Combine('0', crc64Combine(p1, crc64Combine(p2, p3, 1), 102401), 204801)).to.equal(
        '13774458494986373463',
      );
    });

    it('combine and continuation checks for "12345" + "6789"', () => {
      expect(crc64Combine(crc64('12345'), crc64('6789'), 4)).to.equal('11051210869376104954');
      expect(crc64('6789', crc64('12345'))).to.equal('11051210869376104954');
    });
  });

  describe('against the bitwise oracle', () => {
    it('every length 0..70, at every alignment 0..7, one-shot and incremental', () => {
      const backing = noise(80, 0x9e3779b9);
      for (let length = 0; length <= 70; length++) {
        for (let offset = 0; offset < 8 && offset + length <= backing.length; offset++) {
          const data = backing.subarray(offset, offset + length);
          const expected = naiveCrc64(data).toString();
          expect(crc64(data), `length ${length} offset ${offset}`).to.equal(expected);
          expect(new Crc64().update(backing, offset, offset + length).digest()).to.equal(expected);
        }
      }
    });

    it('every length 0..70 of 0xFF bytes and with a non-zero previous', () => {
      const ones = new Uint8Array(70).fill(0xff);
      const previous = 0x0123456789abcdefn;
      for (let length = 0; length <= 70; length++) {
        const data = ones.subarray(0, length);
        expect(crc64(data)).to.equal(naiveCrc64(data).toString());
        expect(crc64(data, previous.toString())).to.equal(naiveCrc64(data, previous).toString());
      }
    });

    it("lengths around the kernel's 16/32-byte steps and 64 KiB chunks agree with crc64-ecma182", () => {
      const data = noise((1 << 17) + 100, 12345);
      for (const length of [127, 128, 129, 4095, 4096, 4097, 65535, 65536, 65537, 65536 * 2 + 47]) {
        for (const offset of [0, 3]) {
          const slice = data.subarray(offset, offset + length);
          expect(crc64(slice), `length ${length} offset ${offset}`).to.equal(nativeCrc(slice));
        }
      }
    });
  });

  describe('properties', () => {
    it('combine(crc(a), crc(b), len(b)) = crc(a‖b) on random splits', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(), (all, cut) => {
          const at = cut % (all.length + 1);
          const a = all.subarray(0, at);
          const b = all.subarray(at);
          expect(crc64Combine(crc64(a), crc64(b), b.length)).to.equal(crc64(all));
        }),
        { numRuns: 300 },
      );
    });

    it('incremental updates with any chunking equal one-shot', () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ maxLength: 3000 }),
          fc.array(fc.nat({ max: 200 }), { maxLength: 40 }),
          (all, sizes) => {
            const byRange = new Crc64();
            const byView = new Crc64();
            let at = 0;
            for (const size of sizes) {
              const end = Math.min(all.length, at + size);
              byRange.update(all, at, end);
              byView.update(all.subarray(at, end));
              at = end;
            }
            byRange.update(all, at);
            byView.update(all.subarray(at));
            const expected = crc64(all);
            expect(byRange.digest()).to.equal(expected);
            expect(byView.digest()).to.equal(expected);
            expect(byRange.length).to.equal(all.length);
          },
        ),
        { numRuns: 200 },
      );
    });

    it('combine agrees with the matrix-squaring oracle on random CRCs and lengths up to 2^53', () => {
      fc.assert(
        fc.property(
          fc.bigInt({ min: 0n, max: MASK }),
          fc.bigInt({ min: 0n, max: MASK }),
          fc.maxSafeNat(),
          (c1, c2, len2) => {
            expect(crc64Combine(c1.toString(), c2.toString(), len2)).to.equal(
              matrixCombine(c1, c2, BigInt(len2)).toString(),
            );
          },
        ),
        { numRuns: 30 },
      );
    });
  });

  describe('crc64Combine', () => {
    it('combine(x, y, 0) = x and combine(0, y, n) = y', () => {
      expect(crc64Combine('11051210869376104954', '123', 0)).to.equal('11051210869376104954');
      expect(crc64Combine('0', '11051210869376104954', 9)).to.equal('11051210869376104954');
      expect(crc64Combine('0', '0', 5 * 2 ** 30)).to.equal('0');
    });

    it('the matrix oracle itself agrees with real hashing', () => {
      const a = noise(1000, 1);
      const b = noise(777, 2);
      expect(matrixCombine(naiveCrc64(a), naiveCrc64(b), 777n)).to.equal(naiveCrc64(concat(a, b)));
    });

    it('len2 past 2^32 against the matrix oracle (5 GiB parts and beyond)', () => {
      const c1 = 0xdeadbeefcafebaben;
      const c2 = 0x0123456789abcdefn;
      for (const len2 of [
        2 ** 32 - 1,
        2 ** 32,
        2 ** 32 + 1,
        5 * 2 ** 30,
        5 * 2 ** 30 + 12345,
        2 ** 40 + 7,
        2 ** 53 - 1,
      ]) {
        expect(crc64Combine(c1.toString(), c2.toString(), len2), `len2 ${len2}`).to.equal(
          matrixCombine(c1, c2, BigInt(len2)).toString(),
        );
      }
    });

    it('len2 past 2^32 against really hashing 4 GiB + 4097 bytes', function () {
      this.timeout(120_000);
      // Z = an 8 MiB block 512 times (2^32 bytes) then a 4097-byte tail. crc(A‖Z) comes from hashing every byte;
      // crc(Z) is assembled from combines of 8 MiB and smaller lengths (checked above), so the one big combine is
      // the only thing exercised past 2^32.
      const a = utf8('prefix A');
      const block = noise(8 << 20, 7);
      const tail = noise(4097, 8);
      const blockCrc = crc64(block);
      const real = new Crc64(crc64(a));
      let zCrc = '0';
      for (let i = 0; i < 512; i++) {
        real.update(block);
        zCrc = crc64Combine(zCrc, blockCrc, block.length);
      }
      real.update(tail);
      zCrc = crc64Combine(zCrc, crc64(tail), tail.length);
      expect(real.length).to.equal(2 ** 32 + 4097);
      expect(crc64Combine(crc64(a), zCrc, 2 ** 32 + 4097)).to.equal(real.digest());
    });

    it('rejects bad arguments before computing', () => {
      for (const len2 of [-1, 1.5, Number.NaN, 2 ** 53, Number.POSITIVE_INFINITY]) {
        expect(() => crc64Combine('1', '2', len2), String(len2)).to.throw(OssArgumentError, /len2/);
      }
      expect(() => crc64Combine('x', '2', 1)).to.throw(OssArgumentError, /crc1/);
      expect(() => crc64Combine('1', '18446744073709551616', 1)).to.throw(OssArgumentError, /crc2/);
    });
  });

  describe('crc64 and previous', () => {
    it('continues from the CRC of the preceding bytes', () => {
      const a = noise(5000, 3);
      const b = noise(70, 4);
      const whole = crc64(concat(a, b));
      expect(crc64(b, crc64(a))).to.equal(whole);
      expect(crc64(b, BigInt(crc64(a)))).to.equal(whole);
      expect(crc64(b, `000${crc64(a)}`)).to.equal(whole);
      expect(new Crc64(crc64(a)).update(b).digest()).to.equal(whole);
      expect(new Crc64(BigInt(crc64(a))).update(b).value()).to.equal(BigInt(whole));
      expect(crc64(new Uint8Array(0), '42')).to.equal('42');
    });

    it('reads and writes every uint64 exactly (decimal parse and print avoid BigInt)', () => {
      const edges = [
        0n,
        1n,
        2n ** 32n - 1n,
        2n ** 32n,
        2n ** 53n - 1n,
        2n ** 53n + 1n,
        10n ** 15n - 1n,
        10n ** 15n,
        10n ** 15n + 1n,
        10n ** 19n,
        2n ** 63n,
        MASK - 1n,
        MASK,
      ];
      const check = (value: bigint): void => {
        const text = value.toString();
        expect(crc64(new Uint8Array(0), text), text).to.equal(text);
        expect(crc64(new Uint8Array(0), `00${text}`)).to.equal(text);
        expect(new Crc64(text).value()).to.equal(value);
        expect(crc64Equal(text, `0${text}`)).to.equal(true);
      };
      edges.forEach(check);
      fc.assert(
        fc.property(fc.bigInt({ min: 0n, max: MASK }), (value) => check(value)),
        { numRuns: 2000 },
      );
      for (const tooBig of [MASK + 1n, 99999999999999999999n, 10n ** 20n]) {
        expect(() => crc64('', tooBig.toString())).to.throw(OssArgumentError);
      }
    });

    it('hashes strings as UTF-8', () => {
      expect(crc64('héllo ✓ 日本')).to.equal(naiveCrc64(Buffer.from('héllo ✓ 日本', 'utf8')).toString());
    });

    it('rejects a previous that is not a uint64 decimal', () => {
      for (const bad of ['', 'abc', '-1', '1.5', '18446744073709551616', ' 1']) {
        expect(() => crc64('x', bad), JSON.stringify(bad)).to.throw(OssArgumentError, /previous/);
        expect(() => new Crc64(bad)).to.throw(OssArgumentError);
      }
      expect(() => new Crc64(-1n)).to.throw(OssArgumentError);
      expect(crc64('', '18446744073709551615')).to.equal('18446744073709551615');
    });
  });

  describe('Crc64', () => {
    it('hashes a subrange without touching the rest', () => {
      const buf = noise(1000, 5);
      const copy = Uint8Array.from(buf);
      const crc = new Crc64().update(buf, 100, 900);
      expect(crc.digest()).to.equal(crc64(buf.subarray(100, 900)));
      expect(crc.length).to.equal(800);
      expect(buf).to.deep.equal(copy);
      expect(new Crc64().update(buf, 7).digest()).to.equal(crc64(buf.subarray(7)));
      expect(new Crc64().update(buf, 5, 5).digest()).to.equal('0');
    });

    it('rejects ranges outside the buffer', () => {
      const buf = new Uint8Array(10);
      for (const [start, end] of [
        [-1, 5],
        [6, 5],
        [0, 11],
        [1.5, 3],
        [0, Number.NaN],
      ] as const) {
        expect(() => new Crc64().update(buf, start, end), `${start},${end}`).to.throw(OssArgumentError);
      }
      expect(() => new Crc64().update('abc' as unknown as Uint8Array)).to.throw(OssArgumentError);
    });

    it('copy lands the bytes where asked and hashes exactly them, as set + update would', () => {
      const source = noise(70_000, 8);
      for (const [start, end, at] of [
        [0, 70_000, 0],
        [3, 69_001, 11],
        [100, 120, 7],
        [5, 5, 0],
      ] as const) {
        const target = Buffer.alloc(70_100, 0x5a);
        const crc = new Crc64('12345').copy(source, target, at, start, end);
        expect(crc.digest()).to.equal(naiveCrc64(source.subarray(start, end), 12345n).toString());
        expect(crc.length).to.equal(end - start);
        expect(target.subarray(at, at + end - start).equals(source.subarray(start, end))).to.equal(true);
        expect(target.subarray(0, at).every((b) => b === 0x5a)).to.equal(true);
        expect(target.subarray(at + end - start).every((b) => b === 0x5a)).to.equal(true);
      }
      // Defaults: the whole source.
      const whole = Buffer.alloc(10);
      expect(new Crc64().copy(utf8('123456789'), whole, 1).digest()).to.equal('11051210869376104954');
      expect(whole.subarray(1).toString()).to.equal('123456789');
    });

    it('copy refuses a range or a target that does not fit, before writing a byte', () => {
      const source = noise(100, 9);
      const target = new Uint8Array(50);
      for (const [start, end, at] of [
        [0, 51, 0],
        [0, 50, 1],
        [10, 20, 41],
        [0, 10, -1],
        [0, 10, 0.5],
        [20, 10, 0],
        [0, 101, 0],
      ] as const) {
        const crc = new Crc64();
        expect(() => crc.copy(source, target, at, start, end), `${start},${end} at ${at}`).to.throw(OssArgumentError);
        expect(crc.length).to.equal(0);
        expect(target.every((b) => b === 0)).to.equal(true);
      }
      expect(() => new Crc64().copy(source, 'x' as unknown as Uint8Array, 0)).to.throw(OssArgumentError);
    });

    it('digest does not reset; value is the same number; reset returns to previous', () => {
      const crc = new Crc64('12345');
      crc.update(utf8('abc'));
      const first = crc.digest();
      expect(crc.digest()).to.equal(first);
      expect(crc.value()).to.equal(BigInt(first));
      expect(first).to.equal(naiveCrc64(utf8('abc'), 12345n).toString());
      crc.reset();
      expect(crc.length).to.equal(0);
      expect(crc.digest()).to.equal('12345');
      expect(crc.update(utf8('abc')).digest()).to.equal(first);
    });
  });

  describe('Crc64Stream', () => {
    it('passes every byte through unchanged and hashes them, in a pipeline', async () => {
      const chunks = [noise(10, 1), noise(70_000, 2), new Uint8Array(0), noise(33, 3), noise(200_000, 4)].map((c) =>
        Buffer.from(c),
      );
      const received: Buffer[] = [];
      const hasher = new Crc64Stream();
      await pipeline(
        Readable.from(chunks),
        hasher,
        new Writable({
          write(chunk: Buffer, _encoding, callback) {
            received.push(chunk);
            callback();
          },
        }),
      );
      const all = Buffer.concat(chunks);
      expect(Buffer.concat(received).equals(all)).to.equal(true);
      expect(hasher.bytes).to.equal(all.length);
      expect(hasher.digest()).to.equal(crc64(all));
      expect(hasher.digest()).to.equal(nativeCrc(all));
    });

    it('continues a previous CRC and hashes written strings as UTF-8', async () => {
      const hasher = new Crc64Stream({ previous: crc64('12345') });
      hasher.resume();
      hasher.write('67');
      hasher.end('89');
      await new Promise((resolve) => hasher.on('end', resolve));
      expect(hasher.digest()).to.equal('11051210869376104954');
      expect(hasher.bytes).to.equal(4);
    });
  });

  describe('crc64Equal', () => {
    it('compares as uint64', () => {
      expect(crc64Equal('11051210869376104954', '11051210869376104954')).to.equal(true);
      expect(crc64Equal('0042', '42')).to.equal(true);
      expect(crc64Equal('0', '00000')).to.equal(true);
      expect(crc64Equal('42', '43')).to.equal(false);
      expect(crc64Equal('18446744073709551615', '18446744073709551615')).to.equal(true);
      // Differ only in the high 32 bits.
      expect(crc64Equal(String(2n ** 32n + 1n), '1')).to.equal(false);
    });

    it('is false for anything that is not a uint64 decimal', () => {
      expect(crc64Equal('abc', 'abc')).to.equal(false);
      expect(crc64Equal('', '')).to.equal(false);
      expect(crc64Equal('18446744073709551616', '0')).to.equal(false);
      expect(crc64Equal('-0', '0')).to.equal(false);
    });
  });

  it('gives the same answers without WebAssembly (node --jitless, native kernel ruled out: the JS loop)', () => {
    const lib = fileURLToPath(new URL('../../lib/core/crc64.ts', import.meta.url));
    const script = `import { crc64, crc64Kernel } from ${JSON.stringify(lib)};
      const buf = Uint8Array.from({ length: 204801 }, (_, i) => (i * 7 + 3) & 0xff);
      console.log(typeof WebAssembly, crc64Kernel(), crc64(buf), crc64('123456789'));`;
    const child = spawnSync(process.execPath, ['--jitless', '--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      env: { ...process.env, OSS_STREAM_CRC64: 'wasm' },
      encoding: 'utf8',
    });
    expect(child.stdout.trim()).to.equal('undefined js 13774458494986373463 11051210869376104954');
  });

  it('the embedded wasm kernel is exactly what bench/tools/crc64-wasm-gen.ts generates', () => {
    const committed = readFileSync(new URL('../../lib/core/crc64-wasm.ts', import.meta.url), 'utf8');
    expect(committed).to.equal(renderCrc64WasmModule());
  });
});
