import type { ImportResult, ImportStatus } from '../keyring/types.js';

/** Which status a key shows when several copies of it were imported at once. */
const RANK: Record<ImportStatus, number> = { new: 3, updated: 2, unchanged: 1, rejected: 0 };

/**
 * One result per key: copies of the same certificate in one input (or from several sources)
 * are reported once, where the first copy stood. Accepted copies outrank rejected ones (the
 * key is in the keyring), `added` and `secretKeysStored` add up (each copy's merge counted only
 * what the copies before it had not brought), and the user IDs are those after the last copy.
 * Results without a fingerprint are kept as they are: nothing says they are the same key.
 */
export function mergeResultsByFingerprint<R extends ImportResult>(results: readonly R[], combine?: (into: R, other: R) => R): R[] {
  const merged: R[] = [];
  const at = new Map<string, number>();
  for (const r of results) {
    const slot = r.fingerprint === null ? undefined : at.get(r.fingerprint);
    if (slot === undefined) {
      if (r.fingerprint !== null) at.set(r.fingerprint, merged.length);
      merged.push({ ...r, added: { ...r.added } });
      continue;
    }
    const before = merged[slot]!;
    const best = RANK[r.status] > RANK[before.status] ? r : before;
    const both = before.status !== 'rejected' && r.status !== 'rejected';
    const secret = (before.secretKeysStored ?? 0) + (r.secretKeysStored ?? 0);
    const userIds = (r.status !== 'rejected' ? r.userIds : undefined) ?? before.userIds;
    let next: R = {
      ...before,
      status: best.status,
      reason: best.reason,
      added: both ? sumAdded(before.added, r.added) : { ...best.added },
      ...(secret > 0 ? { secretKeysStored: secret } : {}),
      ...(userIds ? { userIds } : {}),
    };
    if (combine) next = combine(next, r);
    merged[slot] = next;
  }
  return merged;
}

/** Two merges' counts added up. */
export function sumAdded(a: ImportResult['added'], b: ImportResult['added']): ImportResult['added'] {
  return { userIds: a.userIds + b.userIds, subkeys: a.subkeys + b.subkeys, signatures: a.signatures + b.signatures, revocations: a.revocations + b.revocations };
}
