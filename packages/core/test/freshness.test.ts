import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { hasGpg, removeGnupgHomes, tempGnupgHome } from '@keyport/test-fixtures';
import { afterAll, describe, expect, it } from 'vitest';
import { compareServerCopy, dearmorAll, ErrorCodes, readPackets, writePackets, PacketTag, type ServerCopyFreshness } from '../src/index.js';
import { splitCertificates, serializeCertificate } from '../src/openpgp/certificate.js';

// Each change gpg can make to a published key, made by gpg itself in a temporary home with a
// frozen clock a day apart per step (signatures made in the same second as the server's copy
// would not be "newer"), then compared with the copy exported before the change.

const UID = 'Alice <alice@example.org>';
const WORK_UID = 'Alice <alice@work.example>';

/** A key made by gpg in its own home; `gpg` runs each command one (frozen) day after the last. */
function gpgKey() {
  const home = tempGnupgHome();
  let day = 1;
  const gpg = (args: string[], input?: string): string => {
    const time = `202601${String(day++).padStart(2, '0')}T000000!`;
    return execFileSync('gpg', ['--batch', '--no-tty', '--quiet', '--pinentry-mode', 'loopback', '--passphrase', '', '--faked-system-time', time, ...args], {
      env: { ...process.env, GNUPGHOME: home, LC_ALL: 'C' },
      input,
      stdio: ['pipe', 'pipe', 'ignore'],
    }).toString('latin1');
  };
  gpg(['--quick-gen-key', UID, 'ed25519', 'cert,sign', '2y']);
  const fingerprint = gpg(['--with-colons', '--list-keys']).split('\n').find((l) => l.startsWith('fpr'))!.split(':')[9]!;
  const exportKey = (): Uint8Array => new Uint8Array(execFileSync('gpg', ['--batch', '--export', fingerprint], { env: { ...process.env, GNUPGHOME: home } }));
  const subkeyFingerprints = (): string[] =>
    gpg(['--with-colons', '--list-keys', fingerprint])
      .split('\n')
      .map((l) => l.split(':'))
      .filter((f, i, all) => f[0] === 'fpr' && all[i - 1]?.[0] === 'sub')
      .map((f) => f[9]!);
  return { home, gpg, fingerprint, exportKey, subkeyFingerprints };
}
const nothingMissing = { userIds: [], subkeys: [], selfSignatures: [], revocations: [] };

describe.skipIf(!hasGpg())('freshness of a server copy', () => {
  afterAll(() => removeGnupgHomes());

  it('is current when the server has the same copy, absent when it has none or another key', () => {
    const { exportKey } = gpgKey();
    const local = exportKey();
    expect(compareServerCopy(local, local)).toEqual({ state: 'current', missing: nothingMissing, reason: expect.any(String) });
    expect(compareServerCopy(local, undefined).state).toBe('absent');
    expect(compareServerCopy(local, new Uint8Array()).state).toBe('absent');
    const other = tempGnupgHome();
    execFileSync('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', 'Bob <bob@example.org>', 'ed25519'], { env: { ...process.env, GNUPGHOME: other }, stdio: 'ignore' });
    const bob = new Uint8Array(execFileSync('gpg', ['--batch', '--export'], { env: { ...process.env, GNUPGHOME: other } }));
    expect(compareServerCopy(local, bob).state).toBe('absent');
    // An HKP answer may hold several keys: the one with the local fingerprint is judged.
    const both = new Uint8Array([...bob, ...local]);
    expect(compareServerCopy(local, both).state).toBe('current');
  });

  it('reports each change gpg makes, exactly', () => {
    const { home, gpg: gpgAt, fingerprint, exportKey, subkeyFingerprints } = gpgKey();
    const published = exportKey();

    gpgAt(['--quick-add-key', fingerprint, 'cv25519', 'encr', '1y']);
    const [subkey] = subkeyFingerprints();
    const afterSubkey = compareServerCopy(exportKey(), published);
    expect(afterSubkey.state).toBe('stale');
    expect(afterSubkey.missing).toEqual({ ...nothingMissing, subkeys: [subkey] });
    expect(afterSubkey.reason).toBe("the server's copy lacks 1 subkey");

    const withSubkey = exportKey();
    gpgAt(['--quick-set-expire', fingerprint, '3y']);
    const afterExpiry = compareServerCopy(exportKey(), withSubkey);
    expect(afterExpiry.state).toBe('stale');
    expect(afterExpiry.missing).toEqual({
      ...nothingMissing,
      selfSignatures: [{ component: 'userId', name: UID, created: '2026-01-05T00:00:00.000Z' }],
    });

    const extended = exportKey();
    gpgAt(['--quick-add-uid', fingerprint, WORK_UID]);
    expect(compareServerCopy(exportKey(), extended).missing).toEqual({ ...nothingMissing, userIds: [WORK_UID] });

    const twoUserIds = exportKey();
    gpgAt(['--quick-revoke-uid', fingerprint, WORK_UID]);
    const afterRevocation = compareServerCopy(exportKey(), twoUserIds);
    expect(afterRevocation.missing).toEqual({
      ...nothingMissing,
      revocations: [{ component: 'userId', name: WORK_UID, created: '2026-01-07T00:00:00.000Z' }],
    });
    expect(afterRevocation.reason).toBe("the server's copy lacks 1 revocation");

    const uidRevoked = exportKey();
    gpgAt(['--command-fd', '0', '--edit-key', fingerprint], 'key 1\nrevkey\ny\n0\n\ny\nsave\n');
    expect(compareServerCopy(exportKey(), uidRevoked).missing).toEqual({
      ...nothingMissing,
      revocations: [{ component: 'subkey', name: subkey, created: '2026-01-08T00:00:00.000Z' }],
    });

    // Everything at once against the first copy: all of it, in one verdict.
    const all = compareServerCopy(exportKey(), published);
    expect(all.missing.userIds).toEqual([WORK_UID]);
    expect(all.missing.subkeys).toEqual([subkey]);
    expect(all.missing.selfSignatures).toEqual([{ component: 'userId', name: UID, created: '2026-01-05T00:00:00.000Z' }]);
    expect(all.missing.revocations).toEqual([]);
    expect(all.reason).toBe("the server's copy lacks 1 user ID, 1 subkey, 1 newer self-signature");

    const subkeyRevoked = exportKey();
    const revocationCertificate = readFileSync(path.join(home, 'openpgp-revocs.d', `${fingerprint}.rev`), 'utf8').replace(/^:-----/m, '-----');
    gpgAt(['--import'], revocationCertificate);
    const afterKeyRevocation = compareServerCopy(exportKey(), subkeyRevoked);
    expect(afterKeyRevocation.missing).toEqual({ ...nothingMissing, revocations: [{ component: 'key', name: fingerprint, created: expect.any(String) }] });

    // The server being ahead (an older local copy) is not stale.
    expect(compareServerCopy(published, exportKey()).state).toBe('current');
  });

  it('judges a server that publishes only verified addresses on what it would publish', () => {
    const { gpg, fingerprint, exportKey } = gpgKey();
    gpg(['--quick-add-uid', fingerprint, WORK_UID]);
    const local = exportKey();
    const [cert] = splitCertificates(readPackets(local)).certificates;
    // What Hagrid serves while no address is verified: the key and subkeys, no user IDs.
    const stripped = serializeCertificate({ ...cert!.parts, userIds: [] });
    const vks = { stripsUnverifiedUserIds: true };
    const unverified: ServerCopyFreshness = compareServerCopy(local, stripped, { ...vks, verifiedAddresses: [] });
    expect(unverified.state).toBe('unverified');
    expect(unverified.missing).toEqual(nothingMissing);
    // Once an address is verified the server should publish it; a copy without it is stale,
    // but only for that user ID (the unverified work address is not counted).
    const verifiedHome = compareServerCopy(local, stripped, { ...vks, verifiedAddresses: ['ALICE@example.org'] });
    expect(verifiedHome.state).toBe('stale');
    expect(verifiedHome.missing.userIds).toEqual([UID]);
    const onlyHome = serializeCertificate({ ...cert!.parts, userIds: cert!.parts.userIds.filter((u) => Buffer.from(u.packet.body).toString() === UID) });
    expect(compareServerCopy(local, onlyHome, { ...vks, verifiedAddresses: ['alice@example.org'] }).state).toBe('current');
    // The same copy on a server that publishes everything lacks the work user ID.
    expect(compareServerCopy(local, onlyHome).missing.userIds).toEqual([WORK_UID]);
  });

  it('counts a stored key revocation by a designated revoker the server lacks', () => {
    // The keyring stores a revocation by another key only after verifying it against a
    // designated revoker (ADR 0007); here any key's revocation stands in for such a stored one.
    const alice = gpgKey();
    const bob = gpgKey();
    const bobRevocation = readFileSync(path.join(bob.home, 'openpgp-revocs.d', `${bob.fingerprint}.rev`), 'utf8').replace(/^:-----/m, '-----');
    const [revocation] = readPackets(dearmorAll(Buffer.from(bobRevocation)));
    const published = alice.exportKey();
    const [cert] = splitCertificates(readPackets(published)).certificates;
    const local = serializeCertificate({ ...cert!.parts, direct: [...cert!.parts.direct, revocation!] });
    expect(compareServerCopy(local, published).missing).toEqual({
      ...nothingMissing,
      revocations: [{ component: 'key', name: alice.fingerprint, created: expect.any(String) }],
    });
    expect(compareServerCopy(local, local).state).toBe('current');
  });

  it('rejects unreadable input with a code', () => {
    const { exportKey } = gpgKey();
    const local = exportKey();
    expect(() => compareServerCopy(local, new Uint8Array([0x01, 0x02]))).toThrow(expect.objectContaining({ code: ErrorCodes.InputMalformed, name: 'ServerDataError' }));
    expect(() => compareServerCopy(new Uint8Array([0x01]), local)).toThrow(expect.objectContaining({ code: ErrorCodes.InputMalformed }));
    expect(() => compareServerCopy(writePackets([{ tag: PacketTag.UserId, body: new Uint8Array([0x41]) }]), local)).toThrow(
      expect.objectContaining({ code: ErrorCodes.InputEmpty }),
    );
  });
});
