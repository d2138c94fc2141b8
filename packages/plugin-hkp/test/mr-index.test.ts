import { describe, expect, it } from 'vitest';
import { decodeUid, formEncode, hkpBase, parseMachineIndex, searchParams } from '../src/index.js';

// Lines below are written from protocols.md §2.5 (what each server emits), not produced by keyport.
describe('machine-readable index parser', () => {
  it('reads SKS: LF, uppercase fingerprint, %XX for ":" and UTF-8, %% for "%"', () => {
    const body = 'info:1:1\npub:003471EA8AFB37A11FD717A98AEFBE4E76169B60:1:4096:1289548329:2235628329:\nuid:J%C3%B6rg 100%% Sure %3A) <j@example.org>:1289548673::\r\n';
    const [k] = parseMachineIndex(body);
    expect(k).toMatchObject({ fingerprint: '003471EA8AFB37A11FD717A98AEFBE4E76169B60', keyId: '8AEFBE4E76169B60', algorithmId: 1, bits: 4096, revoked: false });
    expect(k!.created?.toISOString()).toBe('2010-11-12T07:52:09.000Z');
    expect(k!.expires?.getTime()).toBe(2235628329000);
    expect(k!.userIds).toEqual(['Jörg 100% Sure :) <j@example.org>']);
  });

  it('reads Hockeypuck 2.2: 16-hex key ID, empty flags, lowercase %3a and raw UTF-8', () => {
    const body = 'info:1:2\npub:8AEFBE4E76169B60:1:4096:1289548329::\nuid:Jörg %3a test <j@example.org>:1289548673::\n';
    const [k] = parseMachineIndex(body);
    expect(k).toMatchObject({ fingerprint: null, keyId: '8AEFBE4E76169B60', id: '8AEFBE4E76169B60' });
    expect(k!.userIds).toEqual(['Jörg : test <j@example.org>']);
  });

  it('reads Hagrid: CRLF, empty expiry, raw ":" and "%" in user IDs, space as %20', () => {
    const body = 'info:1:1\r\npub:003471EA8AFB37A11FD717A98AEFBE4E76169B60:22:256:1600000000::r\r\nuid:Dr.%20A:B%20100%%20<a@b.org>:1600000001::\r\n';
    const [k] = parseMachineIndex(body);
    expect(k).toMatchObject({ revoked: true, expires: null, algorithmId: 22 });
    expect(k!.userIds).toEqual(['Dr. A:B 100% <a@b.org>']);
  });

  it('tolerates missing trailing fields, unknown records, wrong info counts and bad escapes', () => {
    const body = 'info:1:7\npub:0x003471EA8AFB37A11FD717A98AEFBE4E76169B60:1\nuat::::\nsig:whatever\nuid:Bad %ZZ escape\npub:notahexid:1:1024\nuid:ignored\npub:3471EA8AFB37A11FD717A98AEFBE4E76169B6000:17:1024:0:0:rde\n';
    const keys = parseMachineIndex(body);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatchObject({ bits: null, created: null, userIds: ['Bad %ZZ escape'] });
    expect(keys[1]).toMatchObject({ revoked: true, disabled: true, serverSaysExpired: true, created: null });
  });

  it('treats out-of-range, negative and non-numeric times as unknown (gpg still lists the key)', () => {
    const fpr = 'FE15B9EFC66328DCC34F2E1D9777995843EF1A44';
    const [k] = parseMachineIndex(`info:1:1\npub:${fpr}:22:256:9000000000000::\nuid:Eddie:::\n`);
    expect(k).toMatchObject({ fingerprint: fpr, created: null, expires: null, userIds: ['Eddie'] });
    // OpenPGP times are 32-bit: 4294967295 is the last valid second, 4294967296 is not.
    const [last] = parseMachineIndex(`pub:${fpr}:22:256:4294967295:4294967296:\n`);
    expect(last!.created?.getTime()).toBe(4294967295000);
    expect(last!.expires).toBeNull();
    for (const bad of ['-5', '1e9', '0x10', '12a', ' ', '99999999999999999999999999', '1.5']) {
      const [b] = parseMachineIndex(`pub:${fpr}:22:256:${bad}:${bad}:\n`);
      expect(b, bad).toMatchObject({ created: null, expires: null });
    }
  });

  it('never throws on odd field counts, huge numbers or junk in pub and uid lines', () => {
    const fpr = 'FE15B9EFC66328DCC34F2E1D9777995843EF1A44';
    const fields = ['', '0', '-1', '22', '4294967295', '4294967296', '9'.repeat(400), 'abc', '%3a', 'r', 'rde', '::'];
    // Every value in every field position, for every field count from 0 to 8.
    for (let count = 0; count <= 8; count++) {
      for (let pos = 0; pos < Math.max(count, 1); pos++) {
        for (const value of fields) {
          const rest = Array.from({ length: count }, (_, i) => (i === pos ? value : '1'));
          const pub = ['pub', fpr, ...rest].join(':');
          const uid = ['uid', 'A <a@b.org>', ...rest.slice(0, count % 5)].join(':');
          const keys = parseMachineIndex(`info:1:1\n${pub}\n${uid}\n`);
          expect(keys).toHaveLength(1);
          for (const d of [keys[0]!.created, keys[0]!.expires]) if (d !== null) expect(() => d.toISOString()).not.toThrow();
          for (const n of [keys[0]!.algorithmId, keys[0]!.bits]) if (n !== null) expect(Number.isSafeInteger(n)).toBe(true);
        }
      }
    }
  });

  it('refuses HTML with a clear error', () => {
    expect(() => parseMachineIndex('<!DOCTYPE html><html><body>Login</body></html>')).toThrow(/HTML/);
  });

  it('decodes percent escapes leniently', () => {
    expect(decodeUid('a%3ab%3Ac')).toBe('a:b:c');
    expect(decodeUid('100%')).toBe('100%');
    expect(decodeUid('%E2%9C%93')).toBe('✓');
    expect(decodeUid('100%%')).toBe('100%'); // SKS
    expect(decodeUid('100%%20off')).toBe('100% off'); // Hagrid: raw % then an escaped space
  });
});

describe('HKP request building', () => {
  it('maps hkp and hkps to HTTP(S) with their default ports and keeps port and path prefix', () => {
    expect(hkpBase(new URL('hkp://keys.example.org')).href).toBe('http://keys.example.org:11371/');
    expect(hkpBase(new URL('hkps://keys.example.org')).href).toBe('https://keys.example.org/');
    expect(hkpBase(new URL('hkp://keys.example.org:8080/prefix/')).href).toBe('http://keys.example.org:8080/prefix');
    expect(hkpBase(new URL('https://keys.example.org/sub')).href).toBe('https://keys.example.org/sub');
  });

  it('sends IDs with 0x and emails with exact=on', () => {
    expect(searchParams({ kind: 'fingerprint', value: 'AB'.repeat(20) })).toEqual({ search: `0x${'AB'.repeat(20)}` });
    expect(searchParams({ kind: 'keyId', value: '0123456789ABCDEF' })).toEqual({ search: '0x0123456789ABCDEF' });
    expect(searchParams({ kind: 'email', value: 'a@b.org' })).toEqual({ search: 'a@b.org', exact: 'on' });
  });

  it('form-encodes keytext like GnuPG: + as %2B, newline as %0A, only letters and digits bare', () => {
    expect(formEncode('a+b/c=\n -')).toBe('a%2Bb%2Fc%3D%0A%20%2D');
  });
});
