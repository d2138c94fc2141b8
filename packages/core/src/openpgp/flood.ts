/**
 * Certificate-flooding defences (CVE-2019-13050): a key whose user ID carries tens of thousands
 * of certifications from throw-away keys must still import quickly, in bounded memory, and as
 * the clean key. Everything here works on raw packets before anything is verified or merged.
 */
import { keyMaterial, type CertificateParts, type Component } from './certificate.js';
import { inspectSignature, SigType, type RawPacket, type SignatureInfo } from './packets.js';

/** Default of `import.maxCertificationsPerUserId`. */
export const DEFAULT_MAX_CERTIFICATIONS_PER_USER_ID = 250;

/** Default of `network.maxRawResponseBytes`: room for a flooded key's armored answer (24 MB for 150,000 certifications). */
export const DEFAULT_MAX_RAW_RESPONSE_BYTES = 64 * 1024 * 1024;

/** Third-party certifications dropped from a flooded certificate, and on how many user IDs. */
export interface FloodingReport {
  /** Certifications dropped because their issuers are not in the keyring. */
  dropped: number;
  /** User IDs (and user attributes) that had more third-party certifications than the limit. */
  userIds: number;
  /** The limit in force (`import.maxCertificationsPerUserId`). */
  limit: number;
}

/** Who issued a signature relative to the certificate it is on. */
type Issuer = 'self' | 'third-party' | 'unreadable';

function issuerOf(info: SignatureInfo | undefined, primary: { fingerprint: string; keyId: string }): Issuer {
  if (!info) return 'unreadable';
  // No issuer at all: only a verification can tell, and the merge verifies such signatures as self-signatures.
  if (!info.issuerFingerprint && !info.issuerKeyId) return 'self';
  if (info.issuerFingerprint) return info.issuerFingerprint === primary.fingerprint ? 'self' : 'third-party';
  return info.issuerKeyId === primary.keyId ? 'self' : 'third-party';
}

/**
 * File imports: on every user ID with more third-party certifications than `limit`, keeps only
 * those whose issuer `isKnownIssuer` (a key in the keyring); self-signatures are always kept.
 * A user ID at or under the limit is left as it is. Returns the same `parts` object when
 * nothing was dropped.
 */
export function limitFloodedUserIds(
  parts: CertificateParts,
  limit: number,
  isKnownIssuer: (info: SignatureInfo) => boolean,
): { parts: CertificateParts; flooding?: FloodingReport } {
  const primary = keyMaterial(parts.primary);
  let dropped = 0;
  let userIds = 0;
  const limited = parts.userIds.map((c): Component => {
    if (c.sigs.length <= limit) return c;
    const infos = c.sigs.map((s) => inspectSignature(s.body));
    let thirdParty = 0;
    for (const info of infos) if (issuerOf(info, primary) === 'third-party') thirdParty++;
    if (thirdParty <= limit) return c;
    userIds++;
    const sigs: RawPacket[] = [];
    for (const [i, s] of c.sigs.entries()) {
      const info = infos[i];
      const issuer = issuerOf(info, primary);
      // Unreadable signatures go on to the merge, which counts them as malformed.
      if (issuer !== 'third-party' || isKnownIssuer(info!)) sigs.push(s);
      else dropped++;
    }
    return { packet: c.packet, sigs };
  });
  if (userIds === 0) return { parts };
  return { parts: { ...parts, userIds: limited }, flooding: { dropped, userIds, limit } };
}

/**
 * Server answers: drops every signature issued by another key, per component, before anything
 * is verified or merged, so a flooded answer costs only its framing. Key revocations are kept
 * for the merge to judge (a designated revoker's must not be lost). Returns the count dropped.
 */
export function dropThirdPartySignatures(parts: CertificateParts): { parts: CertificateParts; dropped: number } {
  const primary = keyMaterial(parts.primary);
  let dropped = 0;
  const keep = (sigs: RawPacket[]): RawPacket[] => {
    const kept: RawPacket[] = [];
    for (const s of sigs) {
      const info = inspectSignature(s.body);
      if (issuerOf(info, primary) === 'third-party' && info!.type !== SigType.KeyRevocation) dropped++;
      else kept.push(s);
    }
    return kept.length === sigs.length ? sigs : kept;
  };
  const component = (c: Component): Component => {
    const sigs = keep(c.sigs);
    return sigs === c.sigs ? c : { packet: c.packet, sigs };
  };
  const screened: CertificateParts = {
    primary: parts.primary,
    direct: keep(parts.direct),
    userIds: parts.userIds.map(component),
    subkeys: parts.subkeys.map(component),
  };
  return dropped === 0 ? { parts, dropped } : { parts: screened, dropped };
}

/** Serialised size of a certificate (new-format headers), without serialising it. */
export function certificateSize(parts: CertificateParts): number {
  let total = packetSize(parts.primary);
  for (const s of parts.direct) total += packetSize(s);
  for (const c of [...parts.userIds, ...parts.subkeys]) {
    total += packetSize(c.packet);
    for (const s of c.sigs) total += packetSize(s);
  }
  return total;
}

function packetSize(p: RawPacket): number {
  const n = p.body.length;
  return n + (n < 192 ? 2 : n < 8384 ? 3 : 6);
}
