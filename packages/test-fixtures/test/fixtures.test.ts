import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { fixturePath, gpgShowOnly, hasGpg, malformed, manifest, tempGnupgHome } from '../src/index.js';

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
