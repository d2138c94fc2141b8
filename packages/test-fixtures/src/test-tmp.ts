import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A vitest globalSetup (`globalSetup: ['../test-fixtures/dist/test-tmp.js']` in a package's
 * vitest.config.ts): every temporary folder a test run makes goes under one fresh TMPDIR, which is
 * removed when the run ends, after stopping the gpg-agent and dirmngr of any GnuPG home in it.
 * Tests that forget to clean up, or that crash before they can, leave nothing behind.
 */
export function setup(): () => void {
  const previous = process.env.TMPDIR;
  // Short, so GnuPG's and tmux's socket paths under it stay within the 108-byte limit.
  const root = mkdtempSync(path.join(previous ?? os.tmpdir(), 'kpt-'));
  process.env.TMPDIR = root;
  return () => {
    stopGnupgDaemons(root);
    rmSync(root, { recursive: true, force: true });
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
  };
}

/** Runs `gpgconf --kill all` for every folder under `root` that holds a gpg-agent or dirmngr socket. */
function stopGnupgDaemons(root: string): void {
  const walk = (dir: string, depth: number) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    if (names.some((n) => n.startsWith('S.gpg-agent') || n === 'S.dirmngr')) spawnSync('gpgconf', ['--homedir', dir, '--kill', 'all'], { stdio: 'ignore' });
    if (depth === 0) return;
    for (const n of names) {
      const p = path.join(dir, n);
      try {
        if (statSync(p).isDirectory()) walk(p, depth - 1);
      } catch {
        /* removed meanwhile */
      }
    }
  };
  if (existsSync(root)) walk(root, 3);
}
