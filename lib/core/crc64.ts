/**
 * CRC-64/XZ, the checksum OSS returns in `x-oss-hash-crc64ecma`: ECMA-182 polynomial, reflected
 * (0xC96C5795D7870F42), init and xorout all ones. On the wire it is an unsigned 64-bit decimal string.
 *
 * Speed: inputs over 32 bytes go through the fastest kernel this process has (`crc64-kernel.ts`): native
 * carry-less-multiply folding on linux-x64 (the bytes hashed where they are: ~26 GB/s on CPUs with VPCLMULQDQ,
 * ~13 GB/s with PCLMULQDQ alone), else a WebAssembly
 * slicing-by-16 loop (~2.5 GB/s, the bytes copied into its memory), else a JS byte loop (`node --jitless`). Smaller
 * inputs always stay in JS, where a byte loop beats the call (measured crossover ~32 bytes). Every kernel gives the
 * same answers; {@link crc64Kernel} tells which one runs.
 *
 * "Continue from a previous CRC" means: pass the CRC *result* of the preceding bytes (`'0'` for none), the
 * convention of crcmod's `initCrc`, Go's `crc64.Update` and the OSS SDKs.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { OssArgumentError } from '../errors.js';
import { activeCrc64Kernel } from './crc64-kernel.js';
import {
  JS_CRC64_KERNEL,
  POLY_HI as POLY_HI_EXPORT,
  POLY_LO as POLY_LO_EXPORT,
  type Crc64Kernel,
} from './crc64-table.js';

export { crc64Kernel } from './crc64-kernel.js';

// Module-local copies for mulmod's loop: through tsx, reading the imported bindings there made crc64Combine 8x slower.
const POLY_HI = POLY_HI_EXPORT;
const POLY_LO = POLY_LO_EXPORT;

/** At or under this many bytes the JS byte loop beats calling a kernel. */
const SMALL_INPUT = 32;

const MAX_UINT64 = (1n << 64n) - 1n;

/** The kernel for larger inputs, once chosen. */
let kernel: Crc64Kernel | undefined;

// Results of fold()/mulmod()/parse: module-level so the hot paths allocate nothing (JS is single-threaded).
let outHi = 0;
let outLo = 0;
/** The CRC result handed to a kernel and back: [0] low, [1] high 32 bits. */
const state = new Int32Array(2);

/** Folds data[start, end) into the CRC result (hi, lo); the new result lands in outHi/outLo. */
function fold(hi: number, lo: number, data: Uint8Array, start: number, end: number): void {
  state[0] = lo;
  state[1] = hi;
  if (end - start <= SMALL_INPUT) JS_CRC64_KERNEL.update(state, data, start, end);
  else (kernel ??= activeCrc64Kernel()).update(state, data, start, end);
  outHi = state[1]!;
  outLo = state[0]!;
}

/**
 * Copies source[start, end) to target at targetStart and folds the bytes into the CRC result (hi, lo), into
 * outHi/outLo: in one pass where the kernel can (native), else a copy and then a hash of the copy while it is in
 * cache.
 */
function copyFold(
  hi: number,
  lo: number,
  source: Uint8Array,
  start: number,
  end: number,
  target: Uint8Array,
  targetStart: number,
): void {
  const k = end - start <= SMALL_INPUT ? undefined : (kernel ??= activeCrc64Kernel());
  if (k?.copy === undefined) {
    target.set(start === 0 && end === source.length ? source : source.subarray(start, end), targetStart);
    fold(hi, lo, target, targetStart, targetStart + end - start);
    return;
  }
  state[0] = lo;
  state[1] = hi;
  k.copy(state, source, start, end, target, targetStart);
  outHi = state[1]!;
  outLo = state[0]!;
}

const TWO_32 = 2 ** 32;
// 10^15 = Q_15·2^32 + R_15: splits a 16..20-digit decimal so every partial product stays below 2^53.
const Q_15 = Math.floor(1e15 / TWO_32);
const R_15 = 1e15 - Q_15 * TWO_32;

/** Parses a uint64 given as decimal string (leading zeros allowed) or bigint into outHi/outLo; false if invalid. */
function parseInto(value: string | bigint): boolean {
  if (typeof value === 'bigint') {
    if (value < 0n || value > MAX_UINT64) return false;
    outHi = Number(value >> 32n) | 0;
    outLo = Number(value & 0xffffffffn) | 0;
    return true;
  }
  // Plain double arithmetic rather than BigInt: this runs for every small crc64() call.
  if (typeof value !== 'string' || !/^[0-9]+$/.test(value)) return false;
  let first = 0;
  while (first < value.length - 1 && value.charCodeAt(first) === 0x30) first++;
  const digits = first === 0 ? value : value.slice(first);
  if (digits.length > 20) return false;
  let hi: number;
  let lo: number;
  if (digits.length <= 15) {
    const n = Number(digits);
    hi = Math.floor(n / TWO_32);
    lo = n % TWO_32;
  } else {
    const top = Number(digits.slice(0, -15));
    const t = top * R_15 + Number(digits.slice(-15));
    hi = top * Q_15 + Math.floor(t / TWO_32);
    lo = t % TWO_32;
    if (hi >= TWO_32) return false;
  }
  outHi = hi | 0;
  outLo = lo | 0;
  return true;
}

function parseArgument(value: string | bigint, argument: string): void {
  if (!parseInto(value)) {
    const shown = JSON.stringify(String(value).slice(0, 40));
    throw new OssArgumentError(
      `${argument} must be an unsigned 64-bit CRC as a decimal string, got ${shown}`,
      argument,
    );
  }
}

function toBigInt(hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** Decimal of the uint64 hi·2^32 + lo without BigInt: 2^32 = 429496·10^4 + 7296 keeps every term below 2^53. */
function toDecimal(hi: number, lo: number): string {
  const h = hi >>> 0;
  if (h === 0) return String(lo >>> 0);
  const below = h * 7296 + (lo >>> 0);
  const low4 = below % 10000;
  const top = String(h * 429496 + (below - low4) / 10000);
  return low4 >= 1000 ? top + String(low4) : top + `000${low4}`.slice(-4);
}

function toBytes(data: Uint8Array | string, argument: string): Uint8Array {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof Uint8Array) return data;
  throw new OssArgumentError(`${argument} must be a Uint8Array or a string`, argument);
}

/**
 * CRC-64/XZ of `data` as the decimal string OSS sends in `x-oss-hash-crc64ecma`.
 *
 * @param data bytes, or a string hashed as UTF-8.
 * @param previous CRC (decimal string or bigint) of the bytes that precede `data`, to continue a running CRC;
 *   default `'0'`, the CRC of nothing. `crc64(b, crc64(a))` equals `crc64(a‖b)`.
 * @throws OssArgumentError when `previous` is not a uint64 decimal string.
 */
export function crc64(data: Uint8Array | string, previous?: string | bigint): string {
  if (previous === undefined) {
    outHi = 0;
    outLo = 0;
  } else {
    parseArgument(previous, 'previous');
  }
  const hi = outHi;
  const lo = outLo;
  const bytes = toBytes(data, 'data');
  fold(hi, lo, bytes, 0, bytes.length);
  return toDecimal(outHi, outLo);
}

/**
 * Whether two decimal CRC strings denote the same uint64 (`'007'` equals `'7'`). Anything that is not a uint64
 * decimal string compares unequal, so a garbled header fails an integrity check instead of throwing.
 */
export function crc64Equal(a: string, b: string): boolean {
  if (!parseInto(a)) return false;
  const hi = outHi;
  const lo = outLo;
  return parseInto(b) && outHi === hi && outLo === lo;
}

/** (aHi, aLo) × (bHi, bLo) modulo the polynomial, both in reflected form (bit 63 is x^0), into outHi/outLo. */
function mulmod(aHi: number, aLo: number, bHi: number, bLo: number): void {
  let pHi = 0;
  let pLo = 0;
  for (let i = 0; i < 64; i++) {
    const word = i < 32 ? aHi : aLo;
    if ((word & (0x80000000 >>> (i & 31))) !== 0) {
      pHi ^= bHi;
      pLo ^= bLo;
    }
    // b *= x: one step of the reflected register.
    const mask = -(bLo & 1);
    bLo = ((bLo >>> 1) | (bHi << 31)) ^ (POLY_LO & mask);
    bHi = (bHi >>> 1) ^ (POLY_HI & mask);
  }
  outHi = pHi;
  outLo = pLo;
}

/** X2N[k] = x^(2^k) mod P (reflected hi/lo pairs), for k up to 63: enough for any safe-integer bit length. */
let X2N: Int32Array | undefined;

function x2n(): Int32Array {
  if (X2N !== undefined) return X2N;
  const table = new Int32Array(128);
  let hi = 1 << 30; // x^1: bit 62
  let lo = 0;
  for (let k = 0; k < 64; k++) {
    table[2 * k] = hi;
    table[2 * k + 1] = lo;
    mulmod(hi, lo, hi, lo);
    hi = outHi;
    lo = outLo;
  }
  X2N = table;
  return table;
}

/**
 * CRC of A‖B from `crc1` = CRC(A), `crc2` = CRC(B) and `len2` = byte length of B, in O(log len2): CRC(A‖B) is
 * CRC(A)·x^(8·len2) + CRC(B) over GF(2) modulo the polynomial (init and xorout cancel out), and x^(8·len2) is a
 * product of precomputed x^(2^k), one per set bit of `len2`. This is how a multipart object's CRC is checked
 * from its parts. `crc64Combine(x, y, 0)` is `x`; `crc64Combine('0', y, n)` is `y`.
 *
 * @param len2 any safe integer ≥ 0 (well past 2^32: parts go up to 5 GiB).
 * @throws OssArgumentError on a CRC that is not a uint64 decimal string or a bad `len2`.
 */
export function crc64Combine(crc1: string, crc2: string, len2: number): string {
  if (!Number.isSafeInteger(len2) || len2 < 0) {
    throw new OssArgumentError(`len2 must be a safe integer >= 0, got ${String(len2)}`, 'len2');
  }
  parseArgument(crc2, 'crc2');
  const hi2 = outHi;
  const lo2 = outLo;
  parseArgument(crc1, 'crc1');
  if (len2 === 0) return toDecimal(outHi, outLo);
  const hi1 = outHi;
  const lo1 = outLo;
  const table = x2n();
  let pHi = 0x80000000 | 0; // x^0
  let pLo = 0;
  // Division instead of >>> so lengths above 2^32 keep their high bits.
  for (let n = len2, k = 3; n > 0; n = Math.floor(n / 2), k++) {
    if (n % 2 === 1) {
      mulmod(table[2 * k]!, table[2 * k + 1]!, pHi, pLo);
      pHi = outHi;
      pLo = outLo;
    }
  }
  mulmod(pHi, pLo, hi1, lo1);
  return toDecimal(outHi ^ hi2, outLo ^ lo2);
}

function checkRange(data: Uint8Array, start: number, end: number): void {
  if (!(data instanceof Uint8Array)) throw new OssArgumentError('data must be a Uint8Array', 'data');
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > data.length) {
    throw new OssArgumentError(`invalid range [${String(start)}, ${String(end)}) of ${data.length} bytes`, 'start');
  }
}

/**
 * Incremental CRC-64/XZ. `update` with a subrange hashes a slice of a buffer without allocating a view, so part
 * buffers can be hashed as chunks are copied into them.
 *
 * @example
 * ```ts
 * const crc = new Crc64();
 * crc.update(chunk1).update(chunk2, 0, n);
 * headers['x-oss-hash-crc64ecma'] === crc.digest();
 * ```
 */
export class Crc64 {
  #initHi: number;
  #initLo: number;
  #hi: number;
  #lo: number;
  #length = 0;

  /**
   * @param previous CRC (decimal string or bigint) of bytes that came before, to continue them; default 0.
   * @throws OssArgumentError when `previous` is not a uint64.
   */
  constructor(previous: string | bigint = 0n) {
    parseArgument(previous, 'previous');
    this.#initHi = this.#hi = outHi;
    this.#initLo = this.#lo = outLo;
  }

  /**
   * Hashes `data[start, end)`; `start` defaults to 0 and `end` to `data.length`.
   * @throws OssArgumentError when the range is not within `data`.
   */
  update(data: Uint8Array, start = 0, end: number = data.length): this {
    checkRange(data, start, end);
    fold(this.#hi, this.#lo, data, start, end);
    this.#hi = outHi;
    this.#lo = outLo;
    this.#length += end - start;
    return this;
  }

  /**
   * Copies `source[start, end)` into `target` at `targetStart` and hashes the copied bytes: the same as
   * `target.set(source.subarray(start, end), targetStart)` followed by an {@link update} of that range, with the
   * native kernel in one pass over the bytes (the source is read once). `start` defaults to 0 and `end` to
   * `source.length`.
   *
   * @example
   * ```ts
   * const part = Buffer.allocUnsafe(1024);
   * const crc = new Crc64();
   * crc.copy(Buffer.from('hello'), part, 0);
   * crc.digest() === crc64('hello');
   * ```
   * @throws OssArgumentError when a range does not fit its buffer.
   */
  copy(source: Uint8Array, target: Uint8Array, targetStart: number, start = 0, end: number = source.length): this {
    checkRange(source, start, end);
    if (!(target instanceof Uint8Array)) throw new OssArgumentError('target must be a Uint8Array', 'target');
    if (!Number.isInteger(targetStart) || targetStart < 0 || targetStart + (end - start) > target.length) {
      throw new OssArgumentError(
        `no room for ${end - start} bytes at ${String(targetStart)} in a target of ${target.length} bytes`,
        'targetStart',
      );
    }
    copyFold(this.#hi, this.#lo, source, start, end, target, targetStart);
    this.#hi = outHi;
    this.#lo = outLo;
    this.#length += end - start;
    return this;
  }

  /** The CRC of everything hashed so far (continuing `previous`), as OSS's decimal string. Does not reset. */
  digest(): string {
    return toDecimal(this.#hi, this.#lo);
  }

  /** The same CRC as a bigint. */
  value(): bigint {
    return toBigInt(this.#hi, this.#lo);
  }

  /** Back to the state right after construction: the constructor's `previous`, {@link length} 0. */
  reset(): void {
    this.#hi = this.#initHi;
    this.#lo = this.#initLo;
    this.#length = 0;
  }

  /** Bytes hashed since construction or the last {@link reset}. */
  get length(): number {
    return this.#length;
  }
}

/** Options of {@link Crc64Stream}. */
export interface Crc64StreamOptions {
  /** CRC of bytes that came before the stream's, to continue them; default 0. */
  previous?: string | bigint;
  /** Passed to `Transform`; default Node's. */
  highWaterMark?: number;
}

/**
 * Pass-through `Transform` that hashes the bytes flowing through it: chunks are forwarded as they are (never
 * copied or retained). Strings written to it are hashed as the bytes they are encoded to; objects are rejected.
 * Read {@link digest} after `'end'`/`'finish'` for the CRC of the whole stream.
 */
export class Crc64Stream extends Transform {
  #crc: Crc64;

  constructor(options: Crc64StreamOptions = {}) {
    super(options.highWaterMark === undefined ? {} : { highWaterMark: options.highWaterMark });
    this.#crc = new Crc64(options.previous ?? 0n);
  }

  override _transform(chunk: unknown, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (!(chunk instanceof Uint8Array)) {
      callback(new OssArgumentError('Crc64Stream accepts only bytes and strings', 'chunk'));
      return;
    }
    this.#crc.update(chunk);
    callback(null, chunk);
  }

  /** CRC of the bytes seen so far, decimal. */
  digest(): string {
    return this.#crc.digest();
  }

  /** Bytes seen so far. */
  get bytes(): number {
    return this.#crc.length;
  }
}
