#!/usr/bin/env node
/**
 * Bundles the CLI into dist/bundle/: one file to load instead of a few hundred ES modules cuts
 * about 0.1 s from every start (measured on `keyport --version` and `keyport list`). Ink and
 * React are bundled too, in production mode, into the chunk that only the TUI loads: resolving
 * their modules one by one and React's development build made the first frame take a second.
 * The merge worker is its own entry,
 * next to the chunk that starts it (core resolves it relative to its own module).
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Yoga (Ink's layout engine) embeds its WebAssembly as a data: URL and, whenever `fetch` exists,
 * fetches it: that loads Node's whole fetch implementation (about 20 ms before the first frame)
 * only to decode base64. Telling it `fetch` is absent takes its own synchronous decoder instead.
 */
const yogaWithoutFetch = {
  name: 'yoga-without-fetch',
  setup(b) {
    b.onLoad({ filter: /yoga-wasm-base64-esm\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const patched = source.replaceAll('"function"!=typeof fetch', 'true');
      if (patched === source) throw new Error(`bundle: ${args.path} no longer tests typeof fetch; review the yoga patch`);
      return { contents: patched, loader: 'js' };
    });
  },
};

/**
 * KEYPORT_LEAVE_OUT=hkp,keyserversync,wkd,gnupg builds keyport without those built-in plugins: their
 * packages are replaced by an empty module, so none of their code is in the bundle (CI builds
 * each variant and checks the rest works without it: test/leave-out.test.ts).
 */
const BUILTIN_PACKAGES = { hkp: '@keyport/plugin-hkp', keyserversync: '@keyport/plugin-keyserversync', wkd: '@keyport/plugin-wkd', gnupg: '@keyport/plugin-gnupg' };
const leaveOut = (process.env.KEYPORT_LEAVE_OUT ?? '').split(',').map((s) => s.trim()).filter(Boolean);
for (const id of leaveOut) if (!BUILTIN_PACKAGES[id]) throw new Error(`bundle: KEYPORT_LEAVE_OUT names "${id}", not one of ${Object.keys(BUILTIN_PACKAGES).join(', ')}`);
const leftOutPackages = new Set(leaveOut.map((id) => BUILTIN_PACKAGES[id]));
const leaveOutPlugins = {
  name: 'leave-out-plugins',
  setup(b) {
    b.onResolve({ filter: /^@keyport\/plugin-/ }, (args) => (leftOutPackages.has(args.path) ? { path: args.path, namespace: 'left-out' } : undefined));
    // plugins.ts reads each built-in plugin as the package's default export; undefined means "not built in".
    b.onLoad({ filter: /.*/, namespace: 'left-out' }, () => ({ contents: 'export default undefined;', loader: 'js' }));
  },
};

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const coreDist = path.dirname(fileURLToPath(import.meta.resolve('@keyport/core')));
// KEYPORT_BUNDLE_OUTDIR: where a variant goes (the default build stays in dist/bundle).
const outdir = process.env.KEYPORT_BUNDLE_OUTDIR ? path.resolve(process.env.KEYPORT_BUNDLE_OUTDIR) : path.join(pkgDir, 'dist/bundle');
rmSync(outdir, { recursive: true, force: true });
await build({
  // `core` is what third-party plugins get for `import '@keyport/core'`: with splitting it shares
  // its chunks with the CLI, so a plugin and keyport use one copy of core.
  entryPoints: {
    keyport: path.join(pkgDir, 'dist/bin.js'),
    'merge-worker': path.join(coreDist, 'keyring/merge-worker.js'),
    core: path.join(coreDist, 'index.js'),
  },
  define: { KEYPORT_BUNDLE: 'true', 'process.env.NODE_ENV': '"production"' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Ink loads the React devtools bridge only in development mode, which the bundle never is.
  external: ['react-devtools-core'],
  // Bundled CommonJS dependencies call require(); ESM output has none of its own.
  banner: { js: "import { createRequire as __keyportRequire } from 'node:module'; const require = __keyportRequire(import.meta.url);" },
  logLevel: 'warning',
  // Less to parse at start; names stay so stack traces and profiles remain readable.
  minifyWhitespace: true,
  minifySyntax: true,
  plugins: [yogaWithoutFetch, leaveOutPlugins],
});
