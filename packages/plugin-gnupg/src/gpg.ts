import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ErrorCodes, KeyringError, KeyportError } from '@keyport/core';

/** The oldest GnuPG the store drives: 2.2 has every option it uses. */
export const MIN_GPG_VERSION = [2, 2] as const;

/** Where the GnuPG home and program come from; every field is optional. */
export interface GnupgLocationOptions {
  /** The setting `gnupg.homedir`. */
  homedir?: string;
  /** The setting `gnupg.program`. */
  program?: string;
  env?: NodeJS.ProcessEnv;
}

/** The GnuPG home: `GNUPGHOME`, else the setting `gnupg.homedir`, else `~/.gnupg`; it must exist. */
export function resolveGnupgHome(options: GnupgLocationOptions = {}): string {
  const env = options.env ?? process.env;
  const home = path.resolve(env.GNUPGHOME || options.homedir || path.join(env.HOME ?? os.homedir(), '.gnupg'));
  let isDir = false;
  try {
    isDir = statSync(home).isDirectory();
  } catch {}
  if (!isDir) {
    throw new KeyringError(ErrorCodes.GnupgHomeMissing, `the GnuPG home ${home} does not exist`, {
      nextStep: 'run gpg once to create it, or set GNUPGHOME (or the setting gnupg.homedir) to your GnuPG home',
    });
  }
  return home;
}

/**
 * The gpg program: the setting `gnupg.program`, else the `gpg` component of
 * `gpgconf --list-components` (as GPGME finds it), else `gpg` on PATH.
 */
export function findGpgProgram(options: GnupgLocationOptions = {}): string {
  const missing = (detail: string) =>
    new KeyringError(ErrorCodes.GnupgMissing, `GnuPG (gpg) cannot be found: ${detail}`, {
      nextStep: 'install GnuPG 2.2 or newer (apt-get install gnupg), or set the setting gnupg.program to the gpg to use',
    });
  if (options.program) {
    if (!existsSync(options.program)) throw missing(`gnupg.program is ${options.program}, which does not exist`);
    return options.program;
  }
  const env = options.env ?? process.env;
  const listed = spawnSync('gpgconf', ['--list-components'], { env, encoding: 'utf8' });
  if (listed.status === 0) {
    for (const line of listed.stdout.split('\n')) {
      const [name, , program] = line.split(':');
      if (name === 'gpg' && program) return decodeURIComponent(program);
    }
  }
  const onPath = spawnSync('gpg', ['--version'], { env, encoding: 'utf8' });
  if (onPath.status === 0) return 'gpg';
  throw missing('neither gpgconf nor gpg is on PATH');
}

/** The version of `program` (`gpg --version`), refused when older than {@link MIN_GPG_VERSION}. */
export function checkGpgVersion(program: string, env: NodeJS.ProcessEnv = process.env): string {
  const run = spawnSync(program, ['--version'], { env: { ...env, LC_ALL: 'C' }, encoding: 'utf8' });
  const version = /^gpg \(GnuPG[^)]*\) (\d+)\.(\d+)(\.\d+)?/m.exec(run.stdout ?? '');
  if (run.error || !version) {
    throw new KeyringError(ErrorCodes.GnupgMissing, `${program} does not run as GnuPG's gpg`, {
      nextStep: 'install GnuPG 2.2 or newer, or set the setting gnupg.program to the gpg to use',
    });
  }
  const [major, minor] = [Number(version[1]), Number(version[2])];
  if (major < MIN_GPG_VERSION[0] || (major === MIN_GPG_VERSION[0] && minor < MIN_GPG_VERSION[1])) {
    throw new KeyringError(ErrorCodes.GnupgTooOld, `${program} is GnuPG ${version[1]}.${version[2]}${version[3] ?? ''}; keyport needs 2.2 or newer`, {
      nextStep: 'install GnuPG 2.2 or newer, or set the setting gnupg.program to a newer gpg',
    });
  }
  return `${version[1]}.${version[2]}${version[3] ?? ''}`;
}

/** What one gpg run gave. */
export interface GpgRun {
  status: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Options of {@link runGpg}. */
export interface GpgRunOptions {
  input?: Uint8Array;
  /** How long to wait for a lock or gpg-agent before giving up (ms). */
  lockTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** stderr that says gpg-agent cannot be reached. */
const AGENT_GONE = /can't connect to the agent|no gpg-agent running/i;
/** stderr lines that mean another program holds GnuPG's lock (keydb_search's "Resource temporarily unavailable" too) or the agent is unavailable. */
const BUSY = new RegExp(`waiting for lock|${AGENT_GONE.source}|Resource temporarily unavailable`, 'i');

/**
 * Runs gpg on `home` with the arguments mature wrappers use (batch, no tty, C locale). A run
 * still waiting for a lock after `lockTimeoutMs` is stopped and reported as KP1803.
 */
export async function runGpg(program: string, home: string, args: readonly string[], options: GpgRunOptions = {}): Promise<GpgRun> {
  const reading = !args.includes('--import');
  for (let attempt = 1; ; attempt++) {
    const run = await runGpgOnce(program, home, args, options);
    const between =
      (run.status !== 0 && (KEYRING_BETWEEN_RENAMES.test(run.stderr) || (reading && KEYBOX_HALF_WRITTEN.test(run.stderr)))) || (reading && KEYBOX_CREATED.test(run.stderr));
    if (!between || attempt === KEYRING_RENAME_ATTEMPTS) return run;
    await new Promise((resolve) => setTimeout(resolve, 25 * attempt));
  }
}

/**
 * gpg replaces pubring.kbx by two renames (the old file to pubring.kbx~, the new one into
 * place), so a gpg that reads while another gpg writes can find no keyring at all; gpg's
 * readers take no lock. Such a run is repeated: the keyring is back within milliseconds.
 */
const KEYRING_BETWEEN_RENAMES = /keydb_search\w* failed: No such file or directory|keyblock resource '[^']*': No such file or directory/;
/**
 * A reader in that window may instead create an empty keybox and read nothing, with exit
 * status 0 (gpg 2.2.40: "keybox '…/pubring.kbx' created", then an empty listing or "nothing
 * exported"). A read that says so is repeated; in a new home the repeat reads the same empty
 * keyring. An import is not repeated for it: gpg creates the keybox on a first import too.
 */
const KEYBOX_CREATED = /keybox '[^']*' created/;
/**
 * Or it opens the keybox while the writer is still replacing it and reads a cut packet (seen in
 * a full test run: "keydb_search_first failed: Invalid packet"). For a read that is the same
 * window and is repeated; an import that says so is reported, never repeated.
 */
const KEYBOX_HALF_WRITTEN = /keydb_search\w* failed: Invalid packet/;
const KEYRING_RENAME_ATTEMPTS = 5;

function runGpgOnce(program: string, home: string, args: readonly string[], options: GpgRunOptions): Promise<GpgRun> {
  const lockTimeoutMs = options.lockTimeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(program, ['--homedir', home, '--batch', '--no-tty', ...args], {
      env: { ...(options.env ?? process.env), LC_ALL: 'C', GNUPGHOME: home },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    let busy = false;
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
      // Only a wait that lasts is "in the way": gpg waits for short-lived locks itself.
      if (!timer && BUSY.test(stderr)) {
        timer = setTimeout(() => {
          busy = true;
          child.kill('SIGTERM');
        }, lockTimeoutMs);
      }
    });
    child.on('error', (error) =>
      reject(new KeyringError(ErrorCodes.GnupgMissing, `cannot run ${program}: ${error.message}`, { cause: error, nextStep: 'install GnuPG 2.2 or newer, or set the setting gnupg.program' })),
    );
    child.on('close', (status) => {
      if (timer) clearTimeout(timer);
      if (busy || (status !== 0 && AGENT_GONE.test(stderr))) {
        reject(busyError(home, stderr));
        return;
      }
      resolve({ status, stdout: Buffer.concat(out), stderr });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ? Buffer.from(options.input) : undefined);
  });
}

function busyError(home: string, stderr: string): KeyportError {
  const line = stderr.split('\n').find((l) => BUSY.test(l))?.trim() ?? 'gpg is waiting';
  return new KeyringError(ErrorCodes.GnupgBusy, `GnuPG home ${home} is busy: ${line}`, {
    retryable: true,
    nextStep: `wait for the other GnuPG program to finish (or run gpgconf --homedir ${home} --kill all), then retry`,
  });
}

/** gpg's last words: the last non-empty line of its stderr. */
export function lastStderrLine(stderr: string): string | undefined {
  return stderr.trim().split('\n').filter(Boolean).at(-1);
}

/** A gpg run that failed, as a coded error quoting gpg's last words. */
export function gpgFailed(what: string, run: GpgRun): KeyportError {
  const last = lastStderrLine(run.stderr) ?? `exit status ${run.status}`;
  return new KeyringError(ErrorCodes.GnupgFailed, `gpg could not ${what}: ${last}`, {
    nextStep: 'run the same gpg command by hand to see the whole message',
  });
}
