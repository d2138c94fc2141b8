import { execFileSync } from 'node:child_process';
import { DEBIAN_KEYRING, hasGpg, removeGnupgHomes, tempGnupgHome } from '@keyport/test-fixtures';
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { minimalCertificate, readPackets, splitCertificates, type CertificateParts } from '../src/index.js';
import { keyMaterial, screenCertificate } from '../src/openpgp/certificate.js';
import { inspectSignature, SigType } from '../src/openpgp/packets.js';
import { CERTIFICATION_TYPES } from '../src/openpgp/self-signatures.js';

// gpg is the oracle: `--export-options export-minimal` on the same Debian keys. The comparison is
// by component (user IDs by bytes, subkeys by fingerprint) and signature count, read from gpg's
// output by the same packet splitter the keyring uses.

function gpgDebian(args: string[]): Buffer {
  return execFileSync('gpg', ['--batch', '--no-default-keyring', '--keyring', DEBIAN_KEYRING, ...args], {
    env: { ...process.env, GNUPGHOME: tempGnupgHome(), LC_ALL: 'C' },
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
}

/** Per certificate: component name -> its signatures (as base64 bodies). */
function shape(parts: CertificateParts): Record<string, string[]> {
  const sigs = (list: { body: Uint8Array }[]) => list.map((s) => Buffer.from(s.body).toString('base64'));
  const out: Record<string, string[]> = { direct: sigs(parts.direct) };
  for (const u of parts.userIds) out[`uid ${Buffer.from(u.packet.body).toString('latin1')}`] = sigs(u.sigs);
  for (const s of parts.subkeys) out[`sub ${keyMaterial(s.packet).fingerprint}`] = sigs(s.sigs);
  return out;
}

const thirdPartyCount = (parts: CertificateParts) => {
  const own = keyMaterial(parts.primary);
  return [parts.direct, ...parts.userIds.map((u) => u.sigs), ...parts.subkeys.map((s) => s.sigs)]
    .flat()
    .filter((s) => {
      const info = inspectSignature(s.body)!;
      return info.issuerFingerprint ? info.issuerFingerprint !== own.fingerprint : info.issuerKeyId !== own.keyId;
    }).length;
};

describe.skipIf(!hasGpg() || !existsSync(DEBIAN_KEYRING))('minimal export', () => {
  afterAll(() => removeGnupgHomes());

  it('keeps what gpg --export-options export-minimal keeps, on Debian keys', async () => {
    const listing = gpgDebian(['--with-colons', '--list-keys']).toString('latin1').split('\n');
    // Every 60th key's primary (the listing's fpr lines include subkeys: keep primaries only).
    const primaries = listing.reduce<string[]>((acc, line, i, all) => (line.startsWith('fpr') && all[i - 1]?.startsWith('pub') ? [...acc, line.split(':')[9]!] : acc), []);
    // Subkeys gpg calls expired (e) or revoked (r): gpg's export-minimal drops those whole.
    const unusableSubkeys = new Set(
      listing.reduce<string[]>((acc, line, i, all) => {
        const sub = all[i - 1]?.split(':');
        return line.startsWith('fpr') && sub?.[0] === 'sub' && (sub[1] === 'e' || sub[1] === 'r') ? [...acc, line.split(':')[9]!] : acc;
      }, []),
    );
    const sample = primaries.filter((_f, i) => i % 60 === 0);
    const full = splitCertificates(readPackets(gpgDebian(['--export', ...sample]))).certificates;
    const theirs = splitCertificates(readPackets(gpgDebian(['--export-options', 'export-minimal', '--export', ...sample]))).certificates;
    expect(full).toHaveLength(sample.length);
    let thirdPartyBefore = 0;
    let droppedByGpg = 0;
    let keptBesideRevocation = 0;
    for (const [i, cert] of full.entries()) {
      thirdPartyBefore += thirdPartyCount(cert.parts);
      const screened = (await screenCertificate(cert.parts, { stripThirdParty: false })).parts;
      const ours = minimalCertificate(screened);
      expect(thirdPartyCount(ours)).toBe(0);
      const ourShape = shape(ours);
      // keyport keeps expired and revoked subkeys with their newest binding and revocation, so
      // that a copy made from this export still learns of the revocation; gpg drops them.
      const keptOnlyByUs = Object.keys(ourShape).filter((k) => !(k in shape(theirs[i]!.parts)));
      for (const k of keptOnlyByUs) {
        expect(k.startsWith('sub ') && unusableSubkeys.has(k.slice(4)), `${k} kept by keyport only`).toBe(true);
        delete ourShape[k];
        droppedByGpg++;
      }
      const gpgShape = shape(theirs[i]!.parts);
      expect(Object.keys(ourShape).sort(), `key ${keyMaterial(cert.parts.primary).fingerprint}`).toEqual(Object.keys(gpgShape).sort());
      for (const [component, gpgSigs] of Object.entries(gpgShape)) {
        // gpg keeps only the newest self-signature even when it is a revocation; keyport keeps
        // the newest certification or binding too, next to every revocation (see minimal.ts).
        expect(ourShape[component], component).toEqual(expect.arrayContaining(gpgSigs));
        if (ourShape[component]!.length !== gpgSigs.length) {
          const kinds = ourShape[component]!.filter((b) => !gpgSigs.includes(b)).map((b) => inspectSignature(Buffer.from(b, 'base64'))!.type);
          for (const kind of kinds) expect([...CERTIFICATION_TYPES, SigType.SubkeyBinding, SigType.CertRevocation, SigType.SubkeyRevocation]).toContain(kind);
          keptBesideRevocation += kinds.length;
        }
      }
    }
    expect(droppedByGpg).toBeGreaterThan(0);
    expect(keptBesideRevocation).toBeGreaterThan(0);
    // The sample is worth something only if there was something to strip.
    expect(thirdPartyBefore).toBeGreaterThan(100);
  });
});
