// Lint rules that keep the house in order: workflow code stays deterministic (STYLE.md §1),
// and no promise is left floating anywhere.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)]
  // The Temporal bundler allows these three inside workflows.
  .filter((m) => !['assert', 'url', 'util', 'node:assert', 'node:url', 'node:util'].includes(m));

export default tseslint.config(
  { ignores: ['node_modules/**', '.stageline/**', 'dist/**', 'cli/bin.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // Workflow sandbox: orchestration only. No I/O, no clock, no randomness.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: nodeBuiltins.map((name) => ({ name, message: 'Node built-ins are not allowed in workflow code; do I/O in an activity.' })),
        patterns: [
          { group: ['pg', 'pg-*', 'node-pg-migrate'], message: 'Database access belongs in activities.' },
          { group: ['**/connectors/**', 'asana', 'googleapis', '@googleapis/*', '@notionhq/*', '@mondaydotcomorg/*'], message: 'Vendor clients belong in activities.' },
          { group: ['**/activities', '**/activities/**'], allowTypeImports: true, message: 'Import activity types only (import type).' },
          { group: ['@temporalio/activity', '@temporalio/client', '@temporalio/worker', '@temporalio/testing'], message: 'Only @temporalio/workflow may be used in workflow code.' },
        ],
      }],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'Use workflow time only through Temporal APIs.' },
        { object: 'Math', property: 'random', message: 'Randomness breaks determinism.' },
      ],
      'no-restricted-globals': ['error', 'fetch', 'process', 'setInterval'],
    },
  },
);
