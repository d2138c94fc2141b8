import type * as openpgp from 'openpgp';
import { loadOpenpgp } from './lib.js';

let policy: openpgp.Config | undefined;

/**
 * Verification policy for self-signatures that define a certificate's structure (user IDs,
 * subkeys, expiry, revocation). It matches GnuPG 2.2 so both tools agree on what a key is:
 * SHA-1 and RIPEMD-160 self-signatures are accepted (many long-lived keys carry them), MD5 is
 * not, and RSA size is not a reason to hide a key. See docs/adr/0003-self-signature-policy.md.
 * This policy is never used to judge message signatures.
 */
export async function structurePolicy(): Promise<openpgp.Config> {
  if (!policy) {
    const lib = await loadOpenpgp();
    policy = {
      ...lib.config,
      minRSABits: 0,
      rejectHashAlgorithms: new Set([lib.enums.hash.md5]),
      rejectPublicKeyAlgorithms: new Set(),
    } as openpgp.Config;
  }
  return policy;
}
