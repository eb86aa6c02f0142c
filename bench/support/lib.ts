/**
 * The library under test, as users run it: the built package (`dist/`, made by `npm run bench`'s build step), not
 * the TypeScript sources through tsx. tsx compiles with esbuild's keep-names, which wraps every closure created
 * at run time in a naming call; on small requests that cost 10–20 % of the CPU per operation, on the client and
 * on the server alike, and no user pays it. `BENCH_SOURCE=lib` measures the sources instead (to profile them).
 *
 * Only the public API is reachable this way; the crc64 and signing scenarios import their kernels from `lib/`,
 * which keep-names does not touch (module-level functions are named once, at load).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type * as Lib from '../../lib/index.js';

/** Where the measured code comes from. */
export const BENCH_SOURCE: 'dist' | 'lib' = process.env['BENCH_SOURCE'] === 'lib' ? 'lib' : 'dist';

const DIST_INDEX = new URL('../../dist/index.js', import.meta.url);
if (BENCH_SOURCE === 'dist' && !existsSync(DIST_INDEX)) {
  throw new Error(
    `bench: ${fileURLToPath(DIST_INDEX)} is missing; run \`npm run build\` first (\`npm run bench\` does)`,
  );
}

const lib = (
  BENCH_SOURCE === 'dist' ? await import(DIST_INDEX.href) : await import('../../lib/index.js')
) as typeof Lib;

export const { Auth, Bucket, createAppendStream, createUploadStream, resumableUpload, ResumableStore } = lib;
export type { ResumableUploadOptions, SinkOptions } from '../../lib/index.js';
