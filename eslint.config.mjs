// Lint: the recommended rules of ESLint and typescript-eslint (no type-aware rules: they would double the time of
// `npm test`), plus the few this codebase relies on. Formatting is prettier's job, not the linter's.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'dist-tsc/', 'coverage/', 'node_modules/', 'lib/core/crc64-wasm.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      // Unused names are bugs in waiting, except the conventional `_` prefix for a parameter a signature needs.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // `??` not `||` for defaults is a project rule (an explicit 0 must not become the default).
      eqeqeq: ['error', 'always'],
      'no-var': 'error',
      'prefer-const': 'error',
      // The wire validators match control characters on purpose (header values, XML text).
      'no-control-regex': 'off',
    },
  },
  {
    files: ['spec/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // Specs assert on shapes they build by hand, and chai's expect(...).to.be.true style reads as an expression.
      '@typescript-eslint/no-unused-expressions': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
