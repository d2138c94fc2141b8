import { describe, expect, it } from 'vitest';
import type { KeyRecord } from '@keyport/core';
import { matchesFilter, narrows } from '../src/tui/screens/Keys.js';

/** Just what the filter looks at: the fingerprint and the user IDs. */
function key(fingerprint: string, ...userIds: string[]): KeyRecord {
  return { summary: { fingerprint, userIds: userIds.map((userId, i) => ({ userId, primary: i === 0 })) } } as unknown as KeyRecord;
}

const KEYS = [
  key('A1B2C3D4E5F60718293A4B5C6D7E8F9000112233', 'Jérémy Bobo <jeremy@example.org>'),
  key('00000000000000000000000000000000DEADBEEF', 'Zero 0x Person <zero@example.org>'),
  key('ABCDEF0123456789ABCDEF0123456789ABCDEF01', 'Ada <ada@0xa.example>'),
  key('FEDCBA9876543210FEDCBA9876543210FEDCBA98', 'Bo Test <bo@example.org>'),
];

describe('typing on in the key filter', () => {
  // The list searches only the last result when the filter narrows: that must never hide a key
  // the whole keyring would show.
  it('narrows only when every key the longer filter matches was matched before', () => {
    const typed = ['0xa', '0x a1b2', 'a1 b2 c3', 'jérémy', 'JEREMY', 'dead beef', '0x0', 'ada@0xa', 'bo te', 'cdef 01'];
    for (const text of typed) {
      for (let n = 1; n <= text.length; n++) {
        for (let m = 0; m < n; m++) {
          const before = text.slice(0, m);
          const after = text.slice(0, n);
          if (!narrows(before, after)) continue;
          for (const k of KEYS) {
            if (matchesFilter(k, after)) expect(matchesFilter(k, before), `${JSON.stringify(before)} → ${JSON.stringify(after)}`).toBe(true);
          }
        }
      }
    }
  });

  it('does not narrow when 0x turns the hex part into another one', () => {
    expect(narrows('0', '0xa')).toBe(false);
    expect(narrows('0x', '0xa')).toBe(false);
    // And the key only the longer filter finds (by fingerprint) is really there.
    expect(matchesFilter(KEYS[3]!, '0xa')).toBe(true);
    expect(matchesFilter(KEYS[3]!, '0x')).toBe(false);
  });

  it('narrows a plain text or hex filter that grows', () => {
    expect(narrows('', 'j')).toBe(true);
    expect(narrows('jer', 'jere')).toBe(true);
    expect(narrows('a1b2', 'a1b2 c3')).toBe(true);
    expect(narrows('jere', 'jer')).toBe(false);
  });
});
