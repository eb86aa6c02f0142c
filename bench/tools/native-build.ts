/**
 * Builds the native addons: `native/crc64.c` → `native/crc64-linux-x64.node` (the CRC-64 kernel) and
 * `native/page-buffers.c` → `native/page-buffers-linux-x64.node` (huge-page part buffers), with plain gcc (no
 * node-gyp, nothing at install time: the binaries are committed and shipped). Run it after changing a C source,
 *
 *   npm run build:native
 *
 * and commit the binaries; `spec/core/crc64-native.spec.ts` and `spec/parts/page-allocator.spec.ts` check that the
 * committed binaries are what this builds.
 *
 * The flags: -O3; no -mpclmul for the whole file (only the kernel carries a `target("pclmul")` attribute, so the
 * module's init, which checks CPUID, cannot itself contain an instruction the CPU lacks); -fvisibility=hidden so
 * only the N-API entry point is exported; -s and --build-id=none so the output depends on the source and the
 * compiler only (no symbol table with paths, no random build id), which is what makes the byte-for-byte check
 * possible. The binary uses N-API only, so one build serves every Node version.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: gcc runs there, with relative paths, so nothing machine-specific enters the binary. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Each addon: its C source and where its committed binary lives, relative to the repository root. */
export const NATIVE_ADDONS = {
  crc64: { source: 'native/crc64.c', binary: 'native/crc64-linux-x64.node' },
  pageBuffers: { source: 'native/page-buffers.c', binary: 'native/page-buffers-linux-x64.node' },
} as const;

/** Where the committed CRC-64 binary lives, relative to the repository root. */
export const NATIVE_CRC64_BINARY = NATIVE_ADDONS.crc64.binary;

/** Node's C headers: the system's (Debian's nodejs-dev), else the ones beside this node binary. */
function nodeIncludeDir(): string {
  const candidates = ['/usr/include/node', join(dirname(process.execPath), '..', 'include', 'node')];
  const found = candidates.find((dir) => existsSync(join(dir, 'node_api.h')));
  if (found === undefined) throw new Error(`node_api.h not found in ${candidates.join(' or ')}`);
  return found;
}

/** The gcc command line that builds `source` into `output` (paths relative to the repository root, or absolute). */
export function nativeBuildArgs(output: string, source: string = NATIVE_ADDONS.crc64.source): string[] {
  return [
    '-O3',
    '-std=gnu11',
    '-Wall',
    '-Wextra',
    '-Werror',
    '-fPIC',
    '-shared',
    '-fvisibility=hidden',
    '-s',
    '-Wl,--build-id=none',
    `-I${nodeIncludeDir()}`,
    '-o',
    output,
    source,
  ];
}

/** Builds an addon into `output` (default: its committed binary's place). Throws if gcc fails. */
export function buildNativeAddon(name: keyof typeof NATIVE_ADDONS, output: string = NATIVE_ADDONS[name].binary): void {
  execFileSync('gcc', nativeBuildArgs(output, NATIVE_ADDONS[name].source), { cwd: REPO_ROOT, stdio: 'inherit' });
}

/** Builds the CRC-64 addon into `output` (default: the committed binary's place). Throws if gcc fails. */
export function buildNativeCrc64(output: string = NATIVE_CRC64_BINARY): void {
  buildNativeAddon('crc64', output);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`the committed binary is for linux-x64; this is ${process.platform}-${process.arch}`);
  }
  for (const name of Object.keys(NATIVE_ADDONS) as (keyof typeof NATIVE_ADDONS)[]) {
    buildNativeAddon(name);
    console.log(`built ${NATIVE_ADDONS[name].binary}`);
  }
}
