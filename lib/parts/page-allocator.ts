/**
 * Where part buffers come from. Fresh memory is not free: the first write to a page faults it in, and on the VMs we
 * measured a fault costs 3–30 µs (the hypervisor backs guest memory lazily and takes freed memory back), so an
 * upload's first 256 MiB of part buffers cost 0.5–0.8 s of CPU before a byte was hashed or sent. The native addon
 * (`native/page-buffers.c`) maps part-sized buffers on 2 MiB boundaries and asks for transparent huge pages: the
 * same 256 MiB then fault in as 128 pages (measured: 0.3 s the first time in a process, 0.05 s after, against
 * 0.55–0.8 s every time from malloc). Where the addon is not there (not linux-x64, `--no-addons`,
 * `OSS_STREAM_NATIVE=0`) or the kernel gives no huge pages, buffers are what `Buffer.allocUnsafeSlow` gives.
 */
import { loadAddon } from '../core/native-addon.js';

/** The binary, relative to the package root. */
export const PAGE_BUFFERS_FILE = 'native/page-buffers-linux-x64.node';

/** Below one huge page the advice buys nothing, and the mapping would round a small buffer up to 4 MiB. */
const MIN_NATIVE = 2 * 1024 * 1024;

interface PageBuffersAddon {
  alloc?: unknown;
}

let nativeAlloc: ((size: number) => Buffer) | null | undefined;

function load(): ((size: number) => Buffer) | null {
  const { addon } = loadAddon<PageBuffersAddon>(PAGE_BUFFERS_FILE);
  return typeof addon?.alloc === 'function' ? (addon.alloc as (size: number) => Buffer) : null;
}

/** Which allocator {@link allocatePartBuffer} uses for buffers of 2 MiB and more. */
export function partBufferAllocator(): 'huge-pages' | 'malloc' {
  return (nativeAlloc ??= load()) === null ? 'malloc' : 'huge-pages';
}

/**
 * A buffer of exactly `size` bytes, contents unspecified, that owns its whole `ArrayBuffer` (as
 * `Buffer.allocUnsafeSlow` does): huge-page backed from 2 MiB up when the addon is there. Such a buffer is unmapped
 * once collected, on a later turn of the event loop (Node runs addon finalizers there): callers that drop buffers
 * do so between parts, never in a synchronous loop of allocations.
 */
export function allocatePartBuffer(size: number): Buffer {
  if (size >= MIN_NATIVE) {
    const alloc = (nativeAlloc ??= load());
    if (alloc !== null) {
      try {
        return alloc(size);
      } catch {
        // mmap refused (address space, a ulimit): the ordinary allocator may still succeed
      }
    }
  }
  return Buffer.allocUnsafeSlow(size);
}
