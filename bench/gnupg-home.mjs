/**
 * The GnuPG home holding the Debian keyring that the `gnupg` and `tui` benches work on.
 * Importing 905 keys into a new pubring.kbx takes minutes, so it is prepared once and kept
 * (marked complete) in the temporary folder, `$TMPDIR/keyport-bench-gnupg/debian`; every bench
 * works on a `cp -a` copy of it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The folder of the prepared homes (the `gnupg` bench keeps its older copy there too). */
export const GNUPG_BENCH_CACHE = path.join(os.tmpdir(), 'keyport-bench-gnupg');

export const gnupgEnv = (home) => ({ ...process.env, GNUPGHOME: home, LC_ALL: 'C' });
export const gpgIn = (home, args, input) =>
  execFileSync('gpg', ['--batch', '--no-tty', '--quiet', ...args], { env: gnupgEnv(home), input, maxBuffer: 512 << 20, stdio: [input ? 'pipe' : 'ignore', 'pipe', 'ignore'] });
export const stopAgents = (home) => spawnSync('gpgconf', ['--homedir', home, '--kill', 'all'], { stdio: 'ignore' });

/** The prepared home with every key of `keyringFile` (made now when it is missing or incomplete). */
export function debianGnupgHome(keyringFile) {
  const full = path.join(GNUPG_BENCH_CACHE, 'debian');
  if (!existsSync(`${full}.complete`)) {
    // What was derived from an incomplete home goes with it.
    rmSync(GNUPG_BENCH_CACHE, { recursive: true, force: true });
    mkdirSync(full, { recursive: true, mode: 0o700 });
    gpgIn(full, ['--import', keyringFile]);
    stopAgents(full);
    writeFileSync(`${full}.complete`, '');
  }
  return full;
}

/** A `cp -a` copy of `home` at `dir` (which must not exist), for a bench to change or time. */
export function copyOfHome(home, dir) {
  execFileSync('cp', ['-a', home, dir]);
  return dir;
}
