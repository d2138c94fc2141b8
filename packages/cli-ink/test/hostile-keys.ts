import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tempGnupgHome } from '@keyport/test-fixtures';

const ESC = '\u001b';
const BEL = '\u0007';

/**
 * User IDs that try to drive a terminal, one class each: what keyport must show escaped.
 * `word` is in every one (searches find them all); `name` tells them apart on screen.
 */
export const HOSTILE_USER_IDS = {
  title: `Title ${ESC}]0;PWNED-TITLE${BEL}${ESC}]2;PWNED-TWO${ESC}\\ <title@hostile.example>`,
  clipboard: `Clip ${ESC}]52;c;ZWNobyBwd25lZA==${BEL} <clip@hostile.example>`,
  colour: `Colour ${ESC}[31mred${ESC}[8mhidden${ESC}[0m \u009b7m <sgr@hostile.example>`,
  rows: `Rows one\r\nrow two <rows@hostile.example>`,
  bidi: `Bidi \u202Eexe.txt\u202C \u2066iso\u2069 <bidi@hostile.example>`,
} as const;

/** What each hostile user ID must look like on a terminal (escapeForTerminal's notation). */
export const SHOWN_USER_IDS: Record<keyof typeof HOSTILE_USER_IDS, string> = {
  title: 'Title \\x1b]0;PWNED-TITLE\\x07\\x1b]2;PWNED-TWO\\x1b\\ <title@hostile.example>',
  clipboard: 'Clip \\x1b]52;c;ZWNobyBwd25lZA==\\x07 <clip@hostile.example>',
  colour: 'Colour \\x1b[31mred\\x1b[8mhidden\\x1b[0m \\u{009B}7m <sgr@hostile.example>',
  rows: 'Rows one\\x0d\\x0arow two <rows@hostile.example>',
  bidi: 'Bidi \\u{202E}exe.txt\\u{202C} \\u{2066}iso\\u{2069} <bidi@hostile.example>',
};

/**
 * What each hostile user ID looks like where keys are listed (list, show, the TUI's key list and
 * details): as above, and a backslash as `\x5c` (userIdForDisplay), so the title's string
 * terminator ESC \ reads `\x1b\x5c`.
 */
export const LISTED_USER_IDS: Record<keyof typeof HOSTILE_USER_IDS, string> = {
  ...SHOWN_USER_IDS,
  title: 'Title \\x1b]0;PWNED-TITLE\\x07\\x1b]2;PWNED-TWO\\x1b\\x5c <title@hostile.example>',
};

/**
 * Anything a terminal would act on rather than show: C0 controls except LF (which ends
 * keyport's own rows), DEL, C1 controls and bidirectional formatting characters.
 */
// eslint-disable-next-line no-control-regex -- these are what must never reach the terminal
export const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/**
 * Certificates with one hostile user ID each, all in one armored block and one block per key
 * (fingerprints by name), made by gpg (which accepts such user IDs and
 * shows them escaped). The GnuPG home and its agent are gone when this returns.
 */
export function hostileKeys(): { armored: string; certificates: string[]; fingerprints: Record<keyof typeof HOSTILE_USER_IDS, string> } {
  const home = tempGnupgHome();
  const env = { ...process.env, GNUPGHOME: home, LC_ALL: 'C' };
  const gpg = (args: string[]) => execFileSync('gpg', ['--batch', '--no-tty', '--quiet', '--pinentry-mode', 'loopback', '--passphrase', '', '--utf8-strings', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const fingerprints = {} as Record<keyof typeof HOSTILE_USER_IDS, string>;
    for (const [name, uid] of Object.entries(HOSTILE_USER_IDS) as [keyof typeof HOSTILE_USER_IDS, string][]) {
      gpg(['--quick-gen-key', uid, 'ed25519', 'sign', 'never']);
      const colons = gpg(['--with-colons', '--list-keys', `<${uid.slice(uid.lastIndexOf('<') + 1, -1)}>`]).toString('latin1');
      fingerprints[name] = /^fpr:+([0-9A-F]{40}):/m.exec(colons)![1]!;
    }
    const certificates = Object.values(fingerprints).map((fpr) => gpg(['--armor', '--export', fpr]).toString('utf8'));
    return { armored: gpg(['--armor', '--export']).toString('utf8'), certificates, fingerprints };
  } finally {
    spawnSync('gpgconf', ['--homedir', home, '--kill', 'all'], { stdio: 'ignore' });
    rmSync(home, { recursive: true, force: true });
  }
}
