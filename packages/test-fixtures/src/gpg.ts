import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A key as GnuPG lists it in `--with-colons` output (the oracle the tests compare with). */
export interface GpgKey {
  fingerprint: string;
  keyId: string;
  /** Field 2 of the pub line: `r` revoked, `e` expired, others valid or unknown. */
  validity: string;
  created: number;
  expires: number | null;
  userIds: { validity: string; userId: string }[];
  subkeys: { fingerprint: string; validity: string; created: number; expires: number | null; capabilities: string }[];
}

export function hasGpg(): boolean {
  return spawnSync('gpg', ['--version'], { stdio: 'ignore' }).status === 0;
}

const gnupgHomes: string[] = [];

/** A fresh, empty GNUPGHOME; removeGnupgHomes() stops its daemons and removes it. */
export function tempGnupgHome(): string {
  const home = mkdtempSync(path.join(os.tmpdir(), 'keyport-gnupg-'));
  gnupgHomes.push(home);
  return home;
}

/** Stops the gpg-agent and dirmngr of every home tempGnupgHome() made, then removes the homes. */
export function removeGnupgHomes(): void {
  for (const home of gnupgHomes.splice(0)) {
    spawnSync('gpgconf', ['--homedir', home, '--kill', 'all'], { stdio: 'ignore' });
    rmSync(home, { recursive: true, force: true });
  }
}

export function gpg(args: string[], options: { home?: string; input?: Uint8Array | string } = {}): string {
  return execFileSync('gpg', ['--batch', '--no-tty', '--quiet', ...args], {
    env: { ...process.env, GNUPGHOME: options.home ?? tempGnupgHome(), LC_ALL: 'C' },
    input: options.input,
    maxBuffer: 512 * 1024 * 1024,
    stdio: ['pipe', 'pipe', 'ignore'],
  }).toString('latin1');
}

/** What `gpg --import-options show-only --import FILE` says the file holds. */
export function gpgShowOnly(file: string): GpgKey[] {
  return parseColons(gpg(['--with-colons', '--import-options', 'show-only', '--import', file]));
}

/** Decodes GnuPG's `\xHH` escapes; the rest of a colon field is raw UTF-8. */
function unescape(field: string): string {
  const bytes = field.replace(/\\x([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/** Parses `--with-colons` listing text (read as latin1 so bytes survive) into keys. */
export function parseColons(text: string): GpgKey[] {
  const keys: GpgKey[] = [];
  let current: GpgKey | undefined;
  let pendingSub: GpgKey['subkeys'][number] | undefined;
  for (const line of text.split('\n')) {
    const f = line.split(':');
    switch (f[0]) {
      case 'pub':
        current = { fingerprint: '', keyId: f[4]!, validity: f[1]!, created: Number(f[5]), expires: f[6] ? Number(f[6]) : null, userIds: [], subkeys: [] };
        pendingSub = undefined;
        keys.push(current);
        break;
      case 'sub':
        pendingSub = { fingerprint: '', validity: f[1]!, created: Number(f[5]), expires: f[6] ? Number(f[6]) : null, capabilities: f[11] ?? '' };
        current?.subkeys.push(pendingSub);
        break;
      case 'fpr':
        if (pendingSub && !pendingSub.fingerprint) pendingSub.fingerprint = f[9]!;
        else if (current && !current.fingerprint) current.fingerprint = f[9]!;
        break;
      case 'uid':
        current?.userIds.push({ validity: f[1]!, userId: unescape(f[9]!) });
        break;
    }
  }
  return keys;
}
