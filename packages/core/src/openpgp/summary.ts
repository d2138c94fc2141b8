import type * as openpgp from 'openpgp';
import { loadOpenpgp } from './lib.js';
import { keyMaterial, serializeCertificate, verifyByOtherKey, type CertificateParts } from './certificate.js';
import { PacketTag, SigType, inspectSignature, type RawPacket } from './packets.js';
import { structurePolicy } from './policy.js';

/** Key usage flags as shown to users (RFC 9580 §5.2.3.29). */
export type KeyUsage = 'certify' | 'sign' | 'encrypt' | 'authenticate';

/** A revocation: when, why (reason code and text), and by whom. */
export interface RevocationInfo {
  /** RFC 9580 reason code: 0 none, 1 superseded, 2 compromised, 3 retired, 32 user ID invalid. */
  code: number | null;
  reason: string | null;
  date: string | null;
}

/** A user ID with its state as its newest valid self-signature gives it. */
export interface UserIdSummary {
  /**
   * The user ID as text: exact when it is valid UTF-8; otherwise each invalid byte as `\xNN` and
   * each backslash as `\x5c` (as gpg --with-colons prints it), so it cannot pass for a UTF-8
   * user ID that spells such escapes.
   */
  userId: string;
  /** The user ID's exact bytes in lowercase hex; present only when they are not valid UTF-8. */
  userIdHex?: string;
  email: string | null;
  primary: boolean;
  revoked: boolean;
  revocation: RevocationInfo | null;
  /** Expiry of the self-signature that makes this user ID valid, if any. */
  expires: string | null;
  expired: boolean;
}

/** A subkey with its usage and state. */
export interface SubkeySummary {
  fingerprint: string;
  keyId: string;
  algorithm: string;
  bits: number | null;
  curve: string | null;
  created: string;
  expires: string | null;
  expired: boolean;
  revoked: boolean;
  revocation: RevocationInfo | null;
  usage: KeyUsage[];
}

/** Everything `list` and `show` need, computed once per change and kept in the index. */
export interface KeySummary {
  fingerprint: string;
  keyId: string;
  version: number;
  algorithm: string;
  bits: number | null;
  curve: string | null;
  created: string;
  expires: string | null;
  revoked: boolean;
  revocation: RevocationInfo | null;
  usage: KeyUsage[];
  userIds: UserIdSummary[];
  subkeys: SubkeySummary[];
}

const CURVE_NAMES: Record<string, string> = {
  ed25519Legacy: 'ed25519',
  curve25519Legacy: 'cv25519',
  ed25519: 'ed25519',
  curve25519: 'cv25519',
  x25519: 'cv25519',
  ed448: 'ed448',
  x448: 'cv448',
  nistP256: 'nistp256',
  nistP384: 'nistp384',
  nistP521: 'nistp521',
  p256: 'nistp256',
  p384: 'nistp384',
  p521: 'nistp521',
  brainpoolP256r1: 'brainpoolP256r1',
  brainpoolP384r1: 'brainpoolP384r1',
  brainpoolP512r1: 'brainpoolP512r1',
  secp256k1: 'secp256k1',
};

/** gpg-style algorithm name: rsa4096, dsa1024, elg2048, ed25519, cv25519, nistp256. */
export function algorithmName(info: { algorithm: string; bits?: number; curve?: string }): {
  name: string;
  bits: number | null;
  curve: string | null;
} {
  const a = info.algorithm;
  const curve = info.curve ? (CURVE_NAMES[info.curve] ?? info.curve) : null;
  const bits = info.bits ?? null;
  if (a.startsWith('rsa')) return { name: `rsa${bits ?? ''}`, bits, curve: null };
  if (a === 'dsa') return { name: `dsa${bits ?? ''}`, bits, curve: null };
  if (a === 'elgamal') return { name: `elg${bits ?? ''}`, bits, curve: null };
  if (a === 'ed25519') return { name: 'ed25519', bits: 255, curve: 'ed25519' };
  if (a === 'x25519') return { name: 'cv25519', bits: 255, curve: 'cv25519' };
  if (a === 'ed448') return { name: 'ed448', bits: 448, curve: 'ed448' };
  if (a === 'x448') return { name: 'cv448', bits: 448, curve: 'cv448' };
  // The curve fixes the size (gpg lists 255 for ed25519/cv25519, 256 for nistp256, ...).
  return { name: curve ?? a, bits: bits ?? (curve ? (CURVE_BITS[curve] ?? null) : null), curve };
}

const CURVE_BITS: Record<string, number> = {
  ed25519: 255,
  cv25519: 255,
  ed448: 448,
  cv448: 448,
  nistp256: 256,
  nistp384: 384,
  nistp521: 521,
  brainpoolP256r1: 256,
  brainpoolP384r1: 384,
  brainpoolP512r1: 512,
  secp256k1: 256,
};

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

function usageOf(flags: Uint8Array | null | undefined): KeyUsage[] {
  const f = flags?.[0] ?? 0;
  const out: KeyUsage[] = [];
  if (f & 0x01) out.push('certify');
  if (f & 0x02) out.push('sign');
  if (f & 0x0c) out.push('encrypt');
  if (f & 0x20) out.push('authenticate');
  return out;
}

function revocationOf(sig: openpgp.SignaturePacket | undefined): RevocationInfo | null {
  if (!sig) return null;
  return {
    code: sig.reasonForRevocationFlag ?? null,
    reason: sig.reasonForRevocationString || null,
    date: iso(sig.created),
  };
}

const LENIENT_UTF8 = new TextDecoder('utf-8');
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A user ID's bytes as text without losing any: valid UTF-8 as it is; otherwise each byte that
 * is not part of a valid UTF-8 sequence (a Latin-1 user ID, say) as `\xNN` and each backslash as
 * `\x5c`, the way gpg --with-colons lists it, so the text never equals one of a UTF-8 user ID
 * shown by {@link userIdForDisplay}. Control characters are left for the terminal-escaping layer.
 */
export function userIdText(bytes: Uint8Array): string {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    /* not valid UTF-8: escape the bytes that are not */
  }
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const n = utf8SequenceLength(bytes, i);
    if (n > 0) {
      out += STRICT_UTF8.decode(bytes.subarray(i, i + n)).replaceAll('\\', '\\x5c');
      i += n;
    } else {
      out += `\\x${bytes[i]!.toString(16).padStart(2, '0')}`;
      i++;
    }
  }
  return out;
}

/** Length of the valid UTF-8 sequence at `i` (RFC 3629: no overlongs, surrogates or > U+10FFFF), or 0. */
function utf8SequenceLength(b: Uint8Array, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => b[i + k] !== undefined && b[i + k]! >= lo && b[i + k]! <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((c >= 0xe1 && c <= 0xec) || c === 0xee || c === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (c === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (c === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

/** Whether `bytes` are valid UTF-8 (RFC 3629). */
function isUtf8(bytes: Uint8Array): boolean {
  try {
    STRICT_UTF8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * A user ID as shown to people (before `escapeForTerminal`): every backslash of a UTF-8
 * user ID as `\x5c`, a non-UTF-8 one as its summary already gives it (invalid bytes as `\xNN`,
 * backslashes as `\x5c`). So `\xNN` on screen always stands for a byte, and a UTF-8 user ID
 * that spells `\xe9` cannot pass for one whose byte 0xE9 is invalid; gpg --with-colons prints
 * user IDs the same way.
 *
 * @param userId - A user ID of a {@link KeySummary}.
 * @returns The user ID text for human-readable output.
 */
export function userIdForDisplay(userId: Pick<UserIdSummary, 'userId' | 'userIdHex'>): string {
  return userId.userIdHex !== undefined ? userId.userId : userId.userId.replaceAll('\\', '\\x5c');
}

const EMAIL_IN_UID = /<([^<>\s]+@[^<>\s]+)>\s*$/;
const BARE_EMAIL = /^\s*([^<>\s]+@[^<>\s]+)\s*$/;

/** The address in a user ID (`Name <a@b>` or bare `a@b`), lowercased, or null. */
export function emailOf(userId: string): string | null {
  const m = EMAIL_IN_UID.exec(userId) ?? BARE_EMAIL.exec(userId);
  return m ? m[1]!.toLowerCase() : null;
}

/** The certificate's user IDs whose address is `email` (compared in lower case). */
export function userIdsWithEmail(parts: CertificateParts, email: string): CertificateParts['userIds'] {
  const wanted = email.toLowerCase();
  return parts.userIds.filter((u) => u.packet.tag === PacketTag.UserId && emailOf(Buffer.from(u.packet.body).toString('utf8')) === wanted);
}

function newest<T extends { created: Date | null }>(list: T[]): T | undefined {
  let best: T | undefined;
  for (const s of list) if (!best || (s.created?.getTime() ?? 0) > (best.created?.getTime() ?? 0)) best = s;
  return best;
}

async function firstValid(
  sigs: openpgp.SignaturePacket[],
  check: (s: openpgp.SignaturePacket) => Promise<unknown>,
): Promise<openpgp.SignaturePacket | undefined> {
  for (const s of sigs) {
    try {
      await check(s);
      return s;
    } catch {
      /* not valid: try the next */
    }
  }
  return undefined;
}

/**
 * Computes the details of a stored (public, already merged) certificate. Only self-signatures
 * are handed to openpgp.js: third-party certifications do not change any field here, and
 * skipping them keeps this fast on heavily signed keys.
 */
export interface SummarizeOptions {
  now?: Date;
  /**
   * Treat the self-signatures as already verified. The keyring stores a self-signature only
   * after verifying it (ADR 0002), so summaries of stored certificates need no second pass.
   */
  trustSelfSignatures?: boolean;
  /**
   * The public key packet of a key the keyring holds, by fingerprint. A key revocation by a
   * designated revoker (named in a valid self-signature) revokes the key only when it verifies
   * against the revoker's key, so without this lookup such revocations are not considered.
   */
  revokerKey?: (fingerprint: string) => Promise<RawPacket | undefined>;
}

/**
 * Whether the certificate carries a key revocation issued by another key: only such a
 * certificate needs {@link SummarizeOptions.revokerKey} for a true summary.
 */
export function hasForeignKeyRevocation(parts: CertificateParts): boolean {
  const primary = keyMaterial(parts.primary);
  return parts.direct.some((s) => {
    const info = inspectSignature(s.body);
    if (info?.type !== SigType.KeyRevocation) return false;
    if (info.issuerFingerprint) return info.issuerFingerprint !== primary.fingerprint;
    return info.issuerKeyId !== undefined && info.issuerKeyId !== primary.keyId;
  });
}

/** Summarises a certificate (validity from self-signatures only, as GnuPG does): what `list` and `show` display. */
export async function summarize(parts: CertificateParts, options: SummarizeOptions = {}): Promise<KeySummary> {
  const now = options.now ?? new Date();
  const primaryInfo = keyMaterial(parts.primary);
  const isSelf = (body: Uint8Array) => {
    const info = inspectSignature(body);
    if (!info) return false;
    if (info.issuerFingerprint) return info.issuerFingerprint === primaryInfo.fingerprint;
    return info.issuerKeyId === undefined || info.issuerKeyId === primaryInfo.keyId;
  };
  const selfOnly: CertificateParts = {
    primary: parts.primary,
    direct: parts.direct.filter((s) => isSelf(s.body)),
    userIds: parts.userIds.map((c) => ({ packet: c.packet, sigs: c.sigs.filter((s) => isSelf(s.body)) })),
    subkeys: parts.subkeys.map((c) => ({ packet: c.packet, sigs: c.sigs.filter((s) => isSelf(s.body)) })),
  };
  const lib = await loadOpenpgp();
  const key = await lib.readKey({
    binaryKey: serializeCertificate(selfOnly),
    config: { ignoreUnsupportedPackets: true, ignoreMalformedPackets: true } as openpgp.PartialConfig,
  });
  const config = await structurePolicy();
  const check = (s: openpgp.SignaturePacket, type: openpgp.enums.signature, data: object): Promise<unknown> =>
    options.trustSelfSignatures ? Promise.resolve() : s.verify(primary, type, data as never, null as never, false, config);
  const primary = key.keyPacket;
  const alg = algorithmName(key.getAlgorithmInfo());
  // openpgp.js keeps user IDs as decoded text, which loses non-UTF-8 bytes: find each one's
  // packet bytes again (by that decoded text, in order) to verify and show what was signed.
  const rawUserIds = new Map<string, Uint8Array[]>();
  for (const c of selfOnly.userIds) {
    if (c.packet.tag !== PacketTag.UserId) continue;
    const text = LENIENT_UTF8.decode(c.packet.body);
    rawUserIds.set(text, [...(rawUserIds.get(text) ?? []), c.packet.body]);
  }

  // Key revocation: a verified revocation from the primary key itself.
  const revSig = await firstValid(key.revocationSignatures, (s) =>
    check(s, lib.enums.signature.keyRevocation, { key: primary }),
  );

  let expires: string | null = null;
  let primaryUsage: KeyUsage[] = [];
  const userIds: UserIdSummary[] = [];
  let primaryUid: { sig: openpgp.SignaturePacket; index: number } | undefined;
  const latestUidSigs: openpgp.SignaturePacket[] = [];
  // Designated revokers (RFC 4880 §5.2.3.15), named by any valid self-signature, as gpg reads them.
  const designatedRevokers = new Set<string>();
  const noteRevokers = (s: openpgp.SignaturePacket) => {
    if (s.revocationKeyFingerprint && s.revocationKeyClass !== null && (s.revocationKeyClass & 0x80) !== 0) {
      designatedRevokers.add(Buffer.from(s.revocationKeyFingerprint).toString('hex').toUpperCase());
    }
  };
  for (const user of key.users) {
    if (!user.userID) continue;
    const raw = rawUserIds.get(user.userID.userID)?.shift();
    if (raw) user.userID.write = () => raw;
    const dataToVerify = { userID: user.userID, key: primary };
    const validCerts: openpgp.SignaturePacket[] = [];
    for (const s of user.selfCertifications) {
      try {
        await check(s, s.signatureType!, dataToVerify);
        validCerts.push(s);
        noteRevokers(s);
      } catch {
        /* invalid self-certification */
      }
    }
    const latest = newest(validCerts);
    if (latest) latestUidSigs.push(latest);
    const uidRev = await firstValid(user.revocationSignatures, (s) =>
      check(s, lib.enums.signature.certRevocation, dataToVerify),
    );
    // A certification newer than the revocation re-validates the user ID (RFC 9580 §5.2.1.16).
    const revoked = Boolean(uidRev && (!latest || (uidRev.created?.getTime() ?? 0) >= (latest.created?.getTime() ?? 0)));
    const sigExpiry = latest ? latest.getExpirationTime() : Infinity;
    const uidExpires = sigExpiry instanceof Date ? sigExpiry : null;
    const text = raw ? userIdText(raw) : user.userID.userID;
    userIds.push({
      userId: text,
      ...(raw && !isUtf8(raw) ? { userIdHex: Buffer.from(raw).toString('hex') } : {}),
      email: emailOf(text),
      primary: false,
      revoked,
      revocation: revoked ? revocationOf(uidRev) : null,
      expires: iso(uidExpires),
      expired: uidExpires !== null && uidExpires <= now,
    });
    if (latest && !revoked) {
      const better =
        !primaryUid ||
        Number(Boolean(latest.isPrimaryUserID)) > Number(Boolean(primaryUid.sig.isPrimaryUserID)) ||
        (Boolean(latest.isPrimaryUserID) === Boolean(primaryUid.sig.isPrimaryUserID) &&
          (latest.created?.getTime() ?? 0) > (primaryUid.sig.created?.getTime() ?? 0));
      if (better) primaryUid = { sig: latest, index: userIds.length - 1 };
    }
  }
  // Expiry and usage follow GnuPG (g10/getkey.c merge_selfsigs_main): a direct-key signature
  // wins; otherwise the user ID whose newest valid self-signature is the latest among those
  // that carry the field.
  const validDirect: openpgp.SignaturePacket[] = [];
  for (const s of (key as unknown as { directSignatures: openpgp.SignaturePacket[] }).directSignatures) {
    try {
      await check(s, lib.enums.signature.key, { key: primary });
      validDirect.push(s);
      noteRevokers(s);
    } catch {
      /* invalid direct-key signature */
    }
  }
  const direct = newest(validDirect);
  let expirySig: openpgp.SignaturePacket | undefined = direct?.keyExpirationTime ? direct : undefined;
  let usageSig: openpgp.SignaturePacket | undefined = direct?.keyFlags ? direct : undefined;
  for (const sig of latestUidSigs) {
    const t = sig.created?.getTime() ?? 0;
    if (!direct?.keyExpirationTime && sig.keyExpirationTime && t > (expirySig?.created?.getTime() ?? -1)) expirySig = sig;
    if (!direct?.keyFlags && sig.keyFlags && t > (usageSig?.created?.getTime() ?? -1)) usageSig = sig;
  }
  if (expirySig?.keyExpirationTime) {
    expires = new Date(primary.created.getTime() + expirySig.keyExpirationTime * 1000).toISOString();
  }
  primaryUsage = usageOf(usageSig?.keyFlags);
  if (primaryUid) userIds[primaryUid.index]!.primary = true;

  const keyRevocation = revSig ?? (await designatedRevocation(lib, parts, primaryInfo, designatedRevokers, options.revokerKey));

  const subkeys: SubkeySummary[] = [];
  for (const sub of key.subkeys) {
    const dataToVerify = { key: primary, bind: sub.keyPacket };
    const validBindings: openpgp.SignaturePacket[] = [];
    for (const s of sub.bindingSignatures) {
      try {
        await check(s, lib.enums.signature.subkeyBinding, dataToVerify);
        validBindings.push(s);
      } catch {
        /* invalid binding */
      }
    }
    const binding = newest(validBindings);
    const subRev = await firstValid(sub.revocationSignatures, (s) =>
      check(s, lib.enums.signature.subkeyRevocation, dataToVerify),
    );
    const subAlg = algorithmName(sub.getAlgorithmInfo());
    const subExpires = binding?.keyExpirationTime
      ? new Date(sub.keyPacket.created.getTime() + binding.keyExpirationTime * 1000)
      : null;
    subkeys.push({
      fingerprint: sub.getFingerprint().toUpperCase(),
      keyId: sub.getKeyID().toHex().toUpperCase(),
      algorithm: subAlg.name,
      bits: subAlg.bits,
      curve: subAlg.curve,
      created: sub.keyPacket.created.toISOString(),
      expires: iso(subExpires),
      expired: subExpires !== null && subExpires <= now,
      revoked: Boolean(subRev),
      revocation: revocationOf(subRev),
      usage: usageOf(binding?.keyFlags),
    });
  }

  return {
    fingerprint: primaryInfo.fingerprint,
    keyId: primaryInfo.keyId,
    version: primaryInfo.version,
    algorithm: alg.name,
    bits: alg.bits,
    curve: alg.curve,
    created: primary.created.toISOString(),
    expires,
    revoked: Boolean(keyRevocation),
    revocation: revocationOf(keyRevocation),
    usage: primaryUsage,
    userIds,
    subkeys,
  };
}


/**
 * The first key revocation in `parts` by one of `designated` (fingerprints) that verifies against
 * that revoker's key from `revokerKey`; undefined when there is none or no lookup.
 */
async function designatedRevocation(
  lib: typeof openpgp,
  parts: CertificateParts,
  primaryInfo: ReturnType<typeof keyMaterial>,
  designated: ReadonlySet<string>,
  revokerKey: SummarizeOptions['revokerKey'],
): Promise<openpgp.SignaturePacket | undefined> {
  if (!revokerKey || designated.size === 0) return undefined;
  for (const s of parts.direct) {
    const info = inspectSignature(s.body);
    if (info?.type !== SigType.KeyRevocation) continue;
    const revoker = [...designated].find((fpr) => (info.issuerFingerprint ? info.issuerFingerprint === fpr : info.issuerKeyId !== undefined && fpr.endsWith(info.issuerKeyId)));
    if (!revoker || revoker === primaryInfo.fingerprint) continue;
    const key = await revokerKey(revoker).catch(() => undefined);
    if (!key || !(await verifyByOtherKey(s, key, primaryInfo))) continue;
    const sig = new lib.SignaturePacket();
    sig.read(s.body);
    return sig;
  }
  return undefined;
}
