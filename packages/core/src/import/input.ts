import { ErrorCodes, InputError } from '../errors.js';
import type { ImportResult } from '../keyring/types.js';
import { dearmorAll, looksArmored } from '../openpgp/armor.js';
import { keyMaterial, readableFingerprint, splitCertificates, type CertificateParts, type SplitResult } from '../openpgp/certificate.js';
import { readPacketsDroppingThirdParty } from '../openpgp/flood.js';
import { inspectSignature, isKeyTag, issuedBy, readPacketsLenient, SigType, type RawPacket } from '../openpgp/packets.js';
import { rejected } from './candidates.js';

// The import pipeline's first steps, from bytes to certificates and lone signatures: size,
// armor, packet framing and what to do with an input cut short. Input errors are thrown here,
// before anything is screened or written.

/** An input's packets once framed, with what its truncation (files only) leaves to report. */
export interface FramedInput {
  packets: RawPacket[];
  /** Third-party signatures dropped while framing (when stripping). */
  dropped: number;
  /** The certificate cut short by the end of a file, rejected. */
  cutCertificate?: ImportResult;
  /** Said on the last certificate when the file ends inside a key packet after it. */
  tailNote?: string;
}

/** Refuses an input over `max` bytes before it is parsed at all. */
export function refuseOversized(bytes: Uint8Array, max: number): void {
  if (bytes.length > max) {
    throw new InputError(ErrorCodes.InputTooLarge, `input is ${bytes.length} bytes, over the ${max}-byte limit`, {
      nextStep: 'split the input, or raise the limit with `keyport config set import.maxBytes N`',
    });
  }
}

/** Binary OpenPGP data from armored or binary input; anything else is refused. */
export function decode(bytes: Uint8Array): Uint8Array {
  if (bytes.length === 0) {
    throw new InputError(ErrorCodes.InputEmpty, 'the input is empty', { nextStep: 'give a file that holds a key' });
  }
  if ((bytes[0]! & 0x80) !== 0) return bytes;
  if (looksArmored(bytes)) return dearmorAll(bytes);
  throw new InputError(ErrorCodes.InputMalformed, 'the input is neither ASCII-armored nor binary OpenPGP data', {
    nextStep: 'check that this is a public key file; nothing was imported',
  });
}

/**
 * Frames the packets, deciding what a damaged or truncated input keeps. Third-party signatures
 * are dropped while the stream is framed: a flooded answer never becomes one object per signature.
 */
export function frame(binary: Uint8Array, fromServer: boolean, strip: boolean): FramedInput {
  const framed = strip ? readPacketsDroppingThirdParty(binary) : { ...readPacketsLenient(binary), dropped: 0 };
  // A file that ends inside a packet keeps the certificates that were complete before it; the
  // one cut short is rejected (gpg imports a key followed by a cut key packet, and refuses a key
  // cut inside its own packets). A server answer cut short is a broken transfer and is refused
  // whole: the next look-up retries it.
  let packets = framed.packets;
  let cutCertificate: ImportResult | undefined;
  let tailNote: string | undefined;
  if (framed.error?.truncated && !fromServer) {
    const where = `the input ends inside a packet at byte ${framed.error.offset} (truncated)`;
    if (isKeyTag(packetTagAt(binary, framed.error.offset))) {
      tailNote = `${where}; the keys before it were imported and the rest was ignored: get a fresh copy to be sure nothing is missing`;
    } else {
      let lastKey = packets.length - 1;
      while (lastKey >= 0 && !isKeyTag(packets[lastKey]!.tag)) lastKey--;
      if (lastKey > 0) {
        cutCertificate = rejected(readableFingerprint(packets[lastKey]!) ?? null, `${where} within this key, so it was not imported: get a fresh copy of it`);
      }
      packets = lastKey > 0 ? packets.slice(0, lastKey) : [];
    }
  }
  if (framed.error && (fromServer || !framed.error.truncated || !packets.some((p) => isKeyTag(p.tag)))) {
    throw new InputError(ErrorCodes.InputMalformed, `the OpenPGP data is damaged: ${framed.error.message} at byte ${framed.error.offset}`, {
      nextStep: 'get a fresh copy of the key; nothing was imported',
    });
  }
  return { packets, dropped: framed.dropped, cutCertificate, tailNote };
}

/**
 * Splits framed packets into certificates and lone signatures (revocation certificates); an
 * input that holds neither is refused.
 */
export function separate(packets: RawPacket[], fromServer: boolean): { certificates: SplitResult['certificates']; loneSignatures: RawPacket[] } {
  const split = splitCertificates(packets);
  // A revocation certificate that follows a key (key file and revocation file concatenated)
  // lands among the last component's signatures; it is a detached revocation, not a component's.
  const loneSignatures = [...split.leadingSignatures];
  // From a server only the certificate's own revocation is taken out: another issuer's is a
  // third-party signature, dropped by screening like the rest of a flood (no result for each).
  for (const cert of split.certificates) cert.parts = takeStrayKeyRevocations(cert.parts, loneSignatures, fromServer);
  if (split.certificates.length === 0 && loneSignatures.length === 0) {
    throw new InputError(ErrorCodes.InputEmpty, 'the input holds no OpenPGP certificate', {
      nextStep: 'check that this is a public key (armored or binary)',
    });
  }
  return { certificates: split.certificates, loneSignatures };
}

/** The tag of the packet whose header is at `offset` (new or old format). */
function packetTagAt(bytes: Uint8Array, offset: number): number {
  const header = bytes[offset] ?? 0;
  return (header & 0x40) !== 0 ? header & 0x3f : (header >> 2) & 0x0f;
}

/**
 * Moves key revocations (0x20) out of user ID and subkey signature lists into `lone`: such a
 * signature is never valid there (those components are revoked by 0x30 and 0x28), so it can only
 * be a revocation certificate that followed the key in the input. It is then judged as one,
 * against the key it names, instead of failing as a component signature unreported.
 */
function takeStrayKeyRevocations(parts: CertificateParts, lone: RawPacket[], onlySelfIssued: boolean): CertificateParts {
  let own: { fingerprint: string; keyId: string } | undefined;
  try {
    own = keyMaterial(parts.primary);
  } catch {
    own = undefined;
  }
  const isStray = (s: RawPacket) => {
    const info = inspectSignature(s.body);
    if (info?.type !== SigType.KeyRevocation) return false;
    if (!onlySelfIssued) return true;
    return own !== undefined && issuedBy(info, own);
  };
  const strays = (components: CertificateParts['userIds']) => components.some((c) => c.sigs.some(isStray));
  if (!strays(parts.userIds) && !strays(parts.subkeys)) return parts;
  const keep = (components: CertificateParts['userIds']) =>
    components.map((c) => {
      const sigs: RawPacket[] = [];
      for (const s of c.sigs) (isStray(s) ? lone : sigs).push(s);
      return { ...c, sigs };
    });
  return { ...parts, userIds: keep(parts.userIds), subkeys: keep(parts.subkeys) };
}
