import { afterAll, describe, expect, it } from 'vitest';
import {
  ESCAPE_USER_ID,
  attackerCertificate,
  encodePacket,
  fixtureArmored,
  gpg,
  hasGpg,
  hostileBinary,
  manifest,
  newEd25519Key,
  primaryOf,
  removeGnupgHomes,
  signedUserId,
  tempGnupgHome,
  thirdPartyRevocations,
  thirdPartySignatures,
} from '../src/index.js';

afterAll(() => removeGnupgHomes());

/** `gpg --check-sigs --with-colons` after importing `bytes` into a fresh home: record type, validity mark and issuer per line. */
function checked(bytes: Uint8Array): { type: string; mark: string; id: string }[] {
  if (!hasGpg()) throw new Error('gnupg is required (apt-get install gnupg)');
  const home = tempGnupgHome();
  gpg(['--import'], { home, input: bytes });
  return gpg(['--with-colons', '--check-sigs'], { home })
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => ['pub', 'sub', 'uid', 'sig', 'rev'].includes(f[0]!))
    .map((f) => ({ type: f[0]!, mark: f[1]!, id: f[0] === 'uid' ? f[9]! : f[4]! }));
}

describe('hostile certificates, checked by GnuPG', () => {
  it('the attacker binds the victim as a signing subkey: both self-signatures verify, the subkey is the victim', async () => {
    const victim = await primaryOf(fixtureArmored('ed25519'));
    expect(victim.fingerprint).toBe(manifest.ed25519.fingerprint);
    const { key, bytes } = attackerCertificate({ subkey: victim, binding: 'attacker' });
    const lines = checked(bytes);
    expect(lines.map((l) => [l.type, l.mark, l.type === 'uid' ? '' : l.id])).toEqual([
      ['pub', '-', key.keyId],
      ['uid', '-', ''],
      ['sig', '!', key.keyId],
      ['sub', '-', victim.keyId],
      ['sig', '!', key.keyId],
    ]);
  });

  it('a binding by a third key and no binding at all: GnuPG drops the subkey, keeps the attacker', async () => {
    const victim = await primaryOf(fixtureArmored('ed25519'));
    for (const binding of ['third-key', 'unbound'] as const) {
      const { key, bytes } = attackerCertificate({ subkey: victim, binding, unsignedUserIds: ['Eddie Ed <eddie@example.org>'] });
      const lines = checked(bytes);
      expect(lines.filter((l) => l.type === 'pub').map((l) => l.id), binding).toEqual([key.keyId]);
      expect(lines.filter((l) => l.type === 'sub'), binding).toEqual([]);
      // The unsigned user ID is dropped as well.
      expect(lines.filter((l) => l.type === 'uid').map((l) => l.id), binding).toEqual([expect.stringMatching(/^Mallory /)]);
    }
  });

  it('third-party revocations parse and cannot be checked; the fixture counts them as third-party', async () => {
    const victimBytes = await hostileBinary(fixtureArmored('ed25519'));
    const victim = await primaryOf(victimBytes);
    expect(thirdPartySignatures(victimBytes)).toBe(0);
    const flood = thirdPartyRevocations(victim, 3);
    const answer = Buffer.concat([encodePacket(6, victim.body), flood, Buffer.from(victimBytes).subarray(encodePacket(6, victim.body).length)]);
    expect(thirdPartySignatures(answer)).toBe(3);
    const revs = checked(answer).filter((l) => l.type === 'rev');
    expect(revs).toHaveLength(3);
    // Never good ('!'): GnuPG cannot find the issuers ('?') or fails on them ('%').
    expect(revs.map((l) => l.mark).filter((m) => m === '!')).toEqual([]);
  });

  it('the escape user ID is validly self-signed, so only escaping keeps it off the terminal', () => {
    const eve = newEd25519Key();
    const lines = checked(Buffer.concat([encodePacket(6, eve.body), signedUserId(eve, ESCAPE_USER_ID)]));
    expect(lines.map((l) => [l.type, l.mark])).toEqual([
      ['pub', '-'],
      ['uid', '-'],
      ['sig', '!'],
    ]);
    // GnuPG's colon listing escapes the control characters.
    expect(lines[1]!.id).toContain('\\x1b]0;pwned-title');
  });
});
