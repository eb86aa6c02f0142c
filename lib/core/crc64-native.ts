/**
 * The native CRC-64 kernel: `native/crc64.c`, carry-less-multiply folding (PCLMULQDQ, on 256-bit registers with
 * VPCLMULQDQ where the CPU has it), prebuilt for linux-x64 and shipped in the package (no install script, no build
 * on the user's machine). It hashes the caller's bytes where they are, through N-API (so one binary serves every
 * Node version), at several times the wasm kernel's speed.
 *
 * Loading never throws: on another platform, where the binary is missing or refused (`--no-addons`, the permission
 * model, a bundler that left it behind), on a CPU without PCLMULQDQ (the addon checks CPUID and then exports no
 * kernel at all), or if its answer to a check input differs from the JS kernel's, the result says why and the
 * caller falls back to wasm.
 */
import { loadAddon } from './native-addon.js';
import { JS_CRC64_KERNEL, type Crc64Kernel } from './crc64-table.js';

/** The binary, relative to the package root (beside `dist/` when installed, beside `lib/` in the repository). */
export const NATIVE_CRC64_FILE = 'native/crc64-linux-x64.node';

/** The instruction each kernel of the addon is built on, narrowest first. */
const NATIVE_CRC64_CPUS: readonly unknown[] = ['pclmulqdq', 'vpclmulqdq'];

/**
 * What the addon exports: `cpu` names the kernel it chose for this CPU (one of {@link NATIVE_CRC64_CPUS}, or
 * "unsupported" and nothing else); `update` and `copy` are that kernel's; `kernels` holds each kernel the CPU can
 * run, by `cpu` name (for the specs, which check every one).
 */
export interface Crc64Addon {
  cpu?: unknown;
  update?: unknown;
  copy?: unknown;
  kernels?: Record<string, { update?: unknown; copy?: unknown }>;
}

/** The native kernel, or why there is none. */
export type NativeCrc64Load = { kernel: Crc64Kernel; reason?: undefined } | { kernel: null; reason: string };

/** Loads the addon (once per call: the caller keeps the kernel). Never throws. */
export function loadNativeCrc64(): NativeCrc64Load {
  const load = loadAddon<Crc64Addon>(NATIVE_CRC64_FILE);
  if (load.addon === null) return { kernel: null, reason: load.reason };
  const addon = load.addon;
  const { update, copy } = addon;
  if (!NATIVE_CRC64_CPUS.includes(addon.cpu) || typeof update !== 'function' || typeof copy !== 'function') {
    return { kernel: null, reason: `the CPU lacks PCLMULQDQ (addon: ${String(addon.cpu)})` };
  }
  const kernel = Object.freeze({
    name: 'native',
    update: update as Crc64Kernel['update'],
    copy: copy as NonNullable<Crc64Kernel['copy']>,
  } as const);
  // Against the JS kernel on 439 bytes at an odd offset (the 256-bit kernel's loop, merges and 32-byte step, then
  // a 16-byte step and a tail; the 128-bit kernel's four lanes, merge, steps and tail): a damaged binary is never used.
  const length = 439;
  const check = Uint8Array.from({ length: length + 5 }, (_, i) => (i * 167 + 13) & 0xff);
  const ours = new Int32Array(2);
  const reference = new Int32Array(2);
  kernel.update(ours, check, 3, 3 + length);
  JS_CRC64_KERNEL.update(reference, check, 3, 3 + length);
  // The fused copy: the same CRC, the bytes where they belong and nothing written around them.
  const copied = new Uint8Array(length + 2);
  const copiedCrc = new Int32Array(2);
  kernel.copy(copiedCrc, check, 3, 3 + length, copied, 1);
  const copiedRight =
    copied[0] === 0 && copied[length + 1] === 0 && copied.subarray(1, length + 1).every((b, i) => b === check[i + 3]);
  if (
    ours[0] !== reference[0] ||
    ours[1] !== reference[1] ||
    !copiedRight ||
    copiedCrc[0] !== ours[0] ||
    copiedCrc[1] !== ours[1]
  ) {
    return { kernel: null, reason: 'the addon failed its self-check against the JS kernel' };
  }
  return { kernel };
}
