// Builds ESM + CJS bundles and bundled .d.ts for the two public entry points, plus the CLI.
import typescript from '@rollup/plugin-typescript';
import { dts } from 'rollup-plugin-dts';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
// Dependencies and Node builtins stay external: we ship our code, not our dependencies'.
const external = (id) =>
  id.startsWith('node:') || Object.keys(pkg.dependencies ?? {}).some((d) => id === d || id.startsWith(`${d}/`));

const ts = () =>
  typescript({
    tsconfig: './tsconfig.json',
    compilerOptions: { outDir: 'dist', rootDir: 'lib', declaration: false, sourceMap: true, module: 'NodeNext' },
  });

const entries = { index: 'lib/index.ts', server: 'lib/server/index.ts' };

export default [
  {
    input: entries,
    external,
    plugins: [ts()],
    output: [
      { dir: 'dist', format: 'es', entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js', sourcemap: true },
      { dir: 'dist', format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: 'chunks/[name]-[hash].cjs', sourcemap: true, exports: 'named' },
    ],
  },
  {
    input: { cli: 'lib/cli/main.ts' },
    external,
    plugins: [ts()],
    output: { dir: 'dist', format: 'es', entryFileNames: '[name].js', chunkFileNames: 'chunks/cli-[name]-[hash].js', banner: '#!/usr/bin/env node', sourcemap: true },
  },
  {
    input: entries,
    external,
    plugins: [dts({ tsconfig: './tsconfig.json' })],
    output: { dir: 'dist', format: 'es', entryFileNames: '[name].d.ts' },
  },
];
