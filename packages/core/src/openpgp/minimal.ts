import type { CertificateParts, Component } from './certificate.js';
import type { RawPacket } from './packets.js';
import { inspectSignature, SigType } from './packets.js';
import { CERTIFICATION_TYPES, newestSignature, selfSignatures } from './self-signatures.js';

/**
 * The smallest certificate that still means the same to a client, as `export --minimal` writes
 * it: per component (the primary key's direct signatures, each user ID, each subkey) only the
 * newest self-signature and every self-revocation; no third-party certification. A key revocation
 * by a designated revoker is kept: it is what makes the key revoked. A user ID or subkey left with
 * no signature at all (only third-party ones before) is dropped, since no client would use it.
 *
 * Unlike `gpg --export-options export-minimal`, a revoked user ID or subkey keeps its newest
 * certification or binding beside the revocation (gpg keeps only the newest self-signature, the
 * revocation, and some implementations drop a component without a binding, revocation and all),
 * and expired or revoked subkeys are kept (gpg drops them, so a copy made from its export never
 * learns that the subkey was revoked).
 *
 * The certificate must already be screened, as every stored one is: its self-signatures are
 * trusted to verify, so "newest" means newest by creation time (a forged newer one on an
 * unscreened copy would win). Packets are kept byte for byte; nothing is re-signed.
 */
export function minimalCertificate(parts: CertificateParts): CertificateParts {
  const keep = (sigs: readonly RawPacket[], selfTypes: readonly number[], revocationTypes: readonly number[]): RawPacket[] => {
    const newest = newestSignature(selfSignatures(parts, sigs, selfTypes))?.packet;
    const revocations = new Set(selfSignatures(parts, sigs, revocationTypes).map((s) => s.packet));
    // Original order, so the output reads like the input minus what was dropped.
    return sigs.filter((s) => s === newest || revocations.has(s));
  };
  const components = (list: readonly Component[], selfTypes: readonly number[], revocationTypes: readonly number[]): Component[] =>
    list.map((c) => ({ packet: c.packet, sigs: keep(c.sigs, selfTypes, revocationTypes) })).filter((c) => c.sigs.length > 0);

  const designatedRevocations = parts.direct.filter((s) => isOtherKeyRevocation(parts, s));
  const direct = keep(parts.direct, [SigType.DirectKey], [SigType.KeyRevocation]);
  return {
    primary: parts.primary,
    direct: parts.direct.filter((s) => direct.includes(s) || designatedRevocations.includes(s)),
    userIds: components(parts.userIds, CERTIFICATION_TYPES, [SigType.CertRevocation]),
    subkeys: components(parts.subkeys, [SigType.SubkeyBinding], [SigType.SubkeyRevocation]),
  };
}

/** A key revocation (0x20) in the direct signatures not made by the key itself: a designated revoker's, kept by screening only when verified. */
function isOtherKeyRevocation(parts: CertificateParts, sig: RawPacket): boolean {
  return inspectSignature(sig.body)?.type === SigType.KeyRevocation && selfSignatures(parts, [sig], [SigType.KeyRevocation]).length === 0;
}
