import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { EmbeddedKeyring, ImportPipeline } from '../src/index.js';

const homes: string[] = [];
// Registered in every test file that imports this one: its keyrings go after each test.
afterEach(() => {
  for (const dir of homes.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** An empty embedded keyring in a temporary folder (removed after the test) and its import pipeline. */
export function freshKeyring(): { dir: string; keyring: EmbeddedKeyring; importer: ImportPipeline } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keyport-test-keyring-'));
  homes.push(dir);
  const keyring = new EmbeddedKeyring(dir);
  return { dir, keyring, importer: new ImportPipeline(keyring) };
}
