#!/usr/bin/env node
/**
 * Bundles the CLI into dist/bundle/: one file to load instead of a few hundred ES modules cuts
 * about 0.1 s from every start (measured on `keyport --version` and `keyport list`). Ink and
 * React stay external and load only when the TUI opens. The merge worker is its own entry,
 * next to the chunk that starts it (core resolves it relative to its own module).
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const coreDist = path.dirname(fileURLToPath(import.meta.resolve('@keyport/core')));
const outdir = path.join(pkgDir, 'dist/bundle');
rmSync(outdir, { recursive: true, force: true });
await build({
  // `core` is what third-party plugins get for `import '@keyport/core'`: with splitting it shares
  // its chunks with the CLI, so a plugin and keyport use one copy of core.
  entryPoints: {
    keyport: path.join(pkgDir, 'dist/bin.js'),
    'merge-worker': path.join(coreDist, 'keyring/merge-worker.js'),
    core: path.join(coreDist, 'index.js'),
  },
  define: { KEYPORT_BUNDLE: 'true' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['ink', 'react', 'react/*', 'ink-*'],
  // Bundled CommonJS dependencies call require(); ESM output has none of its own.
  banner: { js: "import { createRequire as __keyportRequire } from 'node:module'; const require = __keyportRequire(import.meta.url);" },
  logLevel: 'warning',
});
