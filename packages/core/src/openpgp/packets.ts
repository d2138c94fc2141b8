/**
 * Raw OpenPGP packet framing (RFC 9580 §4).
 *
 * The keyring stores and merges certificates as packet sequences, byte for byte, rather than
 * round-tripping them through a high-level library: a union of packets can then never lose or
 * rewrite anything the keyring already had, and "unchanged" is a cheap byte comparison.
 */

export const PacketTag = {
  Signature: 2,
  SecretKey: 5,
  PublicKey: 6,
  SecretSubkey: 7,
  Marker: 10,
  Trust: 12,
  UserId: 13,
  PublicSubkey: 14,
  UserAttribute: 17,
  Padding: 21,
} as const;

/** One OpenPGP packet: its tag and its body, bytes as read (no header). */
export interface RawPacket {
  readonly tag: number;
  /** Packet body without header. */
  readonly body: Uint8Array;
}

/** The framing error of a packet whose body runs past the end of the input. */
const TRUNCATED_PACKET = 'truncated packet';

export class PacketFramingError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }

  /**
   * The input ends inside a packet's body: everything before `offset` framed cleanly (gpg imports
   * that part of a file). Any other framing error leaves nothing to trust, as in gpg.
   */
  get truncated(): boolean {
    return this.message === TRUNCATED_PACKET;
  }
}

/**
 * Packets that may have a partial (new format) or indeterminate (old format) length: literal,
 * compressed and encrypted data (RFC 9580 §4.2.1.4, §4.2.2). Keys, user IDs and signatures never
 * do; gpg refuses them ("partial length invalid for packet type 13").
 */
const STREAMED_TAGS = new Set([8, 9, 11, 18, 20]);

/**
 * Splits a binary packet stream into packets. Throws PacketFramingError on a stream that
 * cannot be framed at all (bad header bit, truncated body); everything readable before that
 * point is available through the `partial` property of the error via {@link readPacketsLenient}.
 */
export function readPackets(bytes: Uint8Array): RawPacket[] {
  const result = readPacketsLenient(bytes);
  if (result.error) throw result.error;
  return result.packets;
}

export function readPacketsLenient(bytes: Uint8Array): {
  packets: RawPacket[];
  error?: PacketFramingError;
} {
  const packets: RawPacket[] = [];
  for (let pos = 0; pos < bytes.length; ) {
    const frame = framePacket(bytes, pos);
    if ('error' in frame) return { packets, error: new PacketFramingError(frame.error, frame.offset) };
    packets.push({ tag: frame.tag, body: packetBody(bytes, frame) });
    pos = frame.next;
  }
  return { packets };
}

/** Where one packet lies in a byte stream; see {@link framePacket}. */
export interface PacketFrame {
  tag: number;
  /** Offset of the packet header. */
  start: number;
  /** Offset of the body (after the first length header). */
  bodyStart: number;
  /** Total body length (the sum of all chunks for partial lengths). */
  length: number;
  /** True when the body comes in partial-length chunks, so it is not one contiguous run. */
  partial: boolean;
  /** Offset of the next packet. */
  next: number;
}

/**
 * Frames the packet at `pos` without copying anything: the one framing routine of every packet
 * reader. Partial and indeterminate lengths are framing errors except on data packets (as in
 * gpg); on those, partial lengths are walked so a reader stays in sync;
 * their body is assembled only when asked for ({@link packetBody}), in one copy, so a stream of
 * tiny chunks costs no object per chunk.
 */
export function framePacket(bytes: Uint8Array, pos: number): PacketFrame | { error: string; offset: number } {
  const start = pos;
  const truncated = { error: TRUNCATED_PACKET, offset: start };
  // A length field cut short is "length invalid" to gpg, not a truncated body: nothing is kept.
  const badLength = { error: 'truncated packet length', offset: start };
  const header = bytes[pos++]!;
  if ((header & 0x80) === 0) return { error: 'not an OpenPGP packet header', offset: start };
  if ((header & 0x40) === 0) {
    const tag = (header >> 2) & 0x0f;
    const lengthType = header & 0x03;
    let length: number;
    if (lengthType === 3) {
      if (!STREAMED_TAGS.has(tag)) return { error: `indeterminate length invalid for packet type ${tag}`, offset: start };
      length = bytes.length - pos;
    } else {
      const n = 1 << lengthType;
      if (pos + n > bytes.length) return badLength;
      length = 0;
      for (let i = 0; i < n; i++) length = length * 256 + bytes[pos++]!;
    }
    if (pos + length > bytes.length) return truncated;
    return { tag, start, bodyStart: pos, length, partial: false, next: pos + length };
  }
  const tag = header & 0x3f;
  let total = 0;
  let bodyStart = -1;
  let partial = false;
  for (;;) {
    const chunk = readNewLength(bytes, pos);
    if (!chunk) return badLength;
    if (chunk.partial && !STREAMED_TAGS.has(tag)) return { error: `partial length invalid for packet type ${tag}`, offset: start };
    pos = chunk.next;
    if (bodyStart < 0) bodyStart = pos;
    if (pos + chunk.length > bytes.length) return truncated;
    total += chunk.length;
    pos += chunk.length;
    if (!chunk.partial) break;
    partial = true;
  }
  return { tag, start, bodyStart, length: total, partial, next: pos };
}

/** One new-format length field at `pos`: the chunk length, whether more chunks follow, and where the chunk starts. */
function readNewLength(bytes: Uint8Array, pos: number): { length: number; partial: boolean; next: number } | undefined {
  if (pos >= bytes.length) return undefined;
  const l0 = bytes[pos]!;
  if (l0 < 192) return { length: l0, partial: false, next: pos + 1 };
  if (l0 < 224) {
    if (pos + 1 >= bytes.length) return undefined;
    return { length: ((l0 - 192) << 8) + bytes[pos + 1]! + 192, partial: false, next: pos + 2 };
  }
  if (l0 === 255) {
    if (pos + 5 > bytes.length) return undefined;
    return { length: bytes[pos + 1]! * 0x1000000 + bytes[pos + 2]! * 0x10000 + bytes[pos + 3]! * 0x100 + bytes[pos + 4]!, partial: false, next: pos + 5 };
  }
  return { length: 1 << (l0 & 0x1f), partial: true, next: pos + 1 };
}

/** The body of a framed packet: a view into `bytes`, or for partial lengths one assembled copy. */
export function packetBody(bytes: Uint8Array, frame: PacketFrame): Uint8Array {
  if (!frame.partial) return bytes.subarray(frame.bodyStart, frame.bodyStart + frame.length);
  const body = new Uint8Array(frame.length);
  let filled = 0;
  // Partial lengths exist only in the new format: the first length field follows the tag byte.
  for (let pos = frame.start + 1; ; ) {
    const chunk = readNewLength(bytes, pos)!;
    body.set(bytes.subarray(chunk.next, chunk.next + chunk.length), filled);
    filled += chunk.length;
    pos = chunk.next + chunk.length;
    if (!chunk.partial) return body;
  }
}

/** Length of the new-format header for a body of `length` bytes. */
function headerLength(length: number): number {
  return length < 192 ? 2 : length < 8384 ? 3 : 6;
}

/** Writes `packet` with a new-format header at `offset`; returns the offset after it. */
function writePacketAt(out: Uint8Array, offset: number, packet: RawPacket): number {
  const len = packet.body.length;
  let o = offset;
  out[o++] = 0xc0 | packet.tag;
  if (len < 192) out[o++] = len;
  else if (len < 8384) {
    const l = len - 192;
    out[o++] = (l >> 8) + 192;
    out[o++] = l & 0xff;
  } else {
    out[o++] = 255;
    out[o++] = (len >>> 24) & 0xff;
    out[o++] = (len >>> 16) & 0xff;
    out[o++] = (len >>> 8) & 0xff;
    out[o++] = len & 0xff;
  }
  out.set(packet.body, o);
  return o + len;
}

/** Serialises packets with new-format headers (the canonical form for storage), concatenated in one allocation. */
export function writePackets(packets: readonly RawPacket[]): Uint8Array {
  let total = 0;
  for (const p of packets) total += headerLength(p.body.length) + p.body.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of packets) offset = writePacketAt(out, offset, p);
  return out;
}

/** A packet's identity for byte-level comparison: tag and body. */
export function packetKey(packet: RawPacket): string {
  return `${packet.tag}:${Buffer.from(packet.body.buffer, packet.body.byteOffset, packet.body.byteLength).toString('latin1')}`;
}

/**
 * Packets looked up by content (tag and body, headers aside). Bucketed by tag, length and the
 * last four bytes of the body (a signature's last bytes are its signature value, so they rarely
 * collide), then compared in full: no string copy of every body, which on a large keyring was
 * most of the cost of a comparison.
 */
export class PacketSet {
  private readonly buckets = new Map<number, RawPacket[]>();

  constructor(packets: Iterable<RawPacket> = []) {
    for (const p of packets) this.add(p);
  }

  add(packet: RawPacket): void {
    const key = bucketKey(packet);
    const bucket = this.buckets.get(key);
    if (bucket) bucket.push(packet);
    else this.buckets.set(key, [packet]);
  }

  has(packet: RawPacket): boolean {
    const bucket = this.buckets.get(bucketKey(packet));
    return bucket !== undefined && bucket.some((p) => p.tag === packet.tag && bytesEqual(p.body, packet.body));
  }
}

/** Tag (6 bits), length (low 15 bits) and last four bytes in one exact integer (< 2^53). */
function bucketKey(p: RawPacket): number {
  const b = p.body;
  const n = b.length;
  const tail = n >= 4 ? ((b[n - 4]! << 24) | (b[n - 3]! << 16) | (b[n - 2]! << 8) | b[n - 1]!) >>> 0 : n > 0 ? b[n - 1]! : 0;
  return ((p.tag & 0x3f) * 0x8000 + (n & 0x7fff)) * 0x100000000 + tail;
}

/**
 * Is every packet of `incoming` also in `existing`, byte for byte (headers aside)? The same
 * packets in the same order, the usual case when a key did not change, is checked without
 * building a set.
 */
export function packetListContained(existing: readonly RawPacket[], incoming: readonly RawPacket[]): boolean {
  let same = incoming.length <= existing.length;
  for (let i = 0; same && i < incoming.length; i++) {
    same = incoming[i]!.tag === existing[i]!.tag && bytesEqual(incoming[i]!.body, existing[i]!.body);
  }
  if (same) return true;
  const known = new PacketSet(existing);
  return incoming.every((p) => known.has(p));
}

/** {@link packetListContained} on serialised packets; unreadable input is never contained. */
export function packetsContained(existing: Uint8Array, incoming: Uint8Array): boolean {
  if (bytesEqual(existing, incoming)) return true;
  const have = readPacketsLenient(existing);
  const want = readPacketsLenient(incoming);
  if (have.error || want.error) return false;
  return packetListContained(have.packets, want.packets);
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export function isKeyTag(tag: number): boolean {
  return tag === PacketTag.PublicKey || tag === PacketTag.SecretKey;
}
export function isSubkeyTag(tag: number): boolean {
  return tag === PacketTag.PublicSubkey || tag === PacketTag.SecretSubkey;
}
export function isSecretTag(tag: number): boolean {
  return tag === PacketTag.SecretKey || tag === PacketTag.SecretSubkey;
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex').toUpperCase();
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  // Buffer.compare takes plain Uint8Arrays: no Buffer views to allocate per comparison.
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** Signature types (RFC 9580 §5.2.1) the keyring cares about. */
export const SigType = {
  CertGeneric: 0x10,
  CertPersona: 0x11,
  CertCasual: 0x12,
  CertPositive: 0x13,
  SubkeyBinding: 0x18,
  PrimaryKeyBinding: 0x19,
  DirectKey: 0x1f,
  KeyRevocation: 0x20,
  SubkeyRevocation: 0x28,
  CertRevocation: 0x30,
} as const;

/** What the keyring needs to know about a signature packet without verifying it. */
export interface SignatureInfo {
  version: number;
  type: number;
  /** Issuer key ID (16 hex) or fingerprint (40/64 hex), uppercase, from hashed or unhashed area. */
  issuerKeyId?: string;
  issuerFingerprint?: string;
  /**
   * Fingerprints named by revocation-key subpackets (designated revokers, RFC 4880 §5.2.3.15),
   * from the hashed area only: an unhashed one is not covered by the signature.
   */
  revocationKeys?: string[];
  /** Bytes that identify the signature regardless of its unhashed area (used for de-duplication). */
  identity: string;
}

/** Is `info` issued by the key `primary` (by fingerprint when it names one, else by key ID)? */
export function issuedBy(info: SignatureInfo, primary: { fingerprint: string; keyId: string }): boolean {
  if (info.issuerFingerprint) return info.issuerFingerprint === primary.fingerprint;
  return info.issuerKeyId === primary.keyId;
}

/**
 * Reads what the merge needs from a signature body without verifying it. Unparseable
 * signatures return undefined and are dropped by the caller (counted as malformed).
 */
export function inspectSignature(body: Uint8Array): SignatureInfo | undefined {
  const version = body[0];
  if (version === 3) {
    if (body.length < 19) return undefined;
    return {
      version,
      type: body[2]!,
      issuerKeyId: toHex(body.subarray(7, 15)),
      identity: hashKey(body),
    };
  }
  if (version !== 4 && version !== 6) return undefined;
  const wide = version === 6;
  const lenSize = wide ? 4 : 2;
  if (body.length < 4 + lenSize) return undefined;
  const type = body[1]!;
  let pos = 4;
  const hashedLen = readLen(body, pos, lenSize);
  pos += lenSize;
  const hashedStart = pos;
  const hashedEnd = hashedStart + hashedLen;
  if (hashedEnd + lenSize > body.length) return undefined;
  const unhashedLen = readLen(body, hashedEnd, lenSize);
  const unhashedStart = hashedEnd + lenSize;
  const unhashedEnd = unhashedStart + unhashedLen;
  if (unhashedEnd > body.length) return undefined;
  const info: SignatureInfo = { version, type, identity: '' };
  // Hashed area first so an attacker-controlled unhashed issuer cannot override it.
  if (!scanSubpackets(body.subarray(unhashedStart, unhashedEnd), info)) return undefined;
  const fromUnhashed = { ...info };
  info.issuerKeyId = undefined;
  info.issuerFingerprint = undefined;
  info.revocationKeys = undefined;
  if (!scanSubpackets(body.subarray(hashedStart, hashedEnd), info)) return undefined;
  info.issuerKeyId ??= fromUnhashed.issuerKeyId;
  info.issuerFingerprint ??= fromUnhashed.issuerFingerprint;
  if (!info.issuerKeyId && info.issuerFingerprint) {
    info.issuerKeyId =
      version === 6 ? info.issuerFingerprint.slice(0, 16) : info.issuerFingerprint.slice(-16);
  }
  info.identity = hashKey(
    concatBytes([body.subarray(0, hashedEnd), body.subarray(unhashedEnd)]),
  );
  return info;
}

function readLen(b: Uint8Array, pos: number, size: number): number {
  let v = 0;
  for (let i = 0; i < size; i++) v = v * 256 + (b[pos + i] ?? 0);
  return v;
}

function scanSubpackets(area: Uint8Array, info: SignatureInfo): boolean {
  let pos = 0;
  while (pos < area.length) {
    const l0 = area[pos++]!;
    let len: number;
    if (l0 < 192) len = l0;
    else if (l0 < 255) {
      if (pos >= area.length) return false;
      len = ((l0 - 192) << 8) + area[pos++]! + 192;
    } else {
      if (pos + 4 > area.length) return false;
      len = readLen(area, pos, 4);
      pos += 4;
    }
    if (len < 1 || pos + len > area.length) return false;
    const type = area[pos]! & 0x7f;
    const data = area.subarray(pos + 1, pos + len);
    if (type === 16 && data.length === 8) info.issuerKeyId = toHex(data);
    if (type === 33 && data.length >= 21) info.issuerFingerprint = toHex(data.subarray(1));
    // Revocation key: class (0x80 set), algorithm, 20-octet v4 fingerprint.
    if (type === 12 && data.length === 22 && (data[0]! & 0x80) !== 0) (info.revocationKeys ??= []).push(toHex(data.subarray(2)));
    pos += len;
  }
  return true;
}

function hashKey(bytes: Uint8Array): string {
  // Exact bytes as identity: collisions would need identical signed content.
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
