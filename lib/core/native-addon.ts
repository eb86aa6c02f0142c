/**
 * Loading the prebuilt addons of `native/` (linux-x64, N-API, committed and shipped in the package: no install
 * script, nothing compiled on the user's machine). Every addon is optional: loading never throws, it says why not,
 * and the caller falls back to WebAssembly or plain JS.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Set to `0` (or `off`) before the first use to keep every native addon out of the process. */
export const NATIVE_ENV = 'OSS_STREAM_NATIVE';

/** An addon's exports, or why there are none. */
export type AddonLoad<T> = { addon: T; reason?: undefined } | { addon: null; reason: string };

/** The directory of the package.json named oss-stream above this module (≤ 4 levels), or null. */
function packageRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown };
      if (pkg.name === 'oss-stream') return dir;
    } catch {
      // not here: one level up
    }
  }
  return null;
}

/**
 * Loads `file` (relative to the package root, e.g. `native/crc64-linux-x64.node`) once per call: the caller keeps
 * what it needs. Never throws.
 */
export function loadAddon<T extends object>(file: string): AddonLoad<T> {
  const off = process.env[NATIVE_ENV];
  if (off === '0' || off === 'off') return { addon: null, reason: `${NATIVE_ENV}=${off}` };
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return { addon: null, reason: `no native addon for ${process.platform}-${process.arch}` };
  }
  try {
    const root = packageRoot();
    if (root === null) return { addon: null, reason: 'the oss-stream package root was not found' };
    const module = { exports: {} as T };
    process.dlopen(module, join(root, file));
    return { addon: module.exports };
  } catch (error) {
    return { addon: null, reason: `the addon did not load: ${(error as Error).message}` };
  }
}
