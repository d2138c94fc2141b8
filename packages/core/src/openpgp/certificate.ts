import { createHash } from 'node:crypto';
import type * as openpgp from 'openpgp';
import { loadOpenpgp } from './lib.js';
import { structurePolicy } from './policy.js';
import {
  PacketTag,
  SigType,
  inspectSignature,
  isKeyTag,
  issuedBy,
  type SignatureInfo,
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

/** The fingerprint of a key packet, or undefined for one keyport cannot read. */
export function readableFingerprint(packet: RawPacket): string | undefined {
  try {
    return keyMaterial(packet).fingerprint;
  } catch {
    return undefined;
  }
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
  /**
   * Drop every signature made by another key, of every type (certifications, revocations,
   * direct-key signatures): the flooding defence for server answers. The one exception is a key
   * revocation by a designated revoker that verifies against the revoker's key from
   * `revokerKey` (ADR 0007).
   */
  stripThirdParty: boolean;
  /** The public key packet of a designated revoker, when the keyring holds it. */
  revokerKey?: (fingerprint: string) => Promise<RawPacket | undefined>;
  /** A stored copy whose (already verified) self-signatures may also designate revokers. */
  revokersFrom?: CertificateParts;
  /**
   * Every self-signature of `incoming` was verified, for the component it sits under, by
   * {@link screenCertificate} in this process: merging it again need not repeat that work.
   */
  selfSignaturesVerified?: boolean;
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
  const revokerCandidates: { s: RawPacket; info: SignatureInfo }[] = [];
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
        if (options.selfSignaturesVerified || (await verifier.verify(s, info.type, target))) accepted.push(s);
        else invalidSignatures++;
        continue;
      }
      if (options.stripThirdParty) {
        // Only a designated revoker's key revocation may stay, and only once it verifies; that
        // needs every self-signature seen first, so it is decided after the components.
        if (target.kind === 'direct' && info.type === SigType.KeyRevocation && options.revokerKey) revokerCandidates.push({ s, info });
        else thirdPartyStripped++;
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
      // Any valid self-signature keeps a new component, a self-revocation included: minimised
      // keys (the Debian keyring) keep only the revocation of a revoked user ID, and gpg lists
      // it. Request matching asks more (a certification or a binding, see selfSignedAs).
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

  if (revokerCandidates.length > 0) {
    const designated = designatedRevokers([base, ...(options.revokersFrom ? [options.revokersFrom] : [])], verifier);
    const keep: RawPacket[] = [];
    for (const { s, info } of revokerCandidates) {
      const revoker = [...designated].find((fpr) => (info.issuerFingerprint ? info.issuerFingerprint === fpr : fpr.endsWith(info.issuerKeyId ?? '-')));
      const key = revoker ? await options.revokerKey!(revoker) : undefined;
      if (key && (await verifyByOtherKey(s, key, primaryInfo))) keep.push(s);
      else thirdPartyStripped++;
    }
    for (const s of keep) base.direct.push(s);
    count(keep, true);
  }

  return { merged: base, added, invalidSignatures, thirdPartyStripped };
}

/** Fingerprints that self-signatures of `certs` (already verified, or stored) name as revokers. */
function designatedRevokers(certs: CertificateParts[], verifier: SelfSignatureVerifier): Set<string> {
  const out = new Set<string>();
  for (const cert of certs) {
    const selfSigs = [cert.direct, ...cert.userIds.map((c) => c.sigs)];
    for (const sigs of selfSigs) {
      for (const s of sigs) {
        const info = inspectSignature(s.body);
        if (info && verifier.isIssuer(info)) for (const fpr of info.revocationKeys ?? []) out.add(fpr);
      }
    }
  }
  return out;
}

/** Verifies a key revocation of `revoked` made by another key (a designated revoker). */
export async function verifyByOtherKey(raw: RawPacket, issuer: RawPacket, revoked: KeyMaterialInfo): Promise<boolean> {
  try {
    const lib = await loadOpenpgp();
    const sig = await readSignaturePacket(lib, raw.body);
    const signer = new lib.PublicKeyPacket();
    await signer.read(keyMaterial(issuer).publicBody);
    const key = new lib.PublicKeyPacket();
    await key.read(revoked.publicBody);
    await sig.verify(signer, lib.enums.signature.keyRevocation, { key } as never, null as never, false, await structurePolicy());
    return true;
  } catch {
    return false;
  }
}

function kindKey(p: RawPacket, kind: 'uid' | 'subkey'): string {
  // Subkeys are identified by fingerprint so a secret and a public copy are the same component.
  return kind === 'subkey' ? keyMaterial(p).fingerprint : packetKey(p);
}

type SignatureTarget =
  | { kind: 'direct' }
  | { kind: 'uid'; packet: RawPacket }
  | { kind: 'subkey'; packet: RawPacket };

/** Public-key algorithms that can make signatures (RFC 9580 §9.1): RSA, DSA, ECDSA, EdDSA, Ed25519, Ed448. */
const SIGNING_ALGORITHMS = new Set([1, 3, 17, 19, 22, 27, 28]);

/** Whether a subkey is bound for signing: its key flags say so, or, without flags, its algorithm can (as gpg reads it). */
function canSign(keyFlags: Uint8Array | null | undefined, algorithm: number): boolean {
  if (keyFlags && keyFlags.length > 0) return (keyFlags[0]! & 0x02) !== 0;
  return SIGNING_ALGORITHMS.has(algorithm);
}

/**
 * A user ID packet that hashes as the bytes it was read from. openpgp.js decodes the text and
 * encodes it again when hashing, which changes any user ID that is not valid UTF-8 (Latin-1,
 * say) and made its valid self-signature fail; GnuPG hashes the bytes as they are.
 */
export function rawUserIdPacket(lib: typeof openpgp, body: Uint8Array): openpgp.UserIDPacket {
  const uid = new lib.UserIDPacket();
  uid.read(body);
  uid.write = () => body;
  return uid;
}

/**
 * A signature packet ready for verification. openpgp.js refuses, after checking the signature
 * itself, any signature that names a designated revoker ("not supported"), which would drop
 * valid self-signatures of such keys and make a designated revocation unverifiable. The field
 * is only read back from the packet (the hashed bytes are kept as read), so clearing it changes
 * nothing that is verified.
 */
export async function readSignaturePacket(lib: typeof openpgp, body: Uint8Array): Promise<openpgp.SignaturePacket> {
  const sig = new lib.SignaturePacket();
  await sig.read(body);
  (sig as { revocationKeyClass: number | null }).revocationKeyClass = null;
  return sig;
}

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
      const sig = await readSignaturePacket(lib, raw.body);
      const key = await this.primary();
      let data: Record<string, unknown>;
      if (target.kind === 'direct') {
        if (type !== SigType.DirectKey && type !== SigType.KeyRevocation) return false;
        data = { key };
      } else if (target.kind === 'uid') {
        if (!(type >= SigType.CertGeneric && type <= SigType.CertPositive) && type !== SigType.CertRevocation) return false;
        if (target.packet.tag === PacketTag.UserId) {
          data = { key, userID: rawUserIdPacket(lib, target.packet.body) };
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
        // Time checks are the summary's business; here only cryptographic validity counts.
        await sig.verify(key, type as openpgp.enums.signature, data as never, null as never, false, await structurePolicy());
        // A signing subkey must also sign the primary back (0x19), or anyone could claim
        // someone else's signing key as their subkey (RFC 9580 §5.2.1.8; gpg requires it too).
        if (type === SigType.SubkeyBinding && canSign(sig.keyFlags, sub.algorithm as number)) {
          const back = sig.embeddedSignature;
          if (!back || back.signatureType !== SigType.PrimaryKeyBinding) return false;
          await back.verify(sub, lib.enums.signature.keyBinding, data as never, null as never, false, await structurePolicy());
        }
        return true;
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


/** What screening kept of an incoming certificate, and what it dropped. */
export interface ScreenResult {
  /** The certificate reduced to its valid components (see {@link screenCertificate}). */
  parts: CertificateParts;
  userIdsDropped: number;
  subkeysDropped: number;
  invalidSignatures: number;
  thirdPartyStripped: number;
}

/**
 * Reduces a certificate to what verifies: user IDs with a valid self-certification, subkeys with
 * a valid binding (and back-signature when they can sign), self-signatures that verify, and,
 * when `stripThirdParty`, no signature by another key except a verified designated revocation.
 * Request matching runs on the result, never on the raw packets (ADR 0007).
 */
export async function screenCertificate(parts: CertificateParts, options: MergeOptions): Promise<ScreenResult> {
  const result = await mergeCertificate(undefined, parts, options);
  const distinct = (list: Component[], kind: 'uid' | 'subkey') => new Set(list.map((c) => kindKey(c.packet, kind))).size;
  return {
    parts: result.merged,
    userIdsDropped: distinct(parts.userIds, 'uid') - result.merged.userIds.length,
    subkeysDropped: distinct(parts.subkeys, 'subkey') - result.merged.subkeys.length,
    invalidSignatures: result.invalidSignatures,
    thirdPartyStripped: result.thirdPartyStripped,
  };
}

/**
 * Removes subkeys whose packet keyport cannot read (v3, v5, unknown versions or algorithms,
 * truncated), with a note for each, so one odd subkey costs that subkey and not the import.
 */
export function dropUnreadableSubkeys(parts: CertificateParts): { parts: CertificateParts; notes: string[] } {
  const notes: string[] = [];
  const subkeys = parts.subkeys.filter((c, i) => {
    try {
      keyMaterial(c.packet);
      return true;
    } catch (e) {
      if (!(e instanceof UnsupportedKeyError)) throw e;
      notes.push(`subkey ${i + 1} skipped: ${e.message}`);
      return false;
    }
  });
  return { parts: notes.length === 0 ? parts : { ...parts, subkeys }, notes };
}

/** Block sizes of the symmetric algorithms a secret key may be encrypted with (RFC 9580 §9.3). */
const CIPHER_BLOCK = new Map<number, number>([
  [1, 8], [2, 8], [3, 8], [4, 8], [7, 16], [8, 16], [9, 16], [10, 16], [11, 16], [12, 16], [13, 16],
]);
/** Nonce sizes of the AEAD modes (RFC 9580 §9.6): EAX, OCB, GCM. */
const AEAD_NONCE = new Map<number, number>([[1, 16], [2, 15], [3, 12]]);
const HASHES = new Set([1, 2, 3, 8, 9, 10, 11, 12, 14]);

/**
 * Why the secret part of a secret key packet is not well formed, or undefined when it is. An
 * unencrypted secret must parse for its algorithm and carry a matching checksum; an encrypted
 * one must use a known protection form (usage 254 or 255 with a known cipher and S2K
 * specifier, including GnuPG's gnu-dummy and divert-to-card stubs; usage 253, AEAD, only on v6
 * keys and Argon2 only with it). Nothing is decrypted, so
 * an encrypted secret's inner SHA-1 cannot be checked here.
 */
export function secretPacketProblem(packet: RawPacket): string | undefined {
  const body = packet.body;
  let pos: number;
  try {
    pos = publicKeyLength(body);
  } catch (e) {
    return (e as Error).message;
  }
  const v6 = body[0] === 6;
  if (pos >= body.length) return 'the secret part is missing';
  const usage = body[pos++]!;
  if (usage === 0) return v6 ? plainSecretProblem(body, pos, false) : plainSecretProblem(body, pos, true);
  if (usage !== 253 && usage !== 254 && usage !== 255) return `unknown secret-key protection (usage octet ${usage})`;
  // RFC 9580 defines AEAD protection for v4 keys too, but GnuPG 2.2 reads usage 253 on a v4 key
  // as a cipher number and skips the key ("invalid cipher 253"); a forged packet must not pass
  // where the reference refuses it.
  if (usage === 253 && !v6) return 'AEAD protection (usage octet 253) on a version 4 key, which GnuPG 2.2 cannot read either; only version 6 keys are accepted with it';
  if (v6) pos++; // count of the following parameter octets
  const cipher = body[pos++];
  const block = cipher === undefined ? undefined : CIPHER_BLOCK.get(cipher);
  if (block === undefined) return `unknown cipher ${cipher ?? '?'} protecting the secret key`;
  let ivLength = block;
  if (usage === 253) {
    const aead = body[pos++];
    const nonce = aead === undefined ? undefined : AEAD_NONCE.get(aead);
    if (nonce === undefined) return `unknown AEAD mode ${aead ?? '?'} protecting the secret key`;
    ivLength = nonce;
  }
  if (v6) pos++; // length of the S2K specifier
  const s2k = body[pos++];
  const hash = body[pos];
  // RFC 9580 §3.7.2.1: Argon2 only with AEAD; GnuPG's stubs only in its own CFB forms.
  if (s2k === 4 && usage !== 253) return `an Argon2 S2K with usage octet ${usage} (RFC 9580 allows Argon2 only with AEAD, usage 253)`;
  if (s2k === 101 && usage === 253) return 'a GnuPG S2K extension with AEAD protection';
  switch (s2k) {
    case 0:
      pos += 1;
      break;
    case 1:
      pos += 9;
      break;
    case 3:
      pos += 10;
      break;
    case 4:
      pos += 19;
      break;
    case 101: {
      // GnuPG extension: "GNU" then 1 (gnu-dummy, no secret here) or 2 (divert to card + serial).
      if (body[pos + 1] !== 0x47 || body[pos + 2] !== 0x4e || body[pos + 3] !== 0x55) return 'unknown S2K extension 101';
      const mode = body[pos + 4];
      pos += 5;
      if (mode === 1) return pos === body.length ? undefined : 'a gnu-dummy stub with trailing data';
      if (mode === 2) {
        const n = body[pos];
        return n !== undefined && pos + 1 + n <= body.length ? undefined : 'a truncated divert-to-card stub';
      }
      return `unknown GnuPG S2K mode ${mode ?? '?'}`;
    }
    default:
      return `unknown S2K specifier ${s2k ?? '?'}`;
  }
  if (s2k !== 4 && (hash === undefined || !HASHES.has(hash))) return `unknown S2K hash ${hash ?? '?'}`;
  pos += ivLength;
  // Something must be encrypted: at least the SHA-1 (254) or the AEAD tag (253).
  const minimum = usage === 254 ? 21 : usage === 253 ? 17 : 3;
  if (body.length - pos < minimum) return 'the encrypted secret part is truncated';
  return undefined;
}

/** Algorithm-specific plaintext secret fields (RFC 9580 §5.5.3) then, for v4, the 2-octet checksum. */
function plainSecretProblem(body: Uint8Array, start: number, checksum: boolean): string | undefined {
  const algo = body[5]!;
  let pos = start;
  const mpis = algo === 1 || algo === 2 || algo === 3 ? 4 : [16, 17, 18, 19, 20, 22].includes(algo) ? 1 : 0;
  const fixed = new Map([[25, 32], [26, 56], [27, 32], [28, 57]]).get(algo) ?? 0;
  if (mpis === 0 && fixed === 0) return `public-key algorithm ${algo} is not supported`;
  for (let i = 0; i < mpis; i++) {
    if (pos + 2 > body.length) return 'the secret part is truncated';
    pos += 2 + Math.ceil((body[pos]! * 256 + body[pos + 1]!) / 8);
  }
  pos += fixed;
  const end = pos + (checksum ? 2 : 0);
  if (end > body.length) return 'the secret part is truncated';
  if (end < body.length) return 'the secret part has trailing data';
  if (!checksum) return undefined;
  let sum = 0;
  for (let i = start; i < pos; i++) sum = (sum + body[i]!) & 0xffff;
  return sum === body[pos]! * 256 + body[pos + 1]! ? undefined : 'the secret part fails its checksum';
}

/**
 * Does `component` of the certificate with primary `primary` carry a self-signature of one of
 * `types`? On a screened certificate every self-signature has verified, so this says whether a
 * user ID is self-certified (0x10-0x13) or a subkey bound (0x18), not merely self-revoked.
 */
export function selfSignedAs(primary: RawPacket, component: Component, types: readonly number[]): boolean {
  const info = keyMaterial(primary);
  return component.sigs.some((s) => {
    const sig = inspectSignature(s.body);
    if (!sig || !types.includes(sig.type)) return false;
    return issuedBy(sig, info);
  });
}
