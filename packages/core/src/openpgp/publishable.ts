import { dropUnreadableSubkeys, readableFingerprint, screenCertificate, selfSignedAs, toPublicParts, type CertificateParts } from './certificate.js';
import { packetKey, SigType } from './packets.js';
import { CERTIFICATION_TYPES, componentName } from './self-signatures.js';

/** A user ID or subkey a published certificate would carry without a valid self-signature. */
export interface IncompleteComponent {
  component: 'userId' | 'subkey';
  /** The user ID text or the subkey fingerprint. */
  name: string;
  /** One line for people: what is wrong with it. */
  reason: string;
}

/** Whether a certificate is complete enough to publish without its primary secret key. */
export interface CertificateCompleteness {
  /** True when nothing is incomplete. */
  complete: boolean;
  /** Every user ID and subkey that fails, in certificate order. */
  incomplete: IncompleteComponent[];
}

/**
 * Checks that the public certificate of a key is complete, so that it can be published as it is
 * when the primary secret key is offline (`sec#`) and nothing can be re-signed: every user ID
 * has a valid self-certification and every subkey a valid binding signature (with a valid
 * back-signature when the subkey can sign), verified cryptographically. Secret key packets in
 * `parts` are read as their public parts. A user ID or subkey that is only revoked still counts
 * as complete when it also carries a valid certification or binding.
 */
export async function publicCertificateComplete(parts: CertificateParts): Promise<CertificateCompleteness> {
  const { publicParts } = toPublicParts(parts);
  // Subkeys keyport cannot read are reported below, not a reason to fail the whole check.
  const screened = (await screenCertificate(dropUnreadableSubkeys(publicParts).parts, { stripThirdParty: true })).parts;
  const incomplete: IncompleteComponent[] = [];
  const validUserIds = new Map(screened.userIds.map((c) => [packetKey(c.packet), c]));
  for (const uid of publicParts.userIds) {
    const valid = validUserIds.get(packetKey(uid.packet));
    if (!valid || !selfSignedAs(screened.primary, valid, CERTIFICATION_TYPES)) {
      incomplete.push({ component: 'userId', name: componentName(uid), reason: 'it has no valid self-signature' });
    }
  }
  const validSubkeys = new Map(screened.subkeys.map((c) => [readableFingerprint(c.packet), c]));
  for (const sub of publicParts.subkeys) {
    const fingerprint = readableFingerprint(sub.packet);
    const valid = fingerprint === undefined ? undefined : validSubkeys.get(fingerprint);
    if (!valid || !selfSignedAs(screened.primary, valid, [SigType.SubkeyBinding])) {
      incomplete.push({
        component: 'subkey',
        name: fingerprint ?? '(unreadable subkey)',
        reason: fingerprint === undefined ? 'keyport cannot read its key packet' : 'it has no valid binding signature (a signing subkey also needs a valid back-signature)',
      });
    }
  }
  return { complete: incomplete.length === 0, incomplete };
}
