import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checksumLine, crc24 } from '../src/checksum.js';
import { fixturePath, gpgShowOnly, hasGpg, malformed, manifest, startHkpFixture, tempGnupgHome } from '../src/index.js';

describe('fixtures, checked by GnuPG', () => {
  it('every key file holds the key its manifest entry names', () => {
    if (!hasGpg()) throw new Error('gnupg is required (apt-get install gnupg)');
    for (const [name, fx] of Object.entries(manifest)) {
      const listed = gpgShowOnly(fixturePath(fx.file));
      expect(listed.map((k) => k.fingerprint), name).toEqual([fx.fingerprint]);
      expect(listed[0]!.userIds.map((u) => u.userId).sort(), name).toEqual([...fx.userIds].sort());
    }
    expect(gpgShowOnly(fixturePath(manifest.expired.file))[0]!.validity).toBe('e');
    expect(gpgShowOnly(fixturePath(manifest.revoked.file))[0]!.validity).toBe('r');
  });

  it.each(['truncatedArmor', 'badCrc', 'garbage', 'truncatedBinary'] as const)('%s is refused by GnuPG too', (name) => {
    const r = spawnSync('gpg', ['--batch', '--import', fixturePath(malformed[name])], { env: { ...process.env, GNUPGHOME: tempGnupgHome() } });
    expect(r.status).not.toBe(0);
  });
});

describe('the HKP fixture answers op=get as the real servers armor it', () => {
  // The real Debian SKS sends no armor headers, base64 lines of 72 characters and a CRC-24 line;
  // Go's armor encoder (Hockeypuck) 64 and the CRC line. gpg 2.2 cannot read an answer without it.
  it.each([
    ['sks', 72],
    ['hockeypuck-2.4', 64],
  ] as const)('%s: lines of %i characters, a right CRC-24 line, and gpg --recv-keys takes every key', async (dialect, width) => {
    if (!hasGpg()) throw new Error('gnupg is required (apt-get install gnupg)');
    const keys = [manifest.ed25519, manifest.rsa4096];
    const hkp = await startHkpFixture({ dialect, keys: keys.map((k) => readFileSync(fixturePath(k.file), 'utf8')) });
    try {
      const answer = await (await fetch(`${hkp.url}/pks/lookup?op=get&options=mr&search=0x${manifest.rsa4096.fingerprint}`)).text();
      const lines = answer.trimEnd().split('\n');
      expect(lines[1]).toBe('');
      const checksumAt = lines.findIndex((l) => l.startsWith('='));
      const body = lines.slice(2, checksumAt);
      expect(body.slice(0, -1).every((l) => l.length === width)).toBe(true);
      expect(lines[checksumAt]).toBe(checksumLine(crc24(Buffer.from(body.join(''), 'base64'))));
      const home = tempGnupgHome();
      try {
        // Not spawnSync: the fixture answers dirmngr from this process.
        const r = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
          const child = spawn('gpg', ['--batch', '--keyserver', hkp.url.replace(/^http:/, 'hkp:'), '--recv-keys', ...keys.map((k) => k.fingerprint)], { env: { ...process.env, GNUPGHOME: home } });
          let stderr = '';
          child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
          child.on('close', (status) => resolve({ status, stderr }));
        });
        expect(r.status, r.stderr).toBe(0);
        const held = spawnSync('gpg', ['--batch', '--with-colons', '--list-keys'], { env: { ...process.env, GNUPGHOME: home }, encoding: 'utf8' }).stdout;
        for (const k of keys) expect(held).toContain(`fpr:::::::::${k.fingerprint}:`);
      } finally {
        spawnSync('gpgconf', ['--homedir', home, '--kill', 'all']);
      }
    } finally {
      await hkp.stop();
    }
  }, 60_000);
});
