/**
 * The WebAssembly CRC-64 kernel: the slicing-by-16 module of `crc64-wasm.ts` (see `bench/tools/crc64-wasm-gen.ts`),
 * instantiated and its tables filled. The caller's bytes are copied into the module's memory in 64 KiB chunks (wasm
 * cannot read JS memory), a memcpy worth ~5% of the time. Compiled synchronously (1 KiB of wasm).
 */
import { CRC64_WASM_BASE64, CRC64_WASM_SCRATCH_BASE, CRC64_WASM_SLICES, CRC64_WASM_TABLE_BASE } from './crc64-wasm.js';
import { T0_HI, T0_LO, type Crc64Kernel } from './crc64-table.js';

/** A new instance of the wasm kernel, or null in a runtime without WebAssembly (e.g. `node --jitless`). */
export function loadWasmCrc64(): Crc64Kernel | null {
  if (typeof WebAssembly === 'undefined') return null;
  const module = new WebAssembly.Module(Buffer.from(CRC64_WASM_BASE64, 'base64'));
  const exports = new WebAssembly.Instance(module, {}).exports;
  // The memory has a fixed maximum equal to its size, so these views can never be detached by a grow.
  const buffer = (exports['m'] as WebAssembly.Memory).buffer;
  const words = new Int32Array(buffer);
  // Tk[n] = register after byte n then k zero bytes = T(k-1)[n] advanced by one zero byte.
  const base = CRC64_WASM_TABLE_BASE / 4;
  for (let n = 0; n < 256; n++) {
    words[base + 2 * n] = T0_LO[n]!;
    words[base + 2 * n + 1] = T0_HI[n]!;
  }
  for (let t = 1; t < CRC64_WASM_SLICES; t++) {
    for (let n = 0; n < 256; n++) {
      const prev = base + 512 * (t - 1) + 2 * n;
      const lo = words[prev]!;
      const hi = words[prev + 1]!;
      const x = lo & 0xff;
      words[prev + 512] = ((lo >>> 8) | (hi << 24)) ^ T0_LO[x]!;
      words[prev + 513] = (hi >>> 8) ^ T0_HI[x]!;
    }
  }
  const memory = new Uint8Array(buffer);
  const chunk = buffer.byteLength - CRC64_WASM_SCRATCH_BASE;
  const fold = exports['u'] as (ptr: number, len: number) => void;
  return Object.freeze({
    name: 'wasm',
    update(state: Int32Array, data: Uint8Array, start: number, end: number): void {
      // Words 0 (low) and 1 (high) of the module's memory are the CRC result it reads and writes.
      words[0] = state[0]!;
      words[1] = state[1]!;
      for (let at = start; at < end; at += chunk) {
        const stop = Math.min(end, at + chunk);
        // A plain view rather than data.subarray(): a Buffer's subarray goes through the species constructor.
        memory.set(new Uint8Array(data.buffer, data.byteOffset + at, stop - at), CRC64_WASM_SCRATCH_BASE);
        fold(CRC64_WASM_SCRATCH_BASE, stop - at);
      }
      state[0] = words[0]!;
      state[1] = words[1]!;
    },
  } as const);
}
