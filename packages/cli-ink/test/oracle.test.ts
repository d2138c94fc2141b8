import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEBIAN_KEYRING, KEYS_DIR, fixturePath, gpgShowOnly, hasGpg, type GpgKey } from '@keyport/test-fixtures';
import { keyport, keyportJson, tempHome } from './helpers.js';

interface ListedKey {
  fingerprint: string;
  userIds: string[];
  created: string;
  expires: string | null;
  expired: boolean;
  revoked: boolean;
  userIdDetails: { userId: string; validity: string }[];
  subkeys: { fingerprint: string }[];
}

/** gpg's uid validity field as keyport names it: `r` revoked, `e` expired, the rest (no trust computed) valid. */
const fromGpg = (validity: string) => (validity === 'r' ? 'revoked' : validity === 'e' ? 'expired' : 'valid');

const seconds = (iso: string | null) => (iso === null ? null : Date.parse(iso) / 1000);

/** Compares keyport's listing with GnuPG's, field by field; returns the differences. */
function compare(ours: ListedKey[], theirs: GpgKey[]): string[] {
  const problems: string[] = [];
  const byFpr = new Map(theirs.map((k) => [k.fingerprint, k]));
  if (ours.length !== byFpr.size) problems.push(`keyport lists ${ours.length} keys, gpg ${byFpr.size}`);
  for (const k of ours) {
    const g = byFpr.get(k.fingerprint);
    if (!g) {
      problems.push(`${k.fingerprint}: not listed by gpg`);
      continue;
    }
    if (seconds(k.created) !== g.created) problems.push(`${k.fingerprint}: created ${k.created} vs ${g.created}`);
    if (seconds(k.expires) !== g.expires) problems.push(`${k.fingerprint}: expires ${k.expires} vs ${g.expires}`);
    if (k.revoked !== (g.validity === 'r')) problems.push(`${k.fingerprint}: revoked ${k.revoked} vs validity ${g.validity}`);
    if (!k.revoked && k.expired !== (g.validity === 'e')) problems.push(`${k.fingerprint}: expired ${k.expired} vs validity ${g.validity}`);
    const a = [...k.userIds].sort();
    const b = g.userIds.map((u) => u.userId).sort();
    if (JSON.stringify(a) !== JSON.stringify(b)) problems.push(`${k.fingerprint}: user IDs ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    const va = k.userIdDetails.map((u) => `${u.validity} ${u.userId}`).sort();
    const vb = g.userIds.map((u) => `${fromGpg(u.validity)} ${u.userId}`).sort();
    if (JSON.stringify(va) !== JSON.stringify(vb)) problems.push(`${k.fingerprint}: user ID validity ${JSON.stringify(va)} vs ${JSON.stringify(vb)}`);
    const sa = k.subkeys.map((s) => s.fingerprint).sort();
    const sb = g.subkeys.map((s) => s.fingerprint).sort();
    if (JSON.stringify(sa) !== JSON.stringify(sb)) problems.push(`${k.fingerprint}: subkeys differ`);
  }
  return problems;
}

describe('GnuPG agrees with keyport', () => {
  it('on every fixture key', () => {
    if (!hasGpg()) throw new Error('gnupg is required (apt-get install gnupg)');
    for (const name of readdirSync(KEYS_DIR).filter((n) => n.endsWith('.pub.asc'))) {
      const home = tempHome();
      expect(keyport(['import', '--file', fixturePath(name)], { home }).status).toBe(0);
      expect(compare(keyportJson<ListedKey[]>(['list'], { home }), gpgShowOnly(fixturePath(name))), name).toEqual([]);
    }
  });

  it('on the Debian keyring: fingerprints, user IDs, creation, expiry, expired and revoked', () => {
    if (!existsSync(DEBIAN_KEYRING)) throw new Error(`${DEBIAN_KEYRING} is missing (apt-get install debian-keyring)`);
    const home = tempHome();
    const report = keyportJson<{ summary: { new: number; rejected: number } }>(['import', '--file', DEBIAN_KEYRING], { home });
    const theirs = gpgShowOnly(DEBIAN_KEYRING);
    expect(theirs.length).toBeGreaterThan(500);
    expect(report.summary).toMatchObject({ new: theirs.length, rejected: 0 });
    const ours = keyportJson<ListedKey[]>(['list'], { home });
    expect(compare(ours, theirs)).toEqual([]);

    // A second import changes nothing, not even the index file.
    const again = keyportJson<{ summary: Record<string, number> }>(['import', '--file', DEBIAN_KEYRING], { home });
    expect(again.summary).toEqual({ new: 0, updated: 0, unchanged: theirs.length, rejected: 0 });

    // `show` of an expired key brackets each user ID the way gpg's validity field says.
    const expired = theirs.find((k) => k.validity === 'e' && k.userIds.length > 1)!;
    const shown = keyport(['show', expired.fingerprint], { home });
    expect(shown.stdout).toMatch(/^Public key \[expired\]\n/);
    const lines = shown.stdout.split('\n').filter((l) => /^ {4}\[ *[a-z]+\] /.test(l) && !/[0-9A-F]{40}/.test(l));
    const bracketed = lines.map((l) => l.trim().replace(/ \(primary\)$/, '').replace(/^\[ *([a-z]+)\] /, '$1 ')).sort();
    expect(bracketed).toEqual(expired.userIds.map((u) => `${fromGpg(u.validity)} ${u.userId}`).sort());
    expect(lines.every((l) => l.startsWith('    [ expired] ') || l.startsWith('    [ revoked] '))).toBe(true);
    rmSync(home, { recursive: true, force: true });
  }, 180_000);

  it('on the Debian keyring twice in one stream: every key reported once', () => {
    if (!existsSync(DEBIAN_KEYRING)) throw new Error(`${DEBIAN_KEYRING} is missing (apt-get install debian-keyring)`);
    const home = tempHome();
    const keyring = readFileSync(DEBIAN_KEYRING);
    const report = keyportJson<{ results: unknown[]; summary: Record<string, number> }>(['import', '--file', '-'], { home, input: Buffer.concat([keyring, keyring]) });
    const keys = gpgShowOnly(DEBIAN_KEYRING).length;
    expect(report.summary).toEqual({ new: keys, updated: 0, unchanged: 0, rejected: 0 });
    expect(report.results).toHaveLength(keys);
    rmSync(home, { recursive: true, force: true });
  }, 180_000);
});
