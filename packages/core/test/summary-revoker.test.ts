import * as openpgp from 'openpgp';
import { describe, expect, it } from 'vitest';
import { writePackets } from '../src/index.js';
import { SigType } from '../src/openpgp/packets.js';
import { freshKeyring } from './helpers.js';
import { fingerprintOf, newKey, publicPackets, signature } from './signing.js';

// Review finding: a designated revoker's key revocation was stored but the key never showed as
// revoked (gpg lists it `pub:r` when it holds the revoker).

const file = { kind: 'file' as const, name: 'test' };




/** V2 naming `revoker` as designated revoker in a direct-key self-signature, and `signer`'s key revocation of V2. */
async function designatedCase(signer?: openpgp.PrivateKey) {
  const revoker = await newKey('Revoker');
  const victim = await newKey('Victim');
  const designation = await signature(victim, SigType.DirectKey, { key: victim.keyPacket }, (s) => {
    s.revocationKeyClass = 0x80;
    s.revocationKeyAlgorithm = revoker.keyPacket.algorithm;
    s.revocationKeyFingerprint = revoker.keyPacket.getFingerprintBytes()!;
  });
  const packets = publicPackets(victim);
  const designated = [packets[0]!, designation, ...packets.slice(1)];
  const revocation = await signature(signer ?? revoker, SigType.KeyRevocation, { key: victim.keyPacket }, (s) => {
    s.reasonForRevocationFlag = openpgp.enums.reasonForRevocation.keyCompromised;
    s.reasonForRevocationString = 'by the designated revoker';
  });
  return { revoker, victim, designated: writePackets(designated), revoked: writePackets([designated[0]!, revocation, ...designated.slice(1)]) };
}

describe('designated revoker in the summary', () => {
  it('shows a key revoked by its designated revoker (held) as revoked, in list, the revoked filter and after rebuild-index', async () => {
    const { revoker, victim, designated, revoked } = await designatedCase();
    const { keyring, importer } = freshKeyring();
    await importer.import(revoker.toPublic().write(), { origin: file });
    await importer.import(designated, { origin: file });
    expect((await keyring.get(fingerprintOf(victim)))!.summary.revoked).toBe(false);
    const report = await importer.import(revoked, { origin: file });
    expect(report.results[0]).toMatchObject({ status: 'updated', added: { revocations: 1 } });
    const summary = (await keyring.get(fingerprintOf(victim)))!.summary;
    expect(summary.revoked).toBe(true);
    expect(summary.revocation).toMatchObject({ code: 2, reason: 'by the designated revoker' });
    expect((await keyring.list('revoked')).map((r) => r.summary.fingerprint)).toEqual([fingerprintOf(victim)]);
    await keyring.rebuildIndex();
    expect((await keyring.get(fingerprintOf(victim)))!.summary.revoked).toBe(true);
  });

  it('does not show a key as revoked by a key revocation from a key it does not designate', async () => {
    const stranger = await newKey('Stranger');
    const { revoker, victim, designated, revoked } = await designatedCase(stranger);
    const { keyring, importer } = freshKeyring();
    await importer.import(revoker.toPublic().write(), { origin: file });
    await importer.import(stranger.toPublic().write(), { origin: file });
    await importer.import(designated, { origin: file });
    await importer.import(revoked, { origin: file });
    expect((await keyring.get(fingerprintOf(victim)))!.summary.revoked).toBe(false);
    await keyring.rebuildIndex();
    expect((await keyring.get(fingerprintOf(victim)))!.summary.revoked).toBe(false);
  });

  it('does not show a key as revoked by its designated revoker when the keyring does not hold the revoker', async () => {
    const { victim, designated, revoked } = await designatedCase();
    const { keyring, importer } = freshKeyring();
    await importer.import(designated, { origin: file });
    await importer.import(revoked, { origin: file });
    expect((await keyring.get(fingerprintOf(victim)))!.summary.revoked).toBe(false);
  });
});
