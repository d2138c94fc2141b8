import { describe, expect, it } from 'vitest';
import { encodePacket, newEd25519Key, signedUserId } from '@keyport/test-fixtures';
import { escapeForTerminal, userIdForDisplay } from '../src/index.js';
import { freshKeyring } from './helpers.js';

// Review finding: a Latin-1 user ID and a UTF-8 one that spells its escapes with literal
// backslashes looked the same in human output and in --json.

const LATIN1 = Buffer.from('Jos\xE9 \x9B31m \xC2 <jose@example.org>', 'latin1');
const LOOKALIKE = Buffer.from('Jos\\xe9 \\x9b31m \\xc2 <jose@example.org>', 'utf8');
const LATIN1_BACKSLASH = Buffer.from('Jos\xE9 \\xe9 <jose@example.org>', 'latin1');

async function summaryOf(userId: Buffer) {
  const { keyring, importer } = freshKeyring();
  const key = newEd25519Key();
  await importer.import(Buffer.concat([encodePacket(6, key.body), signedUserId(key, userId)]), { origin: { kind: 'file', name: 'k.pgp' } });
  return (await keyring.get(key.fingerprint))!.summary.userIds[0]!;
}

describe('user ID text of non-UTF-8 user IDs', () => {
  it('gives a Latin-1 user ID its exact bytes in userIdHex and gpg --with-colons escapes in userId', async () => {
    const latin1 = await summaryOf(LATIN1);
    // gpg --with-colons prints the same string for these bytes.
    expect(latin1.userId).toBe('Jos\\xe9 \\x9b31m \\xc2 <jose@example.org>');
    expect(latin1.userIdHex).toBe(LATIN1.toString('hex'));
    expect(latin1.email).toBe('jose@example.org');
  });

  it('escapes a backslash in a non-UTF-8 user ID as \\x5c, as gpg --with-colons does', async () => {
    const mixed = await summaryOf(LATIN1_BACKSLASH);
    expect(mixed.userId).toBe('Jos\\xe9 \\x5cxe9 <jose@example.org>');
    expect(mixed.userIdHex).toBe(LATIN1_BACKSLASH.toString('hex'));
  });

  it('keeps a valid UTF-8 user ID exact, without userIdHex', async () => {
    const lookalike = await summaryOf(LOOKALIKE);
    expect(lookalike.userId).toBe(LOOKALIKE.toString('utf8'));
    expect(lookalike).not.toHaveProperty('userIdHex');
  });

  it('shows the two user IDs differently to people, gpg --with-colons style', async () => {
    const latin1 = await summaryOf(LATIN1);
    const lookalike = await summaryOf(LOOKALIKE);
    const shown = (u: typeof latin1) => escapeForTerminal(userIdForDisplay(u));
    expect(shown(latin1)).toBe('Jos\\xe9 \\x9b31m \\xc2 <jose@example.org>');
    expect(shown(lookalike)).toBe('Jos\\x5cxe9 \\x5cx9b31m \\x5cxc2 <jose@example.org>');
  });
});
