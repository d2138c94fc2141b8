import { createHash } from 'node:crypto';
import { PacketTag, SigType, inspectSignature, keyMaterial, readPackets, splitCertificates, type CertificateParts, type MergeCounts, type RawPacket, type SignatureInfo } from '@keyport/core';

const REVOCATIONS = new Set<number>([SigType.KeyRevocation, SigType.SubkeyRevocation, SigType.CertRevocation]);

/** A packet's identity: tag and body (a signature by its hashed part, so unhashed extras do not count). */
function packetId(p: RawPacket): string {
  const sig = p.tag === PacketTag.Signature ? inspectSignature(p.body) : undefined;
  const h = createHash('sha256').update(String(p.tag)).update(sig ? sig.identity : p.body);
  return h.digest('base64');
}

/** A signature's creation time (seconds) from its hashed subpackets (v4, v6) or its fixed field (v3); 0 when unreadable. */
function signatureCreated(body: Uint8Array): number {
  const u32 = (at: number) => ((body[at]! << 24) >>> 0) + (body[at + 1]! << 16) + (body[at + 2]! << 8) + body[at + 3]!;
  if (body[0] === 3) return body.length >= 7 ? u32(3) : 0;
  const wide = body[0] === 6;
  if (body[0] !== 4 && !wide) return 0;
  const lenAt = 4;
  const hashedLength = wide ? u32(lenAt) : (body[lenAt]! << 8) + body[lenAt + 1]!;
  let pos = lenAt + (wide ? 4 : 2);
  const end = Math.min(pos + hashedLength, body.length);
  while (pos < end) {
    let len = body[pos]!;
    if (len < 192) pos += 1;
    else if (len < 255) {
      len = ((len - 192) << 8) + body[pos + 1]! + 192;
      pos += 2;
    } else {
      len = u32(pos + 1);
      pos += 5;
    }
    if (len === 0 || pos + len > end) return 0;
    if ((body[pos]! & 0x7f) === 2 && len === 5) return u32(pos + 1);
    pos += len;
  }
  return 0;
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
 * report it unchanged), so the import can be skipped. `selfSigsOnly` leaves out signatures by
 * other keys, which gpg drops from key-server data.
 */
export function packetsAdded(candidate: CertificateParts, held: CertificateParts | undefined, options: { selfSigsOnly?: boolean } = {}): MergeCounts {
  const have = held ? identities(held) : new Set<string>();
  const counts: MergeCounts = { userIds: 0, subkeys: 0, signatures: 0, revocations: 0 };
  const own = keyMaterial(candidate.primary);
  const bySelf = (info: SignatureInfo | undefined) => !!info && (info.issuerFingerprint === own.fingerprint || info.issuerKeyId === own.keyId);
  const isSelf = (s: RawPacket) => bySelf(inspectSignature(s.body));
  const countSig = (key: string, s: RawPacket) => {
    if (have.has(key)) return;
    const info = inspectSignature(s.body);
    // gpg's self-sigs-only drops every signature not made by the key itself (and unreadable ones).
    if (options.selfSigsOnly && !bySelf(info)) return;
    if (REVOCATIONS.has(info?.type ?? -1)) counts.revocations++;
    else counts.signatures++;
  };
  const heldSigs = new Map([...(held?.userIds ?? []), ...(held?.subkeys ?? [])].map((c) => [packetId(c.packet), c.sigs]));
  for (const s of candidate.direct) countSig(packetId(s), s);
  for (const [list, kind] of [[candidate.userIds, 'userIds'], [candidate.subkeys, 'subkeys']] as const) {
    for (const c of list) {
      const owner = packetId(c.packet);
      if (!have.has(owner)) counts[kind]++;
      // gpg's cleaning keeps only the newest self-signature of a user ID (certification or
      // revocation) and the newest binding of a subkey (its revocations stay): older ones add nothing.
      const counted = (s: RawPacket) => kind === 'userIds' || !REVOCATIONS.has(inspectSignature(s.body)?.type ?? -1);
      const newestHeld = options.selfSigsOnly ? Math.max(0, ...(heldSigs.get(owner) ?? []).filter((s) => isSelf(s) && counted(s)).map((s) => signatureCreated(s.body))) : 0;
      for (const s of c.sigs) {
        const superseded = newestHeld > 0 && isSelf(s) && counted(s) && signatureCreated(s.body) <= newestHeld;
        if (!superseded) countSig(`${owner}/${packetId(s)}`, s);
      }
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
