import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodePacket, newEd25519Key, signedUserId } from '@keyport/test-fixtures';
import { keyportAsync, keyportJsonAsync, tempHome } from './helpers.js';

// Review finding: a Latin-1 user ID and a UTF-8 one spelling its bytes with backslashes looked
// the same in `list`, `show` and `--json`. gpg --with-colons prints `Jos\xe9` for the first and
// `Jos\x5cxe9` for the second.

const homes: string[] = [];
afterAll(() => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

const LATIN1 = Buffer.from('Jos\xE9 \x9B31m \xC2 <jose@example.org>', 'latin1');
const LOOKALIKE = Buffer.from('Jos\\xe9 \\x9b31m \\xc2 <jose@example.org>', 'utf8');

interface ShownKey {
  fingerprint: string;
  userIds: string[];
  userIdDetails: { userId: string; userIdHex?: string }[];
}

describe('user IDs that are not UTF-8', () => {
  it('list, show and list --json tell a Latin-1 user ID from a UTF-8 one that spells its escapes', async () => {
    const home = tempHome();
    homes.push(home);
    const latin1 = newEd25519Key();
    const lookalike = newEd25519Key();
    const file = path.join(home, 'two.pgp');
    writeFileSync(file, Buffer.concat([encodePacket(6, latin1.body), signedUserId(latin1, LATIN1), encodePacket(6, lookalike.body), signedUserId(lookalike, LOOKALIKE)]));
    const imported = await keyportAsync(['import', '--file', file], { home });
    expect(imported.status, imported.stderr).toBe(0);

    const list = await keyportAsync(['list'], { home });
    const row = (fpr: string) => list.stdout.split('\n').find((line) => line.includes(fpr));
    expect(row(latin1.fingerprint)).toMatch(/ Jos\\xe9 \\x9b31m \\xc2 <jose@example\.org>$/);
    expect(row(lookalike.fingerprint)).toMatch(/ Jos\\x5cxe9 \\x5cx9b31m \\x5cxc2 <jose@example\.org>$/);
    const show = await keyportAsync(['show', latin1.fingerprint], { home });
    expect(show.stdout).toContain('] Jos\\xe9 \\x9b31m \\xc2 <jose@example.org> (primary)\n');

    const json = await keyportJsonAsync<ShownKey[]>(['list', '--json'], { home });
    const byFpr = (fpr: string) => json.find((k) => k.fingerprint === fpr)!;
    expect(byFpr(latin1.fingerprint).userIdDetails[0]).toMatchObject({ userId: 'Jos\\xe9 \\x9b31m \\xc2 <jose@example.org>', userIdHex: LATIN1.toString('hex') });
    expect(byFpr(lookalike.fingerprint).userIdDetails[0]!.userId).toBe(LOOKALIKE.toString('utf8'));
    expect(byFpr(lookalike.fingerprint).userIdDetails[0]).not.toHaveProperty('userIdHex');
  });
});
