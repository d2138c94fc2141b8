import { execFileSync } from 'node:child_process';
import { removeGnupgHomes, hasGpg, tempGnupgHome } from '@keyport/test-fixtures';
import { afterAll, describe, expect, it } from 'vitest';
import { publicCertificateComplete, readPackets, splitCertificates, type CertificateParts, type RawPacket } from '../src/index.js';
import { keyMaterial } from '../src/openpgp/certificate.js';

// Keys made by gpg: a certify-only primary with a signing and an encryption subkey, the shape
// of a key whose primary is kept offline. Then broken one signature at a time.

function gpgKey() {
  const home = tempGnupgHome();
  const gpg = (args: string[]) =>
    execFileSync('gpg', ['--batch', '--no-tty', '--quiet', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], {
      env: { ...process.env, GNUPGHOME: home, LC_ALL: 'C' },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  gpg(['--quick-gen-key', 'Alice <alice@example.org>', 'ed25519', 'cert', '1y']);
  const fingerprint = gpg(['--with-colons', '--list-keys']).toString().split('\n').find((l) => l.startsWith('fpr'))!.split(':')[9]!;
  gpg(['--quick-add-key', fingerprint, 'ed25519', 'sign', '1y']);
  gpg(['--quick-add-key', fingerprint, 'cv25519', 'encr', '1y']);
  gpg(['--quick-add-uid', fingerprint, 'Alice <alice@work.example>']);
  const parts = (args: string[]): CertificateParts => splitCertificates(readPackets(new Uint8Array(gpg([...args, fingerprint])))).certificates[0]!.parts;
  return { publicParts: parts(['--export']), offlineParts: parts(['--export-secret-subkeys']) };
}

/** A copy of a v4 signature with its last byte changed: the signature value no longer verifies. */
const corrupt = (sig: RawPacket): RawPacket => {
  const body = new Uint8Array(sig.body);
  body[body.length - 1] = body[body.length - 1]! ^ 0x01;
  return { tag: sig.tag, body };
};

/** A copy of a v4 signature with an empty unhashed area: gpg keeps the back-signature there. */
const withoutUnhashed = (sig: RawPacket): RawPacket => {
  const b = sig.body;
  const hashedEnd = 6 + b[4]! * 256 + b[5]!;
  const unhashedLength = b[hashedEnd]! * 256 + b[hashedEnd + 1]!;
  const body = new Uint8Array([...b.subarray(0, hashedEnd), 0, 0, ...b.subarray(hashedEnd + 2 + unhashedLength)]);
  return { tag: sig.tag, body };
};

describe.skipIf(!hasGpg())('complete public certificate (offline primary)', () => {
  afterAll(() => removeGnupgHomes());

  it('accepts the certificate of a key whose primary secret is an offline stub (sec#)', async () => {
    const { publicParts, offlineParts } = gpgKey();
    expect(await publicCertificateComplete(publicParts)).toEqual({ complete: true, incomplete: [] });
    expect(offlineParts.primary.tag).toBe(5); // a secret key packet, with gpg's gnu-dummy stub
    expect(await publicCertificateComplete(offlineParts)).toEqual({ complete: true, incomplete: [] });
  });

  it('names each user ID and subkey without a valid self-signature', async () => {
    const { publicParts } = gpgKey();
    const [signing, encryption] = publicParts.subkeys;
    const broken: CertificateParts = {
      ...publicParts,
      userIds: publicParts.userIds.map((u, i) => (i === 1 ? { packet: u.packet, sigs: u.sigs.map(corrupt) } : u)),
      subkeys: [
        // The signing subkey's binding is valid but its back-signature is gone.
        { packet: signing!.packet, sigs: signing!.sigs.map(withoutUnhashed) },
        { packet: encryption!.packet, sigs: encryption!.sigs.map(corrupt) },
      ],
    };
    const result = await publicCertificateComplete(broken);
    expect(result.complete).toBe(false);
    expect(result.incomplete.map((c) => [c.component, c.name])).toEqual([
      ['userId', 'Alice <alice@work.example>'],
      ['subkey', keyMaterial(signing!.packet).fingerprint],
      ['subkey', keyMaterial(encryption!.packet).fingerprint],
    ]);
    // An encryption subkey needs no back-signature: the same stripping leaves it valid.
    const encryptionWithoutUnhashed = { ...publicParts, subkeys: [{ packet: encryption!.packet, sigs: encryption!.sigs.map(withoutUnhashed) }] };
    expect((await publicCertificateComplete(encryptionWithoutUnhashed)).complete).toBe(true);
    // A user ID with no signature at all fails too.
    const bare = { ...publicParts, userIds: [{ packet: publicParts.userIds[0]!.packet, sigs: [] }] };
    expect((await publicCertificateComplete(bare)).incomplete).toEqual([{ component: 'userId', name: 'Alice <alice@example.org>', reason: expect.any(String) }]);
  });
});
