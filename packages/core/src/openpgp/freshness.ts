import { keyMaterial, readableFingerprint, splitCertificates, type CertificateParts, type Component } from './certificate.js';
import { ErrorCodes, InputError, ServerDataError } from '../errors.js';
import { inspectSignature, readPacketsLenient, SigType, PacketTag, type RawPacket } from './packets.js';
import { CERTIFICATION_TYPES, componentName, newestSignature, selfSignatures, signatureCreated, type SelfSignature } from './self-signatures.js';
import { emailOf } from './summary.js';

/**
 * How a server's copy of a certificate compares with the local one: `current` (it has everything
 * the local copy would publish), `stale` (it lacks something, see {@link ServerCopyMissing}),
 * `absent` (it has no copy of this key) or `unverified` (a server that publishes only verified
 * addresses holds the key but no address of it is verified, so nobody finds it by address).
 */
export type ServerCopyState = 'current' | 'stale' | 'absent' | 'unverified';

/** A self-signature or revocation the server's copy lacks, and which component it belongs to. */
export interface MissingSignature {
  /** `key` for the primary key (direct-key signature, key revocation), else the component kind. */
  component: 'key' | 'userId' | 'subkey';
  /** The user ID text, the subkey fingerprint, or the primary fingerprint for `key`. */
  name: string;
  /** Creation time of the local signature the server lacks (ISO 8601). */
  created: string;
}

/** What a stale server copy lacks compared with the local certificate. */
export interface ServerCopyMissing {
  /** User IDs (as text) the server would publish but does not have. */
  userIds: string[];
  /** Fingerprints of subkeys the server does not have. */
  subkeys: string[];
  /**
   * Self-signatures newer than the newest one the server has on the same component (expiry
   * extended, preferences or flags changed), for components the server has.
   */
  selfSignatures: MissingSignature[];
  /** Key, subkey and user-ID revocations the server does not have. */
  revocations: MissingSignature[];
}

/** The verdict on one server's copy: the shape of one `servers` entry of `status --servers --json`. */
export interface ServerCopyFreshness {
  state: ServerCopyState;
  missing: ServerCopyMissing;
  /** One line for people: why the copy has this state. */
  reason: string;
}

/** How the server publishes what it receives. */
export interface ServerCopyOptions {
  /**
   * The server publishes only user IDs whose address its owner verified (VKS / Hagrid,
   * keys.openpgp.org): a user ID without a verified address is then not counted as missing.
   */
  stripsUnverifiedUserIds?: boolean;
  /** Addresses verified on that server (compared in lower case); read only with `stripsUnverifiedUserIds`. */
  verifiedAddresses?: readonly string[];
}

const emptyMissing = (): ServerCopyMissing => ({ userIds: [], subkeys: [], selfSignatures: [], revocations: [] });

/**
 * Compares the local certificate with a server's copy of it, both as raw (binary) certificates,
 * and says whether the server's copy is current and, when not, exactly what it lacks. Only the
 * local copy's own self-signatures and revocations count, and stored key revocations by a
 * designated revoker (third-party certifications are not published by every server, and a
 * server that strips them is not stale for it). A self-signature
 * counts as missing when it is newer than every self-signature of the same kind the server has on
 * that component; an older one the server lacks changes nothing a client computes.
 *
 * The local certificate is trusted as stored (its self-signatures were verified on import); the
 * server's copy is only read, so a forged signature on it can hide nothing: what the local copy
 * has and the server lacks is reported whatever else the server sends. `server` may hold several
 * certificates (an HKP answer); the one with the local fingerprint is compared. Pure: no network,
 * no clock.
 *
 * @throws InputError (KP1300, KP1302) when `local` cannot be read or holds no key;
 * ServerDataError (KP1300) when `server` cannot be read as OpenPGP packets.
 */
export function compareServerCopy(local: Uint8Array, server: Uint8Array | undefined, options: ServerCopyOptions = {}): ServerCopyFreshness {
  const localPackets = readPacketsLenient(local);
  if (localPackets.error) {
    throw new InputError(ErrorCodes.InputMalformed, `the local certificate cannot be read: ${localPackets.error.message}`, {
      nextStep: 'import the key again from a good copy',
    });
  }
  const mine = splitCertificates(localPackets.packets).certificates[0]?.parts;
  if (!mine) throw new InputError(ErrorCodes.InputEmpty, 'the local certificate holds no key', { nextStep: 'give the certificate of a key in the keyring' });
  const fingerprint = keyMaterial(mine.primary).fingerprint;
  let theirs: CertificateParts | undefined;
  if (server && server.length > 0) {
    const serverPackets = readPacketsLenient(server);
    if (serverPackets.error) {
      throw new ServerDataError(ErrorCodes.InputMalformed, `the server's copy cannot be read: ${serverPackets.error.message}`, {
        nextStep: 'try again later, or ask another key server',
      });
    }
    theirs = splitCertificates(serverPackets.packets).certificates.find((c) => sameKey(c.parts, fingerprint))?.parts;
  }
  if (!theirs) return { state: 'absent', missing: emptyMissing(), reason: 'the server has no copy of this key' };
  return compareParts(mine, theirs, fingerprint, options);
}

function sameKey(parts: CertificateParts, fingerprint: string): boolean {
  try {
    return keyMaterial(parts.primary).fingerprint === fingerprint;
  } catch {
    return false; // a key packet keyport cannot read is not this key
  }
}

function compareParts(mine: CertificateParts, theirs: CertificateParts, fingerprint: string, options: ServerCopyOptions): ServerCopyFreshness {
  const missing = emptyMissing();
  const verified = new Set((options.verifiedAddresses ?? []).map((a) => a.toLowerCase()));
  const published = (uid: Component) => {
    if (!options.stripsUnverifiedUserIds) return true;
    if (uid.packet.tag !== PacketTag.UserId) return false;
    const email = emailOf(componentName(uid));
    return email !== null && verified.has(email);
  };

  compareSignatures(mine, theirs, mine.direct, theirs.direct, { component: 'key', name: fingerprint }, [SigType.DirectKey], [SigType.KeyRevocation], missing);

  const theirUserIds = new Map(theirs.userIds.map((c) => [Buffer.from(c.packet.body).toString('latin1') + c.packet.tag, c]));
  let unpublishedUserIds = 0;
  for (const uid of mine.userIds) {
    // A user ID the local copy has only a revocation for, or nothing, is not published by us either.
    if (selfSignatures(mine, uid.sigs, CERTIFICATION_TYPES).length === 0) continue;
    if (!published(uid)) {
      unpublishedUserIds++;
      continue;
    }
    const name = componentName(uid);
    const their = theirUserIds.get(Buffer.from(uid.packet.body).toString('latin1') + uid.packet.tag);
    if (!their) {
      missing.userIds.push(name);
      continue;
    }
    compareSignatures(mine, theirs, uid.sigs, their.sigs, { component: 'userId', name }, CERTIFICATION_TYPES, [SigType.CertRevocation], missing);
  }

  const theirSubkeys = new Map<string, Component>();
  for (const c of theirs.subkeys) {
    const fpr = readableFingerprint(c.packet);
    if (fpr) theirSubkeys.set(fpr, c);
  }
  for (const sub of mine.subkeys) {
    if (selfSignatures(mine, sub.sigs, [SigType.SubkeyBinding]).length === 0) continue;
    const name = readableFingerprint(sub.packet);
    if (!name) continue;
    const their = theirSubkeys.get(name);
    if (!their) {
      missing.subkeys.push(name);
      continue;
    }
    compareSignatures(mine, theirs, sub.sigs, their.sigs, { component: 'subkey', name }, [SigType.SubkeyBinding], [SigType.SubkeyRevocation], missing);
  }

  const lacks = [
    count(missing.userIds.length, 'user ID'),
    count(missing.subkeys.length, 'subkey'),
    count(missing.selfSignatures.length, 'newer self-signature'),
    count(missing.revocations.length, 'revocation'),
  ].filter((s) => s !== '');
  if (lacks.length > 0) return { state: 'stale', missing, reason: `the server's copy lacks ${lacks.join(', ')}` };
  if (options.stripsUnverifiedUserIds && verified.size === 0 && unpublishedUserIds > 0) {
    return { state: 'unverified', missing, reason: 'the server holds the key but publishes none of its user IDs: no address is verified there' };
  }
  return { state: 'current', missing, reason: "the server's copy has everything the local copy would publish" };
}

function count(n: number, noun: string): string {
  return n === 0 ? '' : `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/**
 * Adds to `missing` the revocations of `revocationTypes` the server lacks (by signature
 * identity, so a copy whose unhashed area a server rewrote still counts as the same) and the
 * local newest self-signature of `selfTypes` when it is newer than the server's newest.
 */
function compareSignatures(
  mine: CertificateParts,
  theirs: CertificateParts,
  localSigs: readonly RawPacket[],
  serverSigs: readonly RawPacket[],
  target: { component: MissingSignature['component']; name: string },
  selfTypes: readonly number[],
  revocationTypes: readonly number[],
  missing: ServerCopyMissing,
): void {
  // A key revocation may come from a designated revoker: the keyring stores one only after
  // verifying it, so every stored key revocation counts, whoever issued it.
  const revocations = (parts: CertificateParts, sigs: readonly RawPacket[]) =>
    target.component === 'key' ? designatedOrSelf(sigs, revocationTypes) : selfSignatures(parts, sigs, revocationTypes);
  const theirRevocations = new Set(revocations(theirs, serverSigs).map((s) => s.info.identity));
  for (const rev of revocations(mine, localSigs)) {
    if (!theirRevocations.has(rev.info.identity)) missing.revocations.push({ ...target, created: iso(rev.created) });
  }
  const localNewest = newestSignature(selfSignatures(mine, localSigs, selfTypes));
  if (!localNewest) return;
  const serverNewest = newestSignature(selfSignatures(theirs, serverSigs, selfTypes));
  if (!serverNewest || localNewest.created > serverNewest.created) {
    missing.selfSignatures.push({ ...target, created: iso(localNewest.created) });
  }
}

/** Signatures of `types` by any issuer, with their creation time (those without one are skipped). */
function designatedOrSelf(sigs: readonly RawPacket[], types: readonly number[]): SelfSignature[] {
  const out: SelfSignature[] = [];
  for (const packet of sigs) {
    const info = inspectSignature(packet.body);
    const created = signatureCreated(packet.body);
    if (info && types.includes(info.type) && created !== undefined) out.push({ packet, info, created });
  }
  return out;
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
