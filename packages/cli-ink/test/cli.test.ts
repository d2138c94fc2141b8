import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixturePath, gpg, hasGpg, malformed, manifest, parseColons, tempGnupgHome } from '@keyport/test-fixtures';
import { readPackets, dearmorAll } from '@keyport/core';
import { keyport, keyportJson, tempHome } from './helpers.js';

interface ListedKey {
  fingerprint: string;
  keyId: string;
  algorithm: string;
  userIds: string[];
  created: string;
  expires: string | null;
  expired: boolean;
  revoked: boolean;
  hasSecret: boolean;
  subkeys: { fingerprint: string; created: string; expires: string | null; revoked: boolean; usage: string[] }[];
}

describe('keyport CLI', () => {
  it('without a terminal, a bare keyport prints help and exits 2; tui says it needs a terminal', () => {
    for (const args of [[], ['--home', tempHome()], ['--json']]) {
      const bare = keyport(args);
      expect(bare.status).toBe(2);
      expect(bare.stderr).toContain('Usage: keyport');
    }
    const tui = keyport(['tui'], { home: tempHome() });
    expect(tui.status).toBe(2);
    expect(tui.stderr).toMatch(/^keyport: KP1002 the terminal UI needs a terminal/);
  });

  it('imports from a file and from stdin, lists, shows and exports with the documented JSON', () => {
    const home = tempHome();
    const report = keyportJson<{ results: { fingerprint: string; status: string }[]; summary: Record<string, number> }>(
      ['import', '--file', fixturePath(manifest.ed25519.file)],
      { home },
    );
    expect(report).toEqual({
      results: [{ fingerprint: manifest.ed25519.fingerprint, status: 'new', reason: null, added: { userIds: 3, subkeys: 2, signatures: 0, revocations: 0 }, userIds: manifest.ed25519.userIds }],
      summary: { new: 1, updated: 0, unchanged: 0, rejected: 0 },
    });
    const viaStdin = keyportJson<{ summary: Record<string, number> }>(['import', '--file', '-'], { home, input: readFileSync(fixturePath(manifest.expired.file)) });
    expect(viaStdin.summary.new).toBe(1);

    const list = keyportJson<ListedKey[]>(['list'], { home });
    expect(list.map((k) => k.fingerprint).sort()).toEqual([manifest.ed25519.fingerprint, manifest.expired.fingerprint].sort());
    const exp = list.find((k) => k.fingerprint === manifest.expired.fingerprint)!;
    expect(exp).toMatchObject({ expired: true, revoked: false, hasSecret: false, expires: manifest.expired.expires });
    expect(Object.keys(exp).sort()).toEqual(['algorithm', 'bits', 'created', 'curve', 'expired', 'expires', 'fingerprint', 'hasSecret', 'keyId', 'revoked', 'secretPrimary', 'subkeys', 'userIdDetails', 'userIds'].sort());
    expect(keyportJson<ListedKey[]>(['list', '--filter', 'expired'], { home }).map((k) => k.fingerprint)).toEqual([manifest.expired.fingerprint]);

    const show = keyport(['show', 'eddie@example.org'], { home });
    expect(show.status).toBe(0);
    expect(show.stdout).toContain(manifest.ed25519.fingerprint.slice(0, 4));
    expect(show.stdout).toContain('Eddie (no mail)');

    const exported = keyport(['export', manifest.ed25519.keyId], { home });
    expect(exported.stdout).toMatch(/^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
  });

  it('exports keys GnuPG accepts, and never a secret packet', () => {
    if (!hasGpg()) throw new Error('gnupg is required for this test (apt-get install gnupg)');
    const home = tempHome();
    expect(keyport(['import', '--file', fixturePath(manifest.secret.secretFile!)], { home }).status).toBe(0);
    const armored = keyport(['export', manifest.secret.fingerprint], { home }).stdout;
    const tags = readPackets(dearmorAll(new TextEncoder().encode(armored))).map((p) => p.tag);
    expect(tags).not.toContain(5);
    expect(tags).not.toContain(7);
    const gnupg = tempGnupgHome();
    gpg(['--import'], { home: gnupg, input: armored });
    const listed = parseColons(gpg(['--with-colons', '--list-keys'], { home: gnupg }));
    expect(listed.map((k) => k.fingerprint)).toEqual([manifest.secret.fingerprint]);
    expect(gpg(['--with-colons', '--list-secret-keys'], { home: gnupg }).trim()).toBe('');
  });

  it.each(Object.entries(malformed))('refuses %s input with one coded line, exit 2, keyring untouched', (_name, file) => {
    const home = tempHome();
    keyport(['import', '--file', fixturePath(manifest.rsa4096.file)], { home });
    const before = keyport(['list', '--json'], { home }).stdout;
    const r = keyport(['import', '--file', fixturePath(file)], { home });
    if (file === malformed.signatureOnly) {
      // Well-formed, but the key it revokes is not here: reported per key, exit 1.
      expect(r.status).toBe(1);
      expect(r.stdout).toMatch(/rejected .*the key it revokes is not in the keyring/);
    } else {
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^keyport: KP13\d\d /);
      expect(r.stderr).toContain('next:');
    }
    expect(keyport(['list', '--json'], { home }).stdout).toBe(before);
  });

  it('says clearly when a file is missing or a key is unknown', () => {
    const home = tempHome();
    const missing = keyport(['import', '--file', '/nonexistent/file.asc'], { home });
    expect([missing.status, missing.stderr.slice(0, 16)]).toEqual([2, 'keyport: KP1303 ']);
    const unknown = keyport(['show', 'nobody@example.org'], { home });
    expect([unknown.status, unknown.stderr.slice(0, 16)]).toEqual([1, 'keyport: KP1202 ']);
    const usage = keyport(['list', '--filter', 'bogus'], { home });
    expect(usage.status).toBe(2);
    const json = keyport(['show', 'nobody@example.org', '--json'], { home });
    expect(JSON.parse(json.stdout).error).toMatchObject({ code: 'KP1202', name: 'NotFoundError' });
  });

  it('deletes only with confirmation or --yes', () => {
    const home = tempHome();
    keyport(['import', '--file', fixturePath(manifest.rsa4096.file)], { home });
    const noTty = keyport(['delete', manifest.rsa4096.fingerprint], { home });
    expect(noTty.status).toBe(2);
    expect(noTty.stderr).toContain('--yes');
    expect(keyport(['delete', manifest.rsa4096.fingerprint, '--yes'], { home }).status).toBe(0);
    expect(keyportJson<unknown[]>(['list'], { home })).toEqual([]);
  });

  it('lists, disables and enables modules, and honours --modules for one run', () => {
    const home = tempHome();
    const ids = (extra: string[] = []) =>
      keyportJson<{ id: string; state: string; source: string }[]>(['modules', 'list', ...extra], { home }).map((m) => `${m.id}:${m.state}`);
    expect(ids()).toEqual(['hkp:enabled', 'keyserversync:enabled', 'wkd:enabled', 'gnupg:enabled']);
    expect(keyport(['modules', 'disable', 'keyserversync'], { home }).status).toBe(0);
    expect(ids()).toEqual(['hkp:enabled', 'keyserversync:disabled', 'wkd:enabled', 'gnupg:enabled']);
    expect(ids(['--modules', '+keyserversync,-hkp'])).toEqual(['hkp:disabled', 'keyserversync:enabled', 'wkd:enabled', 'gnupg:enabled']);
    expect(ids()).toEqual(['hkp:enabled', 'keyserversync:disabled', 'wkd:enabled', 'gnupg:enabled']);
    expect(keyport(['modules', 'enable', 'nope'], { home }).status).toBe(2);
  });

  it('gets and sets settings, validates them and refuses a corrupt file without touching it', () => {
    const home = tempHome();
    expect(keyport(['config', 'get', 'network.perHostConcurrency'], { home }).stdout.trim()).toBe('16');
    expect(keyport(['config', 'set', 'network.perHostConcurrency', '8'], { home }).status).toBe(0);
    expect(keyport(['config', 'get', 'network.perHostConcurrency'], { home }).stdout.trim()).toBe('8');
    expect(keyport(['config', 'get', 'keyserversync.url'], { home }).stdout.trim()).toBe('https://keys.openpgp.org');
    const bad = keyport(['config', 'set', 'network.perHostConcurrency', 'many'], { home });
    expect([bad.status, bad.stderr.slice(0, 16)]).toEqual([2, 'keyport: KP1103 ']);
    const settings = path.join(home, 'settings.json');
    writeFileSync(settings, '{ broken');
    const corrupt = keyport(['config', 'set', 'network.timeoutMs', '5000'], { home });
    expect(corrupt.status).toBe(2);
    expect(corrupt.stderr).toMatch(/^keyport: KP1100 .*settings\.json is not valid JSON/);
    expect(readFileSync(settings, 'utf8')).toBe('{ broken');
    expect(keyport(['list'], { home }).status).toBe(2);
  });
});
