/**
 * The CRC-64/XZ byte table and the JS kernel built on it (one table lookup per byte), plus the shape every kernel
 * has. The JS kernel hashes small inputs whatever the active kernel (a loop beats a call into wasm or C there), and
 * everything when neither of the faster kernels is available; the wasm kernel's tables start from this one.
 */

/** Reflected ECMA-182 polynomial, split in 32-bit halves: JS bit operations are 32-bit. */
export const POLY_HI = 0xc96c5795 | 0;
export const POLY_LO = 0xd7870f42 | 0;

/** T0[n]: register after feeding byte n into a zero register, as hi/lo halves. */
export const T0_HI = new Int32Array(256);
export const T0_LO = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let hi = 0;
  let lo = n;
  for (let k = 0; k < 8; k++) {
    const mask = -(lo & 1);
    lo = ((lo >>> 1) | (hi << 31)) ^ (POLY_LO & mask);
    hi = (hi >>> 1) ^ (POLY_HI & mask);
  }
  T0_HI[n] = hi;
  T0_LO[n] = lo;
}

/** Names of the kernels, fastest first. */
export type Crc64KernelName = 'native' | 'wasm' | 'js';

/** One implementation of the CRC-64 loop. */
export interface Crc64Kernel {
  readonly name: Crc64KernelName;
  /**
   * Folds `data[start, end)` into the CRC result held in `state` (`[0]` the low and `[1]` the high 32 bits, xorout
   * applied: the value OSS prints). The caller has checked the range.
   */
  update(state: Int32Array, data: Uint8Array, start: number, end: number): void;
  /**
   * Copies `source[start, end)` to `target` at `targetStart` and folds those bytes into `state`, in one pass over
   * them (the native kernel only; the others copy and then hash the copy). The caller has checked both ranges.
   */
  copy?(
    state: Int32Array,
    source: Uint8Array,
    start: number,
    end: number,
    target: Uint8Array,
    targetStart: number,
  ): void;
}

/** The byte loop, on the register held in 32-bit halves. */
function jsUpdate(state: Int32Array, data: Uint8Array, start: number, end: number): void {
  let h = ~state[1]!;
  let l = ~state[0]!;
  for (let i = start; i < end; i++) {
    const x = (l ^ data[i]!) & 0xff;
    l = ((l >>> 8) | (h << 24)) ^ T0_LO[x]!;
    h = (h >>> 8) ^ T0_HI[x]!;
  }
  state[0] = ~l;
  state[1] = ~h;
}

/** The kernel that always works: no WebAssembly, no addon. */
export const JS_CRC64_KERNEL: Crc64Kernel = Object.freeze({ name: 'js', update: jsUpdate });
