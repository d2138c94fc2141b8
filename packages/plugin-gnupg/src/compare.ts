import { createHash } from 'node:crypto';
import { PacketTag, SigType, inspectSignature, keyMaterial, readPackets, splitCertificates, type CertificateParts, type MergeCounts, type RawPacket } from '@keyport/core';

const REVOCATIONS = new Set<number>([SigType.KeyRevocation, SigType.SubkeyRevocation, SigType.CertRevocation]);

/** A packet's identity: tag and body (a signature by its hashed part, so unhashed extras do not count). */
function packetId(p: RawPacket): string {
  const sig = p.tag === PacketTag.Signature ? inspectSignature(p.body) : undefined;
  const h = createHash('sha256').update(String(p.tag)).update(sig ? sig.identity : p.body);
  return h.digest('base64');
}

/** Packets of a certificate with the component each belongs to, so the same signature on another component counts. */
function identities(parts: CertificateParts): Set<string> {
  const out = new Set<string>();
  for (const s of parts.direct) out.add(packetId(s));
  for (const c of [...parts.userIds, ...parts.subkeys]) {
    const owner = packetId(c.packet);
    out.add(owner);
    for (const s of c.sigs) out.add(`${owner}/${packetId(s)}`);
  }
  return out;
}

/**
 * What `candidate` holds that `held` does not, by packets: user IDs, subkeys, signatures,
 * revocations. All zero means importing the candidate cannot change the stored key (gpg would
 * report it unchanged), so the import can be skipped.
 */
export function packetsAdded(candidate: CertificateParts, held: CertificateParts | undefined): MergeCounts {
  const have = held ? identities(held) : new Set<string>();
  const counts: MergeCounts = { userIds: 0, subkeys: 0, signatures: 0, revocations: 0 };
  const countSig = (key: string, s: RawPacket) => {
    if (have.has(key)) return;
    if (REVOCATIONS.has(inspectSignature(s.body)?.type ?? -1)) counts.revocations++;
    else counts.signatures++;
  };
  for (const s of candidate.direct) countSig(packetId(s), s);
  for (const [list, kind] of [[candidate.userIds, 'userIds'], [candidate.subkeys, 'subkeys']] as const) {
    for (const c of list) {
      const owner = packetId(c.packet);
      if (!have.has(owner)) counts[kind]++;
      for (const s of c.sigs) countSig(`${owner}/${packetId(s)}`, s);
    }
  }
  return counts;
}


/** Certificates of a binary packet stream by primary fingerprint (the last copy wins). */
export function certificatesByFingerprint(bytes: Uint8Array): Map<string, CertificateParts> {
  const out = new Map<string, CertificateParts>();
  if (bytes.length === 0) return out;
  for (const c of splitCertificates(readPackets(bytes)).certificates) out.set(keyMaterial(c.parts.primary).fingerprint, c.parts);
  return out;
}

/** Does the merge add anything at all? */
export function addsSomething(counts: MergeCounts): boolean {
  return counts.userIds + counts.subkeys + counts.signatures + counts.revocations > 0;
}
