import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEBIAN_KEYRING, hasGpg, removeGnupgHomes, tempGnupgHome } from '@keyport/test-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes, matchesListPattern, parseListPattern, readPackets, splitCertificates, summarize, writePackets, type KeySummary } from '../src/index.js';
import { certificatePackets, screenCertificate } from '../src/openpgp/certificate.js';

// gpg is the oracle: the same patterns given to `gpg --list-keys` on the same keys (the first 40
// keys of the Debian keyring, written to a keyring file of their own) must list the same keys.

const dirs: string[] = [];
let keyringFile: string;
let summaries: KeySummary[];

function gpgList(pattern: string): { status: number | null; fingerprints: string[] } {
  const r = spawnSync('gpg', ['--batch', '--utf8-strings', '--no-default-keyring', '--keyring', keyringFile, '--with-colons', '--list-keys', '--', pattern], {
    env: { ...process.env, GNUPGHOME: tempGnupgHome(), LC_ALL: 'C' },
    encoding: 'latin1',
  });
  const lines = r.stdout.split('\n');
  const fingerprints = lines.filter((l, i) => l.startsWith('fpr') && lines[i - 1]?.startsWith('pub')).map((l) => l.split(':')[9]!);
  return { status: r.status, fingerprints };
}
const ours = (pattern: string) => summaries.filter((s) => matchesListPattern(s, pattern)).map((s) => s.fingerprint);

describe.skipIf(!hasGpg() || !existsSync(DEBIAN_KEYRING))('list patterns', () => {
  beforeAll(async () => {
    const certs = splitCertificates(readPackets(new Uint8Array(readFileSync(DEBIAN_KEYRING)))).certificates.slice(0, 40);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'keyport-list-pattern-'));
    dirs.push(dir);
    keyringFile = path.join(dir, 'keys.gpg');
    writeFileSync(keyringFile, writePackets(certs.flatMap((c) => certificatePackets(c.parts))));
    summaries = [];
    for (const c of certs) summaries.push(await summarize((await screenCertificate(c.parts, { stripThirdParty: true })).parts, { trustSelfSignatures: true }));
  }, 60_000);
  afterAll(() => {
    removeGnupgHomes();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('lists the same keys as gpg --list-keys PATTERN', () => {
    const first = summaries[0]!;
    const second = summaries[1]!;
    const address = second.userIds.find((u) => u.email)!.email!;
    const name = first.userIds[0]!.userId.split(' ')[0]!;
    const withSubkey = summaries.find((s) => s.subkeys.length > 0)!;
    const patterns = [
      name.toUpperCase(),
      'debian',
      'DEBIAN.ORG',
      `<${address.toUpperCase()}>`,
      `<${address.slice(1)}>`,
      '@debian.org',
      `@${address.split('@')[0]}`,
      first.fingerprint,
      first.fingerprint.toLowerCase().match(/.{4}/g)!.join(' '),
      `0x${first.keyId}`,
      first.keyId.slice(-8).toLowerCase(),
      `${withSubkey.subkeys[0]!.keyId}!`,
      withSubkey.subkeys[0]!.fingerprint,
      `=${second.userIds[0]!.userId}`,
      `=${second.userIds[0]!.userId.toLowerCase()}`,
      'no such person at all',
    ];
    let matched = 0;
    for (const pattern of patterns) {
      const gpg = gpgList(pattern);
      expect(ours(pattern).sort(), pattern).toEqual(gpg.fingerprints.sort());
      if (gpg.fingerprints.length > 0) matched++;
    }
    // All but four match something: the partial address, the wrongly-cased exact user ID, the
    // made-up name and the upper-cased name, which has a non-ASCII letter (gpg folds ASCII only).
    expect(matched).toBe(patterns.length - 4);
  });

  it('refuses, with a usage code, the patterns gpg refuses', () => {
    for (const pattern of ['0xZZZZ', '0x1234', '#12', '&ABCDEF', '<unclosed@example.org']) {
      expect(() => parseListPattern(pattern), pattern).toThrow(expect.objectContaining({ code: ErrorCodes.Usage }));
    }
  });

  it('classifies the common forms', () => {
    expect(parseListPattern('')).toEqual({ kind: 'all' });
    expect(parseListPattern('DEADBEEF')).toEqual({ kind: 'short-key-id', hex: 'DEADBEEF' });
    expect(parseListPattern('0xdeadbeefdeadbeef')).toEqual({ kind: 'key-id', hex: 'DEADBEEFDEADBEEF' });
    expect(parseListPattern('ABCD 1234 ABCD 1234 ABCD  1234 ABCD 1234 ABCD 1234')).toEqual({ kind: 'fingerprint', hex: 'ABCD1234'.repeat(5) });
    expect(parseListPattern('Alice')).toEqual({ kind: 'substring', text: 'alice' });
    expect(parseListPattern('@Example.org')).toEqual({ kind: 'email-part', text: 'example.org' });
    expect(parseListPattern('cafe')).toEqual({ kind: 'substring', text: 'cafe' });
  });
});
