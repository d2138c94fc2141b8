import { createHash } from 'node:crypto';
import type * as openpgp from 'openpgp';
import { loadOpenpgp } from './lib.js';
import { structurePolicy } from './policy.js';
import {
  PacketTag,
  SigType,
  inspectSignature,
  isKeyTag,
  isSecretTag,
  packetKey,
  PacketSet,
  toHex,
  writePackets,
  type RawPacket,
} from './packets.js';

/** A user ID / user attribute or a subkey, with the signatures that follow it. */
export interface Component {
  packet: RawPacket;
  sigs: RawPacket[];
}

/** A transferable public key as an ordered structure of raw packets (RFC 9580 §10.1). */
export interface CertificateParts {
  primary: RawPacket;
  direct: RawPacket[];
  userIds: Component[];
  subkeys: Component[];
}

export interface KeyMaterialInfo {
  version: number;
  fingerprint: string;
  keyId: string;
  /** Body of the equivalent public-key packet. */
  publicBody: Uint8Array;
}

export class UnsupportedKeyError extends Error {}

/**
 * Length of the public part at the start of a (secret or public) key packet body, from the
 * algorithm's public parameters (RFC 9580 §5.5.2, §5.6). Reading only lengths means secret
 * material is never parsed, let alone decrypted.
 */
export function publicKeyLength(body: Uint8Array): number {
  const version = body[0];
  let pos: number;
  if (version === 4) pos = 6;
  else if (version === 6) {
    if (body.length < 10) throw new UnsupportedKeyError('truncated key packet');
    const len = body[6]! * 0x1000000 + body[7]! * 0x10000 + body[8]! * 0x100 + body[9]!;
    if (10 + len > body.length) throw new UnsupportedKeyError('truncated key packet');
    return 10 + len;
  } else throw new UnsupportedKeyError(`version ${version ?? '?'} keys are not supported`);
  const algo = body[5];
  const need = (n: number) => {
    if (pos + n > body.length) throw new UnsupportedKeyError('truncated key packet');
  };
  const mpi = () => {
    need(2);
    const bits = body[pos]! * 256 + body[pos + 1]!;
    pos += 2 + Math.ceil(bits / 8);
    need(0);
  };
  const oid = () => {
    need(1);
    pos += 1 + body[pos]!;
    need(0);
  };
  switch (algo) {
    case 1: case 2: case 3: mpi(); mpi(); break; // RSA: n, e
    case 17: mpi(); mpi(); mpi(); mpi(); break; // DSA: p, q, g, y
    case 16: case 20: mpi(); mpi(); mpi(); break; // Elgamal: p, g, y
    case 19: case 22: oid(); mpi(); break; // ECDSA, EdDSA (legacy): curve, point
    case 18: oid(); mpi(); need(1); pos += 1 + body[pos]!; need(0); break; // ECDH: + KDF params
    case 25: pos += 32; need(0); break; // X25519
    case 26: pos += 56; need(0); break; // X448
    case 27: pos += 32; need(0); break; // Ed25519
    case 28: pos += 57; need(0); break; // Ed448
    default: throw new UnsupportedKeyError(`public-key algorithm ${algo ?? '?'} is not supported`);
  }
  return pos;
}

/**
 * Fingerprint and public body of a key packet. Secret packets are parsed only far enough to cut
 * off the secret part; they are never decrypted.
 */
export function keyMaterial(packet: RawPacket): KeyMaterialInfo {
  // Screening, request matching and merging each ask for the same packet's fingerprint.
  let info = keyMaterialCache.get(packet);
  if (!info) {
    info = computeKeyMaterial(packet);
    keyMaterialCache.set(packet, info);
  }
  return info;
}

const keyMaterialCache = new WeakMap<RawPacket, KeyMaterialInfo>();

function computeKeyMaterial(packet: RawPacket): KeyMaterialInfo {
  const publicBody = isSecretTag(packet.tag)
    ? packet.body.subarray(0, publicKeyLength(packet.body))
    : packet.body;
  const version = publicBody[0];
  if (version === 4) {
    const head = Buffer.from([0x99, (publicBody.length >> 8) & 0xff, publicBody.length & 0xff]);
    const fpr = createHash('sha1').update(head).update(publicBody).digest();
    const fingerprint = toHex(fpr);
    return { version, fingerprint, keyId: fingerprint.slice(24), publicBody };
  }
  if (version === 6) {
    const n = publicBody.length;
    const head = Buffer.from([0x9b, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
    const fingerprint = toHex(createHash('sha256').update(head).update(publicBody).digest());
    return { version, fingerprint, keyId: fingerprint.slice(0, 16), publicBody };
  }
  throw new UnsupportedKeyError(`version ${version ?? '?'} keys are not supported`);
}

export interface SplitResult {
  certificates: { parts: CertificateParts; secretPackets: RawPacket[] }[];
  /** Signatures that appear before any key (revocation certificates, Hockeypuck's hard-revoked keys). */
  leadingSignatures: RawPacket[];
  /** Trust, marker, padding and unknown packets that were skipped. */
  skippedPackets: number;
}

/** Groups a packet stream into certificates. Secret key packets are kept aside. */
export function splitCertificates(packets: readonly RawPacket[]): SplitResult {
  const certificates: SplitResult['certificates'] = [];
  const leadingSignatures: RawPacket[] = [];
  let skippedPackets = 0;
  let cert: { parts: CertificateParts; secretPackets: RawPacket[] } | undefined;
  let current: RawPacket[] | undefined;
  for (const p of packets) {
    if (isKeyTag(p.tag)) {
      cert = { parts: { primary: p, direct: [], userIds: [], subkeys: [] }, secretPackets: [] };
      certificates.push(cert);
      current = cert.parts.direct;
      continue;
    }
    if (!cert) {
      if (p.tag === PacketTag.Signature) leadingSignatures.push(p);
      else skippedPackets++;
      continue;
    }
    switch (p.tag) {
      case PacketTag.Signature:
        current!.push(p);
        break;
      case PacketTag.UserId:
      case PacketTag.UserAttribute: {
        const c: Component = { packet: p, sigs: [] };
        cert.parts.userIds.push(c);
        current = c.sigs;
        break;
      }
      case PacketTag.PublicSubkey:
      case PacketTag.SecretSubkey: {
        const c: Component = { packet: p, sigs: [] };
        cert.parts.subkeys.push(c);
        current = c.sigs;
        break;
      }
      default:
        skippedPackets++;
    }
  }
  return { certificates, leadingSignatures, skippedPackets };
}

/** The packets of a certificate in canonical order (primary, direct signatures, user IDs, subkeys). */
export function certificatePackets(parts: CertificateParts): RawPacket[] {
  // Loops, not push(...sigs): a spread passes every signature as an argument, and a flooded
  // user ID (CVE-2019-13050) has more of them than the stack holds.
  const out: RawPacket[] = [parts.primary];
  appendAll(out, parts.direct);
  for (const c of [...parts.userIds, ...parts.subkeys]) {
    out.push(c.packet);
    appendAll(out, c.sigs);
  }
  return out;
}

/** Appends `items` to `target` one by one (no argument spread, whatever their number). */
function appendAll<T>(target: T[], items: readonly T[]): void {
  for (const item of items) target.push(item);
}

/** Writes a certificate back to packets in canonical order (see {@link certificatePackets}). */
export function serializeCertificate(parts: CertificateParts): Uint8Array {
  return writePackets(certificatePackets(parts));
}

/** Replaces secret key packets by their public counterparts; the secret ones are returned. */
export function toPublicParts(parts: CertificateParts): {
  publicParts: CertificateParts;
  secretPackets: RawPacket[];
} {
  const secretPackets: RawPacket[] = [];
  const pub = (p: RawPacket, tag: number): RawPacket => {
    if (!isSecretTag(p.tag)) return p;
    secretPackets.push(p);
    return { tag, body: keyMaterial(p).publicBody };
  };
  return {
    publicParts: {
      primary: pub(parts.primary, PacketTag.PublicKey),
      direct: parts.direct,
      userIds: parts.userIds,
      subkeys: parts.subkeys.map((s) => ({ packet: pub(s.packet, PacketTag.PublicSubkey), sigs: s.sigs })),
    },
    secretPackets,
  };
}

/** What a merge added, by kind. */
export interface MergeCounts {
  userIds: number;
  subkeys: number;
  signatures: number;
  revocations: number;
}

export interface MergeOptions {
  /** Drop certifications made by other keys (certificate-flooding defence for server imports). */
  stripThirdParty: boolean;
}

export interface MergeResult {
  merged: CertificateParts;
  added: MergeCounts;
  /** New self-signatures that failed verification or could not be parsed; they are dropped. */
  invalidSignatures: number;
  thirdPartyStripped: number;
}

const REVOCATION_TYPES = new Set<number>([SigType.KeyRevocation, SigType.SubkeyRevocation, SigType.CertRevocation]);

/**
 * Packet union of a stored certificate and an incoming copy (both public). Nothing the store
 * had is dropped or rewritten; only packets absent from the store are verified (self-signatures
 * cryptographically; third-party certifications cannot be checked without the signer's key and
 * are kept unless `stripThirdParty`). New user IDs and subkeys without a valid self-signature are
 * dropped, as GnuPG does.
 */
export async function mergeCertificate(
  existing: CertificateParts | undefined,
  incoming: CertificateParts,
  options: MergeOptions,
): Promise<MergeResult> {
  const primaryInfo = keyMaterial(incoming.primary);
  const verifier = new SelfSignatureVerifier(primaryInfo);
  const added: MergeCounts = { userIds: 0, subkeys: 0, signatures: 0, revocations: 0 };
  let invalidSignatures = 0;
  let thirdPartyStripped = 0;
  const base: CertificateParts = existing
    ? {
        primary: existing.primary,
        direct: [...existing.direct],
        userIds: existing.userIds.map((c) => ({ packet: c.packet, sigs: [...c.sigs] })),
        subkeys: existing.subkeys.map((c) => ({ packet: c.packet, sigs: [...c.sigs] })),
      }
    : { primary: incoming.primary, direct: [], userIds: [], subkeys: [] };

  /** Returns the new, acceptable signatures among `sigs` for the given target. */
  const acceptNew = async (
    have: RawPacket[],
    sigs: RawPacket[],
    target: SignatureTarget,
  ): Promise<RawPacket[]> => {
    // Byte-identical copies are dropped without parsing; the identities of the stored
    // signatures (which also catch re-encoded duplicates) are computed only when needed.
    const stored = new PacketSet(have);
    let known: Set<string> | undefined;
    const accepted: RawPacket[] = [];
    for (const s of sigs) {
      if (stored.has(s)) continue;
      if (!known) {
        known = new Set<string>();
        for (const h of have) {
          const info = inspectSignature(h.body);
          if (info) known.add(info.identity);
        }
      }
      const info = inspectSignature(s.body);
      if (!info) {
        invalidSignatures++;
        continue;
      }
      if (known.has(info.identity)) continue;
      known.add(info.identity);
      const selfIssued = verifier.isIssuer(info);
      if (selfIssued || (!info.issuerKeyId && !info.issuerFingerprint)) {
        if (await verifier.verify(s, info.type, target)) accepted.push(s);
        else invalidSignatures++;
        continue;
      }
      // A designated revoker's key revocation is kept even when stripping: it is not a flooding
      // vector and dropping it could hide a revocation.
      if (options.stripThirdParty && info.type !== SigType.KeyRevocation) {
        thirdPartyStripped++;
        continue;
      }
      accepted.push(s);
    }
    return accepted;
  };

  const count = (sigs: RawPacket[], countPlain: boolean) => {
    for (const s of sigs) {
      const type = s.body[0] === 3 ? s.body[2] : s.body[1];
      if (REVOCATION_TYPES.has(type!)) added.revocations++;
      else if (countPlain) added.signatures++;
    }
  };

  const direct = await acceptNew(base.direct, incoming.direct, { kind: 'direct' });
  appendAll(base.direct, direct);
  count(direct, true);

  const mergeComponents = async (
    have: Component[],
    incomingComponents: Component[],
    kind: 'uid' | 'subkey',
  ) => {
    const index = new Map(have.map((c) => [kindKey(c.packet, kind), c]));
    for (const c of incomingComponents) {
      const key = kindKey(c.packet, kind);
      const target: SignatureTarget = kind === 'uid' ? { kind: 'uid', packet: c.packet } : { kind: 'subkey', packet: c.packet };
      const found = index.get(key);
      if (found) {
        const sigs = await acceptNew(found.sigs, c.sigs, target);
        appendAll(found.sigs, sigs);
        count(sigs, true);
        continue;
      }
      const sigs = await acceptNew([], c.sigs, target);
      const selfSigned = sigs.some((s) => {
        const info = inspectSignature(s.body);
        return info !== undefined && (verifier.isIssuer(info) || (!info.issuerKeyId && !info.issuerFingerprint));
      });
      if (!selfSigned) continue;
      const comp = { packet: c.packet, sigs };
      have.push(comp);
      index.set(key, comp);
      if (kind === 'uid') added.userIds++;
      else added.subkeys++;
      count(sigs, false);
    }
  };
  await mergeComponents(base.userIds, incoming.userIds, 'uid');
  await mergeComponents(base.subkeys, incoming.subkeys, 'subkey');

  return { merged: base, added, invalidSignatures, thirdPartyStripped };
}

function kindKey(p: RawPacket, kind: 'uid' | 'subkey'): string {
  // Subkeys are identified by fingerprint so a secret and a public copy are the same component.
  return kind === 'subkey' ? keyMaterial(p).fingerprint : packetKey(p);
}

type SignatureTarget =
  | { kind: 'direct' }
  | { kind: 'uid'; packet: RawPacket }
  | { kind: 'subkey'; packet: RawPacket };

/** Verifies self-signatures with openpgp.js packet classes (no key-level policy applied). */
class SelfSignatureVerifier {
  private primaryPacket?: openpgp.PublicKeyPacket;
  constructor(
    private readonly info: KeyMaterialInfo,
  ) {}

  isIssuer(sig: { issuerKeyId?: string; issuerFingerprint?: string }): boolean {
    if (sig.issuerFingerprint) return sig.issuerFingerprint === this.info.fingerprint;
    return sig.issuerKeyId === this.info.keyId;
  }

  private async primary(): Promise<openpgp.PublicKeyPacket> {
    if (!this.primaryPacket) {
      const lib = await loadOpenpgp();
      const p = new lib.PublicKeyPacket();
      await p.read(this.info.publicBody);
      this.primaryPacket = p;
    }
    return this.primaryPacket;
  }

  async verify(raw: RawPacket, type: number, target: SignatureTarget): Promise<boolean> {
    try {
      const lib = await loadOpenpgp();
      const sig = new lib.SignaturePacket();
      await sig.read(raw.body);
      const key = await this.primary();
      let data: Record<string, unknown>;
      if (target.kind === 'direct') {
        if (type !== SigType.DirectKey && type !== SigType.KeyRevocation) return false;
        data = { key };
      } else if (target.kind === 'uid') {
        if (!(type >= SigType.CertGeneric && type <= SigType.CertPositive) && type !== SigType.CertRevocation) return false;
        if (target.packet.tag === PacketTag.UserId) {
          const uid = new lib.UserIDPacket();
          await uid.read(target.packet.body);
          data = { key, userID: uid };
        } else {
          const attr = new lib.UserAttributePacket();
          await attr.read(target.packet.body);
          data = { key, userAttribute: attr };
        }
      } else {
        if (type !== SigType.SubkeyBinding && type !== SigType.SubkeyRevocation) return false;
        const sub = new lib.PublicSubkeyPacket();
        await sub.read(keyMaterial(target.packet).publicBody);
        data = { key, bind: sub };
      }
      // Time checks are the summary's business; here only cryptographic validity counts.
      await sig.verify(key, type as openpgp.enums.signature, data as never, null as never, false, await structurePolicy());
      return true;
    } catch {
      return false;
    }
  }
}

/** SHA-256 of the serialized public certificate: cheap change detection for the index. */
export function contentHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

