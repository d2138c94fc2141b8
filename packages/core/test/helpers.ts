import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
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

/** Hash of every file under `dir` by relative path (empty when `dir` is missing): proves "changes no byte". */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[path.relative(dir, p)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  try {
    walk(dir);
  } catch {
    /* missing dir: empty snapshot */
  }
  return out;
}

/** mulberry32: a small deterministic generator (the same inputs on every run); numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
