// Builds ESM + CJS bundles and bundled .d.ts for the public entry points (library, server, pino transport), plus the CLI.
import typescript from '@rollup/plugin-typescript';
import { dts } from 'rollup-plugin-dts';
import { readFileSync, rmSync } from 'node:fs';

// Chunk names carry content hashes: start from an empty dist/ so no stale chunk ships.
rmSync(new URL('./dist', import.meta.url), { recursive: true, force: true });

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
// Dependencies and Node builtins stay external: we ship our code, not our dependencies'.
const external = (id) =>
  id.startsWith('node:') || Object.keys(pkg.dependencies ?? {}).some((d) => id === d || id.startsWith(`${d}/`));

const ts = () =>
  typescript({
    tsconfig: './tsconfig.json',
    compilerOptions: { outDir: 'dist', rootDir: 'lib', declaration: false, sourceMap: true, module: 'NodeNext' },
  });

const entries = { index: 'lib/index.ts', server: 'lib/server/index.ts', pino: 'lib/pino.ts' };

export default [
  {
    // One ESM build for the library, the server and the CLI: they share chunks instead of the CLI bundling its own copy.
    input: { ...entries, cli: 'lib/cli/main.ts' },
    external,
    plugins: [ts()],
    output: {
      dir: 'dist',
      format: 'es',
      entryFileNames: '[name].js',
      chunkFileNames: 'chunks/[name]-[hash].js',
      sourcemap: true,
      banner: (chunk) => (chunk.isEntry && chunk.name === 'cli' ? '#!/usr/bin/env node' : ''),
    },
  },
  {
    input: entries,
    external,
    plugins: [ts()],
    output: { dir: 'dist', format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: 'chunks/[name]-[hash].cjs', sourcemap: true, exports: 'named' },
  },
  {
    input: entries,
    external,
    plugins: [dts({ tsconfig: './tsconfig.json' })],
    // The same declarations twice: `.d.ts` for `import`, `.d.cts` for `require`. TypeScript reads a `.d.ts` next to
    // an ESM package as ESM, so a CommonJS consumer (`module: node16`, a `.cts` file) needs the `.d.cts` (TS1471).
    output: [
      { dir: 'dist', format: 'es', entryFileNames: '[name].d.ts' },
      { dir: 'dist', format: 'es', entryFileNames: '[name].d.cts', chunkFileNames: '[name]-[hash].d.cts' },
    ],
  },
];
