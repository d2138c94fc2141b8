import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gpg, parseColons, tempGnupgHome } from '@keyport/test-fixtures';
import { keyport, tempDir, tempHome } from './helpers.js';

describe('show lists user IDs as gpg does', () => {
  it('the primary user ID first, even when another was added before it became primary', () => {
    const g = tempGnupgHome();
    // Fixed clock steps so each self-signature is newer than the last (gpg picks the primary by them).
    gpg(['--faked-system-time', '20250101T000000!', '--passphrase', '', '--quick-gen-key', 'First <first@example.org>', 'ed25519', 'sign', 'never'], { home: g });
    const fpr = parseColons(gpg(['--with-colons', '--list-keys'], { home: g }))[0]!.fingerprint;
    gpg(['--faked-system-time', '20250102T000000!', '--passphrase', '', '--quick-add-uid', fpr, 'Second <second@example.org>'], { home: g });
    gpg(['--faked-system-time', '20250103T000000!', '--passphrase', '', '--quick-set-primary-uid', fpr, 'Second <second@example.org>'], { home: g });
    const listed = parseColons(gpg(['--with-colons', '--list-keys', fpr], { home: g }))[0]!.userIds.map((u) => u.userId);
    expect(listed).toEqual(['Second <second@example.org>', 'First <first@example.org>']);

    const file = path.join(tempDir('keyport-show-order-'), 'key.asc');
    writeFileSync(file, gpg(['--armor', '--export', fpr], { home: g }), 'latin1');
    const home = tempHome();
    expect(keyport(['import', '--file', file], { home }).status).toBe(0);
    const shown = keyport(['show', fpr], { home }).stdout.split('\n').filter((l) => /^ {4}\[/.test(l)).map((l) => l.replace(/^ {4}\[[^\]]*\] /, ''));
    // gpg's order: the primary first, then the others.
    expect(shown).toEqual(['Second <second@example.org> (primary)', 'First <first@example.org>']);
  });
});
