import { describe, expect, it } from 'vitest';
import { fixturePath, manifest } from '@keyport/test-fixtures';
import { keyport, keyportJson, tempHome } from './helpers.js';

describe('issue 14: many keys per command', () => {
  it('list PATTERN selects keys as gpg --list-keys PATTERN does; a bad pattern is a KP1002 line', () => {
    const home = tempHome();
    for (const key of [manifest.ed25519, manifest.expired]) {
      expect(keyport(['import', '--file', fixturePath(key.file)], { home }).status).toBe(0);
    }
    const listed = (pattern: string) => keyportJson<{ fingerprint: string }[]>(['list', pattern], { home }).map((k) => k.fingerprint);
    expect(listed('eddie@EXAMPLE.org')).toEqual([manifest.ed25519.fingerprint]);
    expect(listed(manifest.ed25519.keyId.toLowerCase())).toEqual([manifest.ed25519.fingerprint]);
    expect(listed(manifest.expired.fingerprint)).toEqual([manifest.expired.fingerprint]);
    expect(listed('no such user anywhere')).toEqual([]);
    expect(listed('').sort()).toEqual([manifest.ed25519.fingerprint, manifest.expired.fingerprint].sort());
    // The pattern and --filter narrow together.
    expect(keyportJson<{ fingerprint: string }[]>(['list', 'eddie', '--filter', 'expired'], { home })).toEqual([]);

    const human = keyport(['list', 'no such user anywhere'], { home });
    expect(human.status).toBe(0);
    expect(human.stdout).toBe('no key matches "no such user anywhere"\n');

    const bad = keyport(['list', '0x123'], { home });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^keyport: KP1002 "0x123" is not a pattern keyport can list by: after "0x" come 8, 16, 40 or 64 hex digits \(next: give part of a user ID/);
  });
});
