/**
 * CRC-64/XZ throughput: oss-stream's `crc64` (the default kernel of this machine, JS for ≤ 32 bytes) and each of its
 * kernels alone (native carry-less-multiply folding, WebAssembly slicing-by-16, JS byte table) against the native addon
 * `crc64-ecma182` (C slicing-by-8) and a naive byte-at-a-time table loop in JS, plus the cost of `crc64Combine`
 * against the naive way to combine (running the register over len2 zero bytes).
 *
 *   node --import tsx bench/crc64.bench.ts [--quick]
 *
 * Each cell is the median of several timed loops after a warm-up; every implementation is first checked to
 * agree with ours on the very buffers that are timed.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { crc64, crc64Combine, crc64Kernel } from '../lib/core/crc64.js';
import { loadNativeCrc64 } from '../lib/core/crc64-native.js';
import { JS_CRC64_KERNEL, type Crc64Kernel } from '../lib/core/crc64-table.js';
import { loadWasmCrc64 } from '../lib/core/crc64-wasm-kernel.js';
import { formatTable, type BenchTable } from './table.js';
import { noise } from '../spec/support/bytes.js';

const native = createRequire(import.meta.url)('crc64-ecma182') as { crc64(buf: Buffer): Buffer };

// ---- Naive baseline: one table lookup per byte, the register in 32-bit halves ----

const T_HI = new Int32Array(256);
const T_LO = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let hi = 0;
  let lo = n;
  for (let k = 0; k < 8; k++) {
    const mask = -(lo & 1);
    lo = ((lo >>> 1) | (hi << 31)) ^ (0xd7870f42 & mask);
    hi = (hi >>> 1) ^ (0xc96c5795 & mask);
  }
  T_HI[n] = hi;
  T_LO[n] = lo;
}

/** Register (hi, lo) after `data`, starting from register (hi, lo); no init/xorout. */
function naiveRegister(hi: number, lo: number, data: Uint8Array): [number, number] {
  for (let i = 0; i < data.length; i++) {
    const x = (lo ^ data[i]!) & 0xff;
    lo = ((lo >>> 8) | (hi << 24)) ^ T_LO[x]!;
    hi = (hi >>> 8) ^ T_HI[x]!;
  }
  return [hi, lo];
}

const toDecimal = ([hi, lo]: [number, number]): string => ((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)).toString();

function naiveCrc64(data: Uint8Array): string {
  const [hi, lo] = naiveRegister(-1, -1, data);
  return toDecimal([~hi, ~lo]);
}

/** Combine without the algebra: multiplying crc1 by x^(8·len2) is running the bare register over len2 zeros. */
function naiveCombine(crc1: string, crc2: string, zeros: Uint8Array): string {
  const c1 = BigInt(crc1);
  const [hi, lo] = naiveRegister(Number(c1 >> 32n) | 0, Number(c1 & 0xffffffffn) | 0, zeros);
  return (((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)) ^ BigInt(crc2)).toString();
}

const nativeCrc64 = (buf: Buffer): string => native.crc64(buf).readBigUInt64LE(0).toString();

// ---- Timing ----

interface Timing {
  warmupMs: number;
  sampleMs: number;
  samples: number;
}

/**
 * Median rate of each function in calls per millisecond. Samples are taken round-robin (a, b, c, a, b, c…) so a
 * neighbour stealing the CPU for a while hurts every column alike and the ratios stay meaningful.
 */
function callsPerMs(fns: (() => unknown)[], timing: Timing): number[] {
  const reps = fns.map((fn) => {
    const start = performance.now();
    let calls = 0;
    while (performance.now() - start < timing.warmupMs || calls < 2) {
      fn();
      calls++;
    }
    return Math.max(1, Math.round(timing.sampleMs / ((performance.now() - start) / calls)));
  });
  const rates: number[][] = fns.map(() => []);
  for (let s = 0; s < timing.samples; s++) {
    fns.forEach((fn, i) => {
      const t0 = performance.now();
      for (let r = 0; r < reps[i]!; r++) fn();
      rates[i]!.push(reps[i]! / (performance.now() - t0));
    });
  }
  return rates.map((r) => r.sort((a, b) => a - b)[r.length >> 1]!);
}

const mbps = (bytes: number, fns: (() => unknown)[], timing: Timing): number[] =>
  callsPerMs(fns, timing).map((rate) => Math.round((bytes * rate) / 1e3));
const nsPerOp = (fns: (() => unknown)[], timing: Timing): number[] =>
  callsPerMs(fns, timing).map((rate) => Math.round(1e6 / rate));

function agree(what: string, ours: string, theirs: string): void {
  if (ours !== theirs) throw new Error(`${what}: oss-stream says ${ours}, the baseline says ${theirs}`);
}

const SIZES: [string, number][] = [
  ['64 B', 64],
  ['1 KiB', 1024],
  ['4 KiB', 4096],
  ['64 KiB', 64 << 10],
  ['1 MiB', 1 << 20],
  ['8 MiB', 8 << 20],
];

/** A kernel alone, from a zero CRC, as a decimal string (no `crc64()` around it: no parse, no small-input path). */
function kernelCrc(kernel: Crc64Kernel, state: Int32Array, buf: Uint8Array): string {
  state[0] = 0;
  state[1] = 0;
  kernel.update(state, buf, 0, buf.length);
  return ((BigInt(state[1]! >>> 0) << 32n) | BigInt(state[0]! >>> 0)).toString();
}

/** Runs the CRC-64 benchmark; `quick` shortens every timed loop (for CI smoke runs). */
export async function run(opts: { quick?: boolean } = {}): Promise<BenchTable[]> {
  const timing: Timing =
    opts.quick === true ? { warmupMs: 20, sampleMs: 20, samples: 3 } : { warmupMs: 200, sampleMs: 100, samples: 9 };
  const ratio = (ours: number, theirs: number): string => `${(ours / theirs).toFixed(2)}x`;

  const kernels: Crc64Kernel[] = [loadNativeCrc64().kernel, loadWasmCrc64(), JS_CRC64_KERNEL].filter(
    (k): k is Crc64Kernel => k !== null,
  );
  const state = new Int32Array(2);
  const rates: number[][] = [];
  for (const [label, size] of SIZES) {
    const buf = noise(size);
    const ours = crc64(buf);
    agree(`${label} vs crc64-ecma182`, ours, nativeCrc64(buf));
    agree(`${label} vs naive`, ours, naiveCrc64(buf));
    for (const k of kernels) agree(`${label}, ${k.name} kernel`, kernelCrc(k, state, buf), ours);
    // One round-robin group per size, so a neighbour stealing the CPU hurts every row alike.
    const column = mbps(
      size,
      [
        () => crc64(buf),
        ...kernels.map((k) => () => k.update(state, buf, 0, size)),
        () => native.crc64(buf),
        () => naiveCrc64(buf),
      ],
      timing,
    );
    rates.push(column);
  }
  const rowOf = (i: number): number[] => rates.map((column) => column[i]!);
  const defaultRow = rowOf(0);
  const ecmaRow = rowOf(kernels.length + 1);
  const faster = defaultRow.every((rate, i) => rate > ecmaRow[i]!);
  const throughput: BenchTable = {
    title: `CRC-64/XZ (OSS x-oss-hash-crc64ecma) MB/s, one core, Node ${process.version}`,
    columns: ['implementation', ...SIZES.map(([label]) => label), 'faster than crc64-ecma182 at every size'],
    rows: [
      [`oss-stream crc64(), default kernel (${crc64Kernel()})`, ...defaultRow, faster ? 'yes' : 'NO'],
      ...kernels.map((k, i) => [`${k.name} kernel alone`, ...rowOf(i + 1), '']),
      ['crc64-ecma182 (C slicing-by-8, Nan addon)', ...ecmaRow, ''],
      ['naive JS table', ...rowOf(kernels.length + 2), ''],
      ['crc64() / crc64-ecma182', ...defaultRow.map((rate, i) => ratio(rate, ecmaRow[i]!)), ''],
    ],
    notes:
      'crc64() hashes inputs of 32 bytes or less with a JS loop and larger ones with the default kernel: native ' +
      '(carry-less-multiply folding in C, N-API, linux-x64 with PCLMULQDQ, on 256-bit registers where the CPU has ' +
      "VPCLMULQDQ and AVX2: the caller's bytes are hashed in place), " +
      'else wasm (slicing-by-16, the input copied into wasm memory in 64 KiB chunks), else js (byte table); ' +
      '`OSS_STREAM_CRC64=wasm` or `js` narrows the choice. A kernel alone is its update() call without crc64() ' +
      'around it (no argument checks, no decimal string). crc64-ecma182: C slicing-by-8 through a Nan addon.',
  };

  const rows: (string | number)[][] = [];
  // What the copy into the wasm kernel's memory costs on its own (its rows include it).
  const big = noise(8 << 20);
  const scratch = new Uint8Array(64 << 10);
  const [copyRate] = mbps(
    big.length,
    [
      () => {
        for (let at = 0; at < big.length; at += scratch.length) scratch.set(big.subarray(at, at + scratch.length));
      },
    ],
    timing,
  );
  rows.push(["8 MiB copy into 64 KiB scratch (part of the wasm kernel's cost)", 'MB/s', copyRate!, '']);

  const crcA = crc64('A');
  const crcB = crc64(big);
  const zeros = new Uint8Array(big.length);
  agree('combine vs naive', crc64Combine(crcA, crcB, big.length), naiveCombine(crcA, crcB, zeros));
  agree('combine vs hashing A‖B', crc64Combine(crcA, crcB, big.length), crc64(big, crcA));
  const [combineNs, naiveCombineNs] = nsPerOp(
    [() => crc64Combine(crcA, crcB, big.length), () => naiveCombine(crcA, crcB, zeros)],
    timing,
  );
  rows.push(['combine, len2 = 8 MiB', 'ns/op', combineNs!, naiveCombineNs!]);
  const [bigCombineNs] = nsPerOp([() => crc64Combine(crcA, crcB, 5 * 2 ** 30 + 12345)], timing);
  rows.push(['combine, len2 = 5 GiB + 12345', 'ns/op', bigCombineNs!, '']);

  return [
    throughput,
    {
      title: `CRC-64/XZ: combine and copy costs, one core, Node ${process.version}`,
      columns: ['case', 'unit', 'oss-stream', 'naive JS'],
      rows,
      notes:
        'crc64-ecma182 has no combine. The naive combine runs the register over len2 zero bytes, i.e. O(len2). The ' +
        'copy row is what the wasm kernel pays on top of hashing (the native kernel reads the bytes in place).',
    },
  ];
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const table of await run({ quick: process.argv.includes('--quick') })) {
    console.log(formatTable(table));
    if (table.notes !== undefined) console.log(`\n${table.notes}\n`);
  }
}
