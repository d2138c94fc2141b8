import type { IncomingCertificate } from '../keyring/embedded.js';
import type { ImportResult } from '../keyring/types.js';
import type { classifyKeyQuery, KeyQuery } from '../keyring/query.js';
import { keyMaterial, selfSignedAs, type CertificateParts } from '../openpgp/certificate.js';
import type { FloodingReport } from '../openpgp/flood.js';
import { inspectSignature, issuedBy, SigType } from '../openpgp/packets.js';
import { CERTIFICATION_TYPES } from '../openpgp/self-signatures.js';
import { userIdsWithEmail } from '../openpgp/summary.js';

// What the import pipeline decides about single certificates and signatures, apart from the
// order in which it does so (pipeline.ts): the rules it applies, the shapes it passes along.

const EMPTY = { userIds: 0, subkeys: 0, signatures: 0, revocations: 0 };

/** A certificate that passed screening, waiting for the answer-level decision. */
export interface Candidate {
  fingerprint: string;
  incoming: IncomingCertificate;
  /** How it answers the request: by its primary key, or by a validly bound subkey. */
  match: 'primary' | 'subkey' | 'any';
  notes: string[];
  /** What flooding defence dropped from it (files only). */
  flooding?: FloodingReport;
}

/** Per certificate in input order: a final result, or a candidate still to be decided. */
export type Entry = { result: ImportResult } | { candidate: Candidate };

/** Added to every result of an email look-up: a key server answer by address proves nothing. */
export const EMAIL_LOOKUP_NOTE =
  'found by email address only: a key server does not prove that an address belongs to a key (HKP servers check nothing), so compare the fingerprint with its owner before relying on it';

/**
 * Added to a certificate found through its subkey: anyone can validly bind another's key as an
 * encryption subkey, so the match alone does not show that this is the key meant.
 */
export const subkeyMatchNote = (requested: string) =>
  `found through its subkey ${requested}, not its primary key: anyone can bind another person's key as an encryption subkey, so compare the fingerprint with its owner before relying on it`;

/** The result for a certificate or signature that is not imported, with the reason. */
export function rejected(fingerprint: string | null, reason: string): ImportResult {
  return { fingerprint, status: 'rejected', reason, added: { ...EMPTY } };
}

/** Fingerprints the certificate's own signatures name as designated revokers (revocation-key subpackets). */
export function designatedRevokers(parts: CertificateParts): string[] {
  const primary = keyMaterial(parts.primary);
  const own = [...parts.direct, ...parts.userIds.flatMap((u) => u.sigs)];
  return own.flatMap((s) => {
    const info = inspectSignature(s.body);
    const self = info && issuedBy(info, primary);
    return self ? (info.revocationKeys ?? []) : [];
  });
}

/** Was a lone signature issued by the key the request names? (Email requests name no key.) */
export function issuerMatches(info: { issuerKeyId?: string; issuerFingerprint?: string }, request: ReturnType<typeof classifyKeyQuery>) {
  if (request.kind === 'fingerprint') return info.issuerFingerprint === request.value;
  if (request.kind === 'keyId') return info.issuerKeyId === request.value;
  return false;
}

/**
 * Does a certificate returned by a server answer the request? Returns the reason it does not,
 * or undefined. Run it on a screened certificate (`screenCertificate`): fingerprint
 * and key-ID requests match the primary key or a validly bound subkey; email requests need a
 * validly self-signed user ID with exactly that address.
 */
export function matchesRequest(parts: CertificateParts, request: ReturnType<typeof classifyKeyQuery>): string | undefined {
  const verdict = matchRequest(parts, request);
  return 'reason' in verdict ? verdict.reason : undefined;
}

/** How a screened certificate answers the request ('primary', 'subkey' or 'any'), or why it does not. */
export function matchRequest(parts: CertificateParts, request: KeyQuery): { match: Candidate['match'] } | { reason: string } {
  const primary = keyMaterial(parts.primary);
  // A self-revocation alone keeps a component in the keyring but does not make it an answer.
  const bound = parts.subkeys.filter((s) => selfSignedAs(parts.primary, s, [SigType.SubkeyBinding]));
  const certified = (u: CertificateParts['userIds'][number]) => selfSignedAs(parts.primary, u, CERTIFICATION_TYPES);
  switch (request.kind) {
    case 'fingerprint':
      if (primary.fingerprint === request.value) return { match: 'primary' };
      if (bound.some((s) => keyMaterial(s.packet).fingerprint === request.value)) return { match: 'subkey' };
      return { reason: `the server returned key ${primary.fingerprint}, which does not match the requested fingerprint ${request.value} (by its primary key or a validly bound subkey)` };
    case 'keyId':
      if (primary.keyId === request.value) return { match: 'primary' };
      if (bound.some((s) => keyMaterial(s.packet).keyId === request.value)) return { match: 'subkey' };
      return { reason: `the server returned key ${primary.fingerprint}, which does not match the requested key ID ${request.value} (by its primary key or a validly bound subkey)` };
    case 'email': {
      const ok = userIdsWithEmail(parts, request.value).some(certified);
      return ok ? { match: 'primary' } : { reason: `key ${primary.fingerprint} has no user ID with the address ${request.value} (only validly self-signed user IDs count)` };
    }
    default:
      // Text and short key IDs name nothing precisely: no certificate can be shown to answer them.
      return { reason: `"${request.value}" is not a fingerprint, key ID or email address, so no key in the answer can be matched to it` };
  }
}
