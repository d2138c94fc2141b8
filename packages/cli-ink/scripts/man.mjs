#!/usr/bin/env node
/**
 * Writes dist/man/keyport.1 (the package's `man` field, so `man keyport` works after a global
 * install) from the built CLI's own command definitions: `keyport man-page` generates it.
 * A temporary home keeps the build from reading or creating the builder's settings.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const home = mkdtempSync(path.join(os.tmpdir(), 'keyport-man-'));
try {
  const page = execFileSync(process.execPath, [path.join(pkgDir, 'dist/bundle/keyport.js'), '--home', home, 'man-page'], { encoding: 'utf8' });
  mkdirSync(path.join(pkgDir, 'dist/man'), { recursive: true });
  writeFileSync(path.join(pkgDir, 'dist/man/keyport.1'), page);
} finally {
  rmSync(home, { recursive: true, force: true });
}
