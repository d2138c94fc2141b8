import { describe, expect, it } from 'vitest';
import { encodePacket, newEd25519Key, SigClass, signatureBody, signedUserId, userIdSigned, type HostileKey } from '@keyport/test-fixtures';
import { freshKeyring } from './helpers.js';

// Review finding: a flooded user ID kept every certification that merely *named* a key in the
// keyring as its issuer, so 3,000 forgeries claiming a held key all stayed ("dropped 0").

const file = { kind: 'file' as const, name: 'flooded.pgp' };
const USER_ID = Buffer.from('Victim <victim@example.org>');

/** A key that signs with a throw-away private key but names `claimed` as its issuer. */
const impostor = (claimed: HostileKey): HostileKey => ({ ...claimed, privateKey: newEd25519Key().privateKey });

function certification(signer: HostileKey, victim: HostileKey): Buffer {
  return encodePacket(2, signatureBody(signer, SigClass.GenericUid, userIdSigned(victim, USER_ID)));
}

describe('flooded user ID: certifications that only claim a held issuer', () => {
  it('drops certifications naming a held key as issuer that do not verify against it, keeps the genuine ones', async () => {
    const held = newEd25519Key();
    const victim = newEd25519Key();
    const { keyring, importer } = freshKeyring();
    await importer.import(Buffer.concat([encodePacket(6, held.body), signedUserId(held, 'Held <held@example.org>')]), { origin: { kind: 'file', name: 'held.pgp' } });
    const forged = Array.from({ length: 300 }, () => certification(impostor(held), victim));
    const genuine = certification(held, victim);
    const flooded = Buffer.concat([encodePacket(6, victim.body), signedUserId(victim, USER_ID), genuine, ...forged]);

    const report = await importer.import(flooded, { origin: file });
    expect(report.results[0]).toMatchObject({ status: 'new', flooding: { dropped: 300, userIds: 1, limit: 250 } });
    const sigs = (await keyring.readStoredParts(victim.fingerprint))!.userIds[0]!.sigs.map((s) => Buffer.from(s.body));
    expect(sigs).toHaveLength(2);
    expect(sigs.some((s) => genuine.includes(s))).toBe(true);
  });
});
