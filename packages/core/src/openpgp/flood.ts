/**
 * Certificate-flooding defences (CVE-2019-13050): a key whose user ID carries tens of thousands
 * of certifications from throw-away keys must still import quickly, in bounded memory, and as
 * the clean key. Everything here works on raw packets before anything is verified or merged.
 */
import type * as openpgp from 'openpgp';
import { keyMaterial, rawUserIdPacket, readSignaturePacket, type CertificateParts, type Component } from './certificate.js';
import { loadOpenpgp } from './lib.js';
import { framePacket, isKeyTag, packetBody, PacketFramingError, PacketTag, SigType, type RawPacket } from './packets.js';
import { structurePolicy } from './policy.js';

/** Default of `import.maxCertificationsPerUserId`. */
export const DEFAULT_MAX_CERTIFICATIONS_PER_USER_ID = 250;

/** Default of `network.maxRawResponseBytes`: room for a flooded key's armored answer (24 MB for 150,000 certifications). */
export const DEFAULT_MAX_RAW_RESPONSE_BYTES = 64 * 1024 * 1024;

/** Third-party certifications dropped from a flooded certificate, and on how many user IDs. */
export interface FloodingReport {
  /**
   * Certifications dropped because they are not by a key in the keyring: their issuers are not
   * held, or they name a held key but do not verify against it.
   */
  dropped: number;
  /** User IDs (and user attributes) that had more third-party certifications than the limit. */
  userIds: number;
  /** The limit in force (`import.maxCertificationsPerUserId`). */
  limit: number;
}

/**
 * Where a signature names its issuer, as offsets into its body (-1 when absent), read in place.
 * A flooded key has 150,000 signatures: this reading allocates nothing per signature, where
 * {@link inspectSignature}'s hex strings and identity copies made the import garbage-bound.
 */
interface IssuerLocation {
  type: number;
  fingerprintAt: number;
  fingerprintLength: number;
  keyIdAt: number;
}

/**
 * Fills `out` for the signature body at `b[start..end)` (offsets in `out` are into `b`); false
 * for a signature that cannot be parsed.
 */
function locateIssuer(b: Uint8Array, start: number, end: number, out: IssuerLocation): boolean {
  out.fingerprintAt = -1;
  out.fingerprintLength = 0;
  out.keyIdAt = -1;
  const version = b[start];
  if (version === 3) {
    if (end - start < 19) return false;
    out.type = b[start + 2]!;
    out.keyIdAt = start + 7;
    return true;
  }
  if (version !== 4 && version !== 6) return false;
  const lenSize = version === 6 ? 4 : 2;
  if (end - start < 4 + lenSize) return false;
  out.type = b[start + 1]!;
  const hashedStart = start + 4 + lenSize;
  const hashedEnd = hashedStart + readLength(b, start + 4, lenSize);
  if (hashedEnd + lenSize > end) return false;
  const unhashedStart = hashedEnd + lenSize;
  const unhashedEnd = unhashedStart + readLength(b, hashedEnd, lenSize);
  if (unhashedEnd > end) return false;
  // Unhashed first, then hashed over it field by field: the same reading as inspectSignature,
  // so this screen and the merge never disagree about who issued a signature.
  if (!scanIssuer(b, unhashedStart, unhashedEnd, out) || !scanIssuer(b, hashedStart, hashedEnd, out)) return false;
  if (out.keyIdAt < 0 && out.fingerprintAt >= 0) {
    out.keyIdAt = version === 6 ? out.fingerprintAt : out.fingerprintAt + out.fingerprintLength - 8;
  }
  return true;
}

function readLength(b: Uint8Array, pos: number, size: number): number {
  let v = 0;
  for (let i = 0; i < size; i++) v = v * 256 + (b[pos + i] ?? 0);
  return v;
}

function scanIssuer(b: Uint8Array, start: number, end: number, out: IssuerLocation): boolean {
  let pos = start;
  while (pos < end) {
    const l0 = b[pos++]!;
    let len: number;
    if (l0 < 192) len = l0;
    else if (l0 < 255) {
      if (pos >= end) return false;
      len = ((l0 - 192) << 8) + b[pos++]! + 192;
    } else {
      if (pos + 4 > end) return false;
      len = readLength(b, pos, 4);
      pos += 4;
    }
    if (len < 1 || pos + len > end) return false;
    const type = b[pos]! & 0x7f;
    if (type === 16 && len === 9) out.keyIdAt = pos + 1;
    if (type === 33 && len >= 22) {
      out.fingerprintAt = pos + 2;
      out.fingerprintLength = len - 2;
    }
    pos += len;
  }
  return true;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).toUpperCase().padStart(2, '0'));

function hexAt(b: Uint8Array, start: number, length: number): string {
  let out = '';
  for (let i = start; i < start + length; i++) out += HEX[b[i]!]!;
  return out;
}

function sameBytes(b: Uint8Array, at: number, expected: Uint8Array): boolean {
  for (let i = 0; i < expected.length; i++) if (b[at + i] !== expected[i]) return false;
  return true;
}

const SELF = 0;
const THIRD_PARTY = 1;
const UNREADABLE = 2;

/** Classifies signatures on one certificate as self-issued, third-party or unreadable. */
class IssuerScreen {
  private readonly fingerprint: Uint8Array;
  private readonly keyId: Uint8Array;
  readonly at: IssuerLocation = { type: 0, fingerprintAt: -1, fingerprintLength: 0, keyIdAt: -1 };

  constructor(primaryPacket: RawPacket) {
    const primary = keyMaterial(primaryPacket);
    this.fingerprint = Buffer.from(primary.fingerprint, 'hex');
    this.keyId = Buffer.from(primary.keyId, 'hex');
  }

  /** Reads the signature body at `body[start..end)` into {@link at} and says who issued it. */
  classify(body: Uint8Array, start = 0, end = body.length): number {
    const at = this.at;
    if (!locateIssuer(body, start, end, at)) return UNREADABLE;
    if (at.fingerprintAt >= 0) {
      return at.fingerprintLength === this.fingerprint.length && sameBytes(body, at.fingerprintAt, this.fingerprint) ? SELF : THIRD_PARTY;
    }
    // No issuer at all: only a verification can tell, and the merge verifies such signatures as self-signatures.
    if (at.keyIdAt < 0) return SELF;
    return sameBytes(body, at.keyIdAt, this.keyId) ? SELF : THIRD_PARTY;
  }
}

/**
 * Issuers given as uppercase hex fingerprints and key IDs (each mapped to the fingerprint of the
 * held primary key it belongs to), looked up by the low 32 bits of the key ID first, so the usual
 * miss costs no string.
 */
class KnownIssuers {
  private readonly byLowBits = new Set<number>();
  constructor(private readonly ids: ReadonlyMap<string, string>) {
    for (const id of ids.keys()) if (id.length === 16) this.byLowBits.add(Number.parseInt(id.slice(8), 16));
  }

  /** The issuer as named by the signature (fingerprint, else key ID) when it is known, else undefined. */
  find(body: Uint8Array, at: IssuerLocation): string | undefined {
    if (at.keyIdAt < 0) return undefined;
    const k = at.keyIdAt + 4;
    const low = ((body[k]! << 24) | (body[k + 1]! << 16) | (body[k + 2]! << 8) | body[k + 3]!) >>> 0;
    if (!this.byLowBits.has(low)) return undefined;
    const id = at.fingerprintAt >= 0 ? hexAt(body, at.fingerprintAt, at.fingerprintLength) : hexAt(body, at.keyIdAt, 8);
    return this.ids.has(id) ? id : undefined;
  }

  /** The fingerprint of the held primary key that `id` belongs to. */
  primaryOf(id: string): string {
    return this.ids.get(id)!;
  }
}

/**
 * Checks certifications of one component against held keys. Each issuer's key packet is read
 * (and parsed) once per certificate.
 */
class HeldIssuerVerifier {
  private readonly keys = new Map<string, Promise<openpgp.PublicKeyPacket | undefined>>();
  private data?: Promise<Record<string, unknown>>;

  constructor(
    private readonly parts: CertificateParts,
    private readonly known: KnownIssuers,
    private readonly readHeld: (primaryFingerprint: string) => Promise<CertificateParts | undefined>,
  ) {}

  /** Whether `raw`, a certification of `component`, verifies against the held key `issuer`. */
  async verifies(raw: RawPacket, component: Component, issuer: string): Promise<boolean> {
    try {
      const lib = await loadOpenpgp();
      const key = await this.key(lib, issuer);
      if (!key) return false;
      const sig = await readSignaturePacket(lib, raw.body);
      const type = sig.signatureType as number;
      if (!((type >= SigType.CertGeneric && type <= SigType.CertPositive) || type === SigType.CertRevocation)) return false;
      const data = { ...(await this.targetOf(lib, component)) };
      // Only cryptographic validity counts here, as in the merge; times are the summary's business.
      await sig.verify(key, type as openpgp.enums.signature, data as never, null as never, false, await structurePolicy());
      return true;
    } catch {
      return false;
    }
  }

  private key(lib: typeof openpgp, issuer: string): Promise<openpgp.PublicKeyPacket | undefined> {
    let key = this.keys.get(issuer);
    if (!key) {
      key = (async () => {
        const held = await this.readHeld(this.known.primaryOf(issuer)).catch(() => undefined);
        if (!held) return undefined;
        const packet = [held.primary, ...held.subkeys.map((c) => c.packet)].find((p) => {
          const info = keyMaterial(p);
          return info.fingerprint === issuer || info.keyId === issuer;
        });
        if (!packet) return undefined;
        const parsed = new lib.PublicKeyPacket();
        await parsed.read(keyMaterial(packet).publicBody);
        return parsed;
      })();
      this.keys.set(issuer, key);
    }
    return key;
  }

  private async targetOf(lib: typeof openpgp, component: Component): Promise<Record<string, unknown>> {
    this.data ??= (async () => {
      const primary = new lib.PublicKeyPacket();
      await primary.read(keyMaterial(this.parts.primary).publicBody);
      return { key: primary };
    })();
    const base = await this.data;
    if (component.packet.tag === PacketTag.UserId) return { ...base, userID: rawUserIdPacket(lib, component.packet.body) };
    const attribute = new lib.UserAttributePacket();
    await attribute.read(component.packet.body);
    return { ...base, userAttribute: attribute };
  }
}

/**
 * File imports: on every user ID with more third-party certifications than `limit`, keeps only
 * those made by a key in the keyring: their issuer is among `knownIssuers` (uppercase hex
 * fingerprints and key IDs of the keys in the keyring, each mapped to its primary's fingerprint)
 * and they verify against that key, read with `readHeld`. Naming a held key as issuer is not
 * enough: anyone can. At most `limit` such verifications are made per user ID, so a flood of
 * forgeries naming a held key costs bounded work; candidates past that budget are dropped.
 * Self-signatures are always kept. A user ID at or under the limit is left as it is. Returns the
 * same `parts` object when nothing was dropped.
 */
export async function limitFloodedUserIds(
  parts: CertificateParts,
  limit: number,
  knownIssuers: ReadonlyMap<string, string>,
  readHeld: (primaryFingerprint: string) => Promise<CertificateParts | undefined>,
): Promise<{ parts: CertificateParts; flooding?: FloodingReport }> {
  const screen = new IssuerScreen(parts.primary);
  let known: KnownIssuers | undefined;
  let verifier: HeldIssuerVerifier | undefined;
  let dropped = 0;
  let userIds = 0;
  const limited: Component[] = [];
  for (const c of parts.userIds) {
    if (c.sigs.length <= limit) {
      limited.push(c);
      continue;
    }
    let thirdParty = 0;
    for (const s of c.sigs) if (screen.classify(s.body) === THIRD_PARTY) thirdParty++;
    if (thirdParty <= limit) {
      limited.push(c);
      continue;
    }
    userIds++;
    known ??= new KnownIssuers(knownIssuers);
    verifier ??= new HeldIssuerVerifier(parts, known, readHeld);
    let verifications = 0;
    const sigs: RawPacket[] = [];
    for (const s of c.sigs) {
      // Unreadable signatures go on to the merge, which counts them as malformed.
      const kind = screen.classify(s.body);
      if (kind !== THIRD_PARTY) {
        sigs.push(s);
        continue;
      }
      const issuer = known.find(s.body, screen.at);
      if (issuer !== undefined && verifications < limit) {
        verifications++;
        if (await verifier.verifies(s, c, issuer)) {
          sigs.push(s);
          continue;
        }
      }
      dropped++;
    }
    limited.push({ packet: c.packet, sigs });
  }
  if (userIds === 0) return { parts };
  return { parts: { ...parts, userIds: limited }, flooding: { dropped, userIds, limit } };
}

/**
 * Server answers: drops every signature issued by another key, per component, before anything
 * is verified or merged, so a flooded answer costs only its framing. Key revocations are kept
 * for the merge to judge (a designated revoker's must not be lost). Returns the count dropped.
 */
export function dropThirdPartySignatures(parts: CertificateParts): { parts: CertificateParts; dropped: number } {
  const screen = new IssuerScreen(parts.primary);
  let dropped = 0;
  const keep = (sigs: RawPacket[]): RawPacket[] => {
    const kept: RawPacket[] = [];
    for (const s of sigs) {
      if (screen.classify(s.body) === THIRD_PARTY && screen.at.type !== SigType.KeyRevocation) dropped++;
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

/**
 * Frames a packet stream (like readPacketsLenient) and drops, as it reads, every signature
 * issued by a key other than the certificate it follows (key revocations aside, see
 * {@link dropThirdPartySignatures}). A flooded server answer thus never becomes 150,000 packet
 * objects. Signatures before any key, and those of a certificate whose primary key cannot be
 * read, are kept: the pipeline judges them.
 */
export function readPacketsDroppingThirdParty(bytes: Uint8Array): {
  packets: RawPacket[];
  dropped: number;
  error?: PacketFramingError;
} {
  const packets: RawPacket[] = [];
  let dropped = 0;
  let screen: IssuerScreen | undefined;
  const isDropped = (body: Uint8Array, start?: number, end?: number) =>
    screen !== undefined && screen.classify(body, start, end) === THIRD_PARTY && screen.at.type !== SigType.KeyRevocation;
  for (let pos = 0; pos < bytes.length; ) {
    const frame = framePacket(bytes, pos);
    if ('error' in frame) return { packets, dropped, error: new PacketFramingError(frame.error, frame.offset) };
    pos = frame.next;
    // A contiguous signature is classified in place: no packet object for what is dropped.
    if (frame.tag === PacketTag.Signature && !frame.partial && isDropped(bytes, frame.bodyStart, frame.bodyStart + frame.length)) {
      dropped++;
      continue;
    }
    const packet = { tag: frame.tag, body: packetBody(bytes, frame) };
    if (isKeyTag(frame.tag)) {
      try {
        screen = new IssuerScreen(packet);
      } catch {
        screen = undefined;
      }
    } else if (frame.tag === PacketTag.Signature && frame.partial && isDropped(packet.body)) {
      dropped++;
      continue;
    }
    packets.push(packet);
  }
  return { packets, dropped };
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
