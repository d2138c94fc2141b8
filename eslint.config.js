// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const plugins = ['@keyport/plugin-*', '@keyport/cli', '@keyport/cli/*'];
const deepCore = ['@keyport/core/*'];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.turbo/**', 'packages/test-fixtures/keys/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', Buffer: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', TextEncoder: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', NodeJS: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    // Layers: core knows no UI and no plugin.
    files: ['packages/core/src/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['ink', 'ink-*', 'react', 'react/*', 'react-dom'], message: 'core must not import UI libraries (layering: see docs/architecture.md)' },
        { group: plugins, message: 'core must not import plugins or the CLI' },
      ] }],
    },
  },
  {
    // Plugins: only core's public entry, never another plugin, the CLI, a deep path or UI.
    files: ['packages/plugin-*/src/**', 'examples/*/*.js'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: deepCore, message: "import only '@keyport/core' (its public entry point)" },
        { group: plugins, message: 'plugins must not import other plugins or the CLI' },
        { group: ['ink', 'ink-*', 'react', 'react/*'], message: 'plugins contribute data; the CLI renders it' },
        { group: ['../../*/src/*', '../../core/*'], message: "import only '@keyport/core'" },
      ] }],
    },
  },
  {
    files: ['packages/cli-ink/src/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: deepCore, message: "import only '@keyport/core'" }],
        // Terminal safety: every string on screen goes through escapeForTerminal (issue 10).
        paths: [{ name: 'ink', importNames: ['Text', 'Transform', 'Static'], message: "use Text from src/tui/text.tsx: it escapes what it shows" }],
      }],
      'no-restricted-syntax': ['error', {
        selector: "CallExpression[callee.property.name='write'][callee.object.property.name=/^(stdout|stderr)$/]",
        message: 'print through output.ts (printLines, printJson): it escapes what a terminal would act on',
      }],
    },
  },
  {
    // The two places allowed to touch the terminal directly: Ink's Text wrapper and the printer.
    files: ['packages/cli-ink/src/tui/text.tsx', 'packages/cli-ink/src/output.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: deepCore, message: "import only '@keyport/core'" }] }],
      'no-restricted-syntax': 'off',
    },
  },
);
