// Lint rules: the recommended sets of ESLint and typescript-eslint, plus the few habits STYLE.md asks for.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import globals from 'globals'

export default tseslint.config(
  { ignores: ['dist/**', 'dist-test/**', 'node_modules/**', 'src/**/pb/*.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.node }
    },
    rules: {
      // Library code logs through a named logger; only the CLI (src/cli) and scripts print.
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // `catch (err: any)` reads Node's err.code the way js-libp2p does; elsewhere types are kept.
      '@typescript-eslint/no-explicit-any': 'off',
      // Node 20 lets a timeout signal held only by AbortSignal.any be collected before it fires.
      'no-restricted-properties': ['error', { object: 'AbortSignal', property: 'any', message: 'use anySignal or withTimeout from src/signals.ts: they keep the sources alive' }]
    }
  },
  {
    files: ['src/signals.ts'],
    rules: { 'no-restricted-properties': 'off' }
  },
  {
    // The dashboard runs in the browser.
    files: ['dashboard/src/**'],
    languageOptions: { globals: { ...globals.browser } }
  },
  {
    files: ['src/cli/**', 'src/cli.ts', 'src/node.ts', 'src/daemon/**', 'scripts/**', 'test/**'],
    rules: { 'no-console': 'off' }
  }
)
