/**
 * Hand-assembles the WebAssembly kernel behind `lib/core/crc64.ts` and writes it, base64-encoded, to
 * `lib/core/crc64-wasm.ts`. Nothing is built at install time: run this only after changing the kernel,
 *
 *   node --import tsx bench/tools/crc64-wasm-gen.ts
 *
 * and commit the regenerated file. `spec/core/crc64.spec.ts` checks that the committed bytes equal this output.
 *
 * Why hand-assembled: the project takes no wasm toolchain dependency, and the kernel is one small loop.
 *
 * The module exports its memory `m` and one function `u(ptr: i32, len: i32)`. Layout of that memory:
 *
 *   [0, 8)                          the running CRC, in result form (already xor-ed out), little-endian u64
 *   [TABLE_BASE, +slices*2 KiB)     slicing tables T0..T(slices-1), 256 little-endian u64 each, filled by JS
 *   [SCRATCH_BASE, end of memory)   where JS copies the caller's bytes before calling `u`
 *
 * `u` folds `len` bytes at `ptr` into the CRC at offset 0. Tk[n] is the CRC register after byte n followed by k
 * zero bytes, so one slice of S bytes is S independent table loads xor-ed together.
 *
 * Tried and dropped (measured on the dev machine, AMD EPYC Zen 4, Node 20): slicing-by-8 (~1.4x slower); loading
 * the crc-independent bytes with i32.load8_u; byte-then-scale index extraction; two interleaved independent lanes
 * combined afterwards (no faster: the loop is bound by instruction throughput, not by the CRC dependency chain).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Offset of T0 in the kernel's memory; 64 keeps every table on its own cache-line boundary. */
export const TABLE_BASE = 64;
/** Offset of the scratch area the caller's bytes are copied into. */
export const SCRATCH_BASE = 65536;

const DEFAULT_SLICES = 16;

/** Knobs of the generated kernel (the defaults are what `lib/core/crc64-wasm.ts` ships). */
export interface Crc64WasmOptions {
  /** Bytes folded per table step: 8 or 16 (16 measured ~1.4x faster than 8 on the dev machine). */
  slices?: 8 | 16;
  /** Slices per iteration of the main loop (2 measured a few % faster than 1; 4 no better than 2). */
  unroll?: number;
  /** Size of the scratch area in 64 KiB pages (JS copies this much per call; 32–64 KiB measured best). */
  scratchPages?: number;
}

// Opcodes used below (WebAssembly core spec 1.0).
const OP = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  i32Load: 0x28,
  i64Load: 0x29,
  i32Load8U: 0x2d,
  i64Store: 0x37,
  i32Const: 0x41,
  i64Const: 0x42,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32And: 0x71,
  i32Xor: 0x73,
  i32Shl: 0x74,
  i32ShrU: 0x76,
  i64Xor: 0x85,
  i64ShrU: 0x88,
  i32WrapI64: 0xa7,
} as const;
const VOID = 0x40;
const I32 = 0x7f;
const I64 = 0x7e;

function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value;
  do {
    let byte = v & 0x7f;
    v = Math.floor(v / 128);
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function name(text: string): number[] {
  const bytes = [...Buffer.from(text, 'utf8')];
  return [...uleb(bytes.length), ...bytes];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

// Locals of `u`: two params, then the declared ones.
const P = 0; // ptr, advanced as bytes are consumed
const N = 1; // len
const CRC = 2; // i64 register (inverted form while looping)
const END = 3; // i32 end pointer of the current loop
const W0 = 4; // W0..W3: the 16 input bytes of one iteration as i32 words, the first two already xor-ed with CRC

/** Code that pushes Tk[(local >>> shift) & 0xff] (an i64). */
function tableLoad(table: number, local: number, shift: number): number[] {
  // The byte is extracted already scaled by 8: (x << 3) & 0x7f8, (x >>> 5) & 0x7f8, … Extracting it first and
  // shifting last, hoping V8 folds the shift into a scaled address, measured slower.
  const extract = shift === 0 ? [OP.i32Const, ...sleb(3), OP.i32Shl] : [OP.i32Const, ...sleb(shift - 3), OP.i32ShrU];
  return [
    OP.localGet,
    local,
    ...extract,
    OP.i32Const,
    ...sleb(0x7f8),
    OP.i32And,
    OP.i64Load,
    3,
    ...uleb(TABLE_BASE + table * 2048),
  ];
}

/** Xor of the given i64-producing snippets as a balanced tree: a linear chain would serialize 15 xors per iteration. */
function xorTree(terms: number[][]): number[] {
  if (terms.length === 1) return terms[0]!;
  const half = terms.length >> 1;
  return [...xorTree(terms.slice(0, half)), ...xorTree(terms.slice(half)), OP.i64Xor];
}

/** Code for one slice at P: CRC = fold of `slices` bytes; leaves P unchanged. */
function sliceCode(slices: 8 | 16, offset: number): number[] {
  const words = slices / 4;
  const code: number[] = [];
  for (let w = 0; w < words; w++) {
    code.push(OP.localGet, P, OP.i32Load, 2, ...uleb(offset + w * 4));
    if (w < 2) {
      // The register overlaps the first 8 bytes of the slice.
      code.push(OP.localGet, CRC);
      if (w === 1) code.push(OP.i64Const, 32, OP.i64ShrU);
      code.push(OP.i32WrapI64, OP.i32Xor);
    }
    code.push(OP.localSet, W0 + w);
  }
  // Byte b of word w is input byte 4w+b, which has (slices-1) - (4w+b) bytes after it in the slice. Loading the
  // crc-independent bytes with i32.load8_u instead of extracting them from words measured no faster.
  const terms: number[][] = [];
  for (let w = 0; w < words; w++) {
    for (let b = 0; b < 4; b++) terms.push(tableLoad(slices - 1 - (w * 4 + b), W0 + w, b * 8));
  }
  code.push(...xorTree(terms), OP.localSet, CRC);
  return code;
}

/** `end = P + (N & -step); N &= step - 1; while (P < end) { body; P += step }`: each loop leaves the rest to the next. */
function loopCode(step: number, body: number[]): number[] {
  return [
    OP.localGet,
    P,
    OP.localGet,
    N,
    OP.i32Const,
    ...sleb(-step),
    OP.i32And,
    OP.i32Add,
    OP.localSet,
    END,
    OP.localGet,
    N,
    OP.i32Const,
    ...sleb(step - 1),
    OP.i32And,
    OP.localSet,
    N,
    OP.block,
    VOID,
    OP.loop,
    VOID,
    OP.localGet,
    P,
    OP.localGet,
    END,
    OP.i32GeU,
    OP.brIf,
    1,
    ...body,
    OP.localGet,
    P,
    OP.i32Const,
    ...sleb(step),
    OP.i32Add,
    OP.localSet,
    P,
    OP.br,
    0,
    OP.end,
    OP.end,
  ];
}

function kernelBody(slices: 8 | 16, unroll: number): number[] {
  const words = slices / 4;
  const code: number[] = [];
  // crc = ~mem64[0]
  code.push(OP.i32Const, 0, OP.i64Load, 3, 0, OP.i64Const, ...sleb(-1), OP.i64Xor, OP.localSet, CRC);
  if (unroll > 1) {
    const body: number[] = [];
    for (let k = 0; k < unroll; k++) body.push(...sliceCode(slices, k * slices));
    code.push(...loopCode(slices * unroll, body));
  }
  code.push(...loopCode(slices, sliceCode(slices, 0)));
  // crc = T0[(crc ^ byte) & 0xff] ^ (crc >>> 8)
  code.push(
    ...loopCode(1, [
      OP.localGet,
      CRC,
      OP.i32WrapI64,
      OP.localGet,
      P,
      OP.i32Load8U,
      0,
      0,
      OP.i32Xor,
      OP.localSet,
      W0,
      ...tableLoad(0, W0, 0),
      OP.localGet,
      CRC,
      OP.i64Const,
      8,
      OP.i64ShrU,
      OP.i64Xor,
      OP.localSet,
      CRC,
    ]),
  );
  // mem64[0] = ~crc
  code.push(OP.i32Const, 0, OP.localGet, CRC, OP.i64Const, ...sleb(-1), OP.i64Xor, OP.i64Store, 3, 0);
  code.push(OP.end);
  const locals = vec([
    [1, I64],
    [1 + words, I32],
  ]);
  const body = [...locals, ...code];
  return [...uleb(body.length), ...body];
}

/** Returns the kernel module's bytes. Deterministic: same options, same bytes. */
export function buildCrc64Wasm(options: Crc64WasmOptions = {}): Uint8Array {
  const slices = options.slices ?? DEFAULT_SLICES;
  const scratchPages = options.scratchPages ?? 1;
  const unroll = options.unroll ?? 2;
  if (TABLE_BASE + slices * 2048 > SCRATCH_BASE) throw new Error('tables overlap the scratch area');
  const pages = SCRATCH_BASE / 65536 + scratchPages;
  const bytes = [
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec([[0x60, 2, I32, I32, 0]])), // type 0: (i32, i32) -> ()
    ...section(3, vec([[0]])), // func 0 has type 0
    ...section(5, vec([[0x01, ...uleb(pages), ...uleb(pages)]])), // fixed size: JS views never detach
    ...section(
      7,
      vec([
        [...name('m'), 0x02, 0],
        [...name('u'), 0x00, 0],
      ]),
    ),
    ...section(10, vec([kernelBody(slices, unroll)])),
  ];
  return Uint8Array.from(bytes);
}

/** Source text of `lib/core/crc64-wasm.ts` for the kernel built with `options`. */
export function renderCrc64WasmModule(options: Crc64WasmOptions = {}): string {
  const slices = options.slices ?? DEFAULT_SLICES;
  const bytes = buildCrc64Wasm(options);
  const b64 = Buffer.from(bytes).toString('base64');
  const lines = b64.match(/.{1,100}/g) ?? [];
  return [
    '// Generated by bench/tools/crc64-wasm-gen.ts: do not edit. Regenerate with',
    '//   node --import tsx bench/tools/crc64-wasm-gen.ts',
    '',
    '/**',
    ` * The CRC-64/XZ slicing-by-${slices} WebAssembly kernel (base64), see bench/tools/crc64-wasm-gen.ts for its layout:`,
    ` * memory \`m\` (u64 CRC at 0, tables at ${TABLE_BASE}, scratch from ${SCRATCH_BASE} to the end), \`u(ptr, len)\`.`,
    ' */',
    'export const CRC64_WASM_BASE64 =',
    lines.map((line) => `  '${line}'`).join(' +\n') + ';',
    '',
    `/** Number of slicing tables T0..T(n-1) the kernel reads (2 KiB each, filled by the loader). */`,
    `export const CRC64_WASM_SLICES = ${slices};`,
    '',
    `/** Offset of the slicing tables in the kernel's memory. */`,
    `export const CRC64_WASM_TABLE_BASE = ${TABLE_BASE};`,
    '',
    `/** Offset of the scratch area in the kernel's memory; it runs to the end of the memory. */`,
    `export const CRC64_WASM_SCRATCH_BASE = ${SCRATCH_BASE};`,
    '',
  ].join('\n');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const target = fileURLToPath(new URL('../../lib/core/crc64-wasm.ts', import.meta.url));
  writeFileSync(target, renderCrc64WasmModule());
  console.log(`wrote ${target} (${buildCrc64Wasm().length} wasm bytes)`);
}
