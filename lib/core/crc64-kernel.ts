/**
 * Which CRC-64 kernel hashes inputs over 32 bytes, chosen once per thread on first use: the native PCLMULQDQ
 * kernel (linux-x64, binary loaded, CPU has the instruction), else the WebAssembly one, else the JS byte loop.
 * `OSS_STREAM_CRC64=wasm` skips the native kernel, `OSS_STREAM_CRC64=js` both faster ones (to compare, or to rule
 * the kernel out when chasing a problem); every kernel gives the same answers.
 */
import { loadNativeCrc64 } from './crc64-native.js';
import { JS_CRC64_KERNEL, type Crc64Kernel, type Crc64KernelName } from './crc64-table.js';
import { loadWasmCrc64 } from './crc64-wasm-kernel.js';

/** The environment variable that narrows the choice. */
export const CRC64_KERNEL_ENV = 'OSS_STREAM_CRC64';

let active: Crc64Kernel | undefined;

function select(choice: string | undefined): Crc64Kernel {
  if (choice === 'js') return JS_CRC64_KERNEL;
  if (choice !== 'wasm') {
    if (choice !== undefined && choice !== '' && choice !== 'auto' && choice !== 'native') {
      process.emitWarning(
        `${CRC64_KERNEL_ENV}=${JSON.stringify(choice)} is not one of auto, native, wasm, js: using the default`,
      );
    }
    const native = loadNativeCrc64();
    if (native.kernel !== null) return native.kernel;
  }
  return loadWasmCrc64() ?? JS_CRC64_KERNEL;
}

/** The kernel for inputs over 32 bytes, loaded on first call. */
export function activeCrc64Kernel(): Crc64Kernel {
  return (active ??= select(process.env[CRC64_KERNEL_ENV]));
}

/**
 * Which CRC-64 kernel this thread uses for inputs over 32 bytes (smaller ones always take a JS loop):
 * `'native'` (carry-less multiplication in C, linux-x64 with PCLMULQDQ, on 256-bit registers where the CPU also has
 * VPCLMULQDQ and AVX2), `'wasm'` (WebAssembly slicing-by-16) or
 * `'js'` (a byte table, when WebAssembly is unavailable, e.g. `node --jitless`). Set `OSS_STREAM_CRC64=wasm` (or
 * `js`) before the first CRC to rule out the faster kernels. The answer is fixed after the first call.
 */
export function crc64Kernel(): Crc64KernelName {
  return activeCrc64Kernel().name;
}
