import { ErrorCodes, InputError, NotFoundError } from '../errors.js';
import { classifyKeyQuery } from '../keyring/query.js';
import type { KeySummary } from '../openpgp/summary.js';
import type { KeyStore, KeyStoreEntry } from './contract.js';

/**
 * The keys among `entries` that a user's ID names: a fingerprint (a primary one names that key
 * alone), a 16-hex key ID (primary or subkey) or an email address. Short key IDs and other text
 * are refused (KP1204), since they collide or name nothing. The same rules on every store.
 */
export function findKeys<T extends { summary: KeySummary }>(entries: readonly T[], query: string): T[] {
  const q = classifyKeyQuery(query);
  switch (q.kind) {
    case 'fingerprint': {
      // Only a subkey fingerprint can be ambiguous: other certificates may carry it as a subkey.
      const primary = entries.find((e) => e.summary.fingerprint === q.value);
      if (primary) return [primary];
      return entries.filter((e) => e.summary.subkeys.some((s) => s.fingerprint === q.value));
    }
    case 'keyId':
      return entries.filter((e) => e.summary.keyId === q.value || e.summary.subkeys.some((s) => s.keyId === q.value));
    case 'email':
      return entries.filter((e) => e.summary.userIds.some((u) => u.email === q.value));
    case 'shortKeyId':
      throw new InputError(ErrorCodes.KeyIdInvalid, `"${query}" is a short key ID; they collide too easily to identify a key`, {
        nextStep: 'use the 16-hex key ID or the full fingerprint',
      });
    default:
      throw new InputError(ErrorCodes.KeyIdInvalid, `"${query}" is not a fingerprint, key ID or email address`, {
        nextStep: 'give a 40-hex fingerprint, a 16-hex key ID or an email address',
      });
  }
}

/** The one key of `store` that `query` names; KP1202 when none does, KP1203 when several do. */
export async function resolveKey(store: KeyStore, query: string): Promise<KeyStoreEntry> {
  return onlyKey(findKeys(await store.list(), query), query, `the ${store.id} store`);
}

/** The one key `query` found in `where` (the keyring, a store); KP1202 when none, KP1203 when several. */
export function onlyKey<T extends { summary: KeySummary }>(found: readonly T[], query: string, where: string): T {
  if (found.length === 0) {
    throw new NotFoundError(ErrorCodes.KeyNotFound, `no key in ${where} matches "${query}"`, {
      nextStep: 'run `keyport list` to see the keys you have',
    });
  }
  if (found.length > 1) {
    throw new InputError(ErrorCodes.KeyAmbiguous, `"${query}" matches ${found.length} keys: ${found.map((e) => e.summary.fingerprint).join(', ')}`, {
      nextStep: 'use the full primary fingerprint of the key you mean (one of those listed)',
    });
  }
  return found[0]!;
}
