import { keyMaterial, type CertificateParts, type Component } from './certificate.js';
import { userIdText } from './summary.js';
import { inspectSignature, issuedBy, PacketTag, SigType, type RawPacket, type SignatureInfo } from './packets.js';

/** Certification types a user ID's self-signature may have (0x10-0x13). */
export const CERTIFICATION_TYPES: readonly number[] = [SigType.CertGeneric, SigType.CertPersona, SigType.CertCasual, SigType.CertPositive];

/** A signature with what the comparisons need: its parsed header and creation time (seconds). */
export interface SelfSignature {
  packet: RawPacket;
  info: SignatureInfo;
  created: number;
}

/**
 * Creation time of a signature in seconds since the epoch, from the v3 header or the hashed
 * creation-time subpacket (type 2) of v4/v6; undefined when it has none (such a signature is
 * invalid, RFC 9580 §5.2.3.11). Only the hashed area counts: the unhashed one is not signed.
 */
export function signatureCreated(body: Uint8Array): number | undefined {
  const version = body[0];
  if (version === 3) return body.length >= 7 ? readUint(body, 3, 4) : undefined;
  if (version !== 4 && version !== 6) return undefined;
  const lenSize = version === 6 ? 4 : 2;
  if (body.length < 4 + lenSize) return undefined;
  const hashedLen = readUint(body, 4, lenSize);
  const start = 4 + lenSize;
  const end = start + hashedLen;
  if (end > body.length) return undefined;
  let pos = start;
  while (pos < end) {
    const l0 = body[pos++]!;
    let len: number;
    if (l0 < 192) len = l0;
    else if (l0 < 255) {
      if (pos >= end) return undefined;
      len = ((l0 - 192) << 8) + body[pos++]! + 192;
    } else {
      if (pos + 4 > end) return undefined;
      len = readUint(body, pos, 4);
      pos += 4;
    }
    if (len < 1 || pos + len > end) return undefined;
    if ((body[pos]! & 0x7f) === 2 && len === 5) return readUint(body, pos + 1, 4);
    pos += len;
  }
  return undefined;
}

function readUint(b: Uint8Array, pos: number, size: number): number {
  let v = 0;
  for (let i = 0; i < size; i++) v = v * 256 + b[pos + i]!;
  return v;
}

/** The signatures in `sigs` made by the certificate's own primary key with one of `types`. */
export function selfSignatures(parts: CertificateParts, sigs: readonly RawPacket[], types: readonly number[]): SelfSignature[] {
  const primary = keyMaterial(parts.primary);
  const out: SelfSignature[] = [];
  for (const packet of sigs) {
    const info = inspectSignature(packet.body);
    if (!info || !types.includes(info.type) || !issuedBy(info, primary)) continue;
    const created = signatureCreated(packet.body);
    if (created === undefined) continue;
    out.push({ packet, info, created });
  }
  return out;
}

/** The newest of `sigs` (the later one in the list on a tie, as a re-signing appends). */
export function newestSignature(sigs: readonly SelfSignature[]): SelfSignature | undefined {
  let best: SelfSignature | undefined;
  for (const s of sigs) if (!best || s.created >= best.created) best = s;
  return best;
}

/** A user ID packet as text for messages (user attributes, photo IDs, are named as such). */
export function componentName(component: Component): string {
  if (component.packet.tag !== PacketTag.UserId) return '[user attribute]';
  return userIdText(component.packet.body);
}
