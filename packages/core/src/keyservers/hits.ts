import type { SearchHit } from '../plugins/api.js';

/** ECC curves by the key size key servers report for them (gpg's curve names). */
const ECDSA_CURVES: Record<number, string> = { 256: 'nistp256', 384: 'nistp384', 521: 'nistp521' };

/**
 * A hit's algorithm in the one naming `list` uses (gpg's: rsa4096, dsa1024, elg2048, ed25519,
 * cv25519, nistp256), with the size and the curve as separate fields. Engines report what the
 * server said (an algorithm number and a bit count); a key source may already have the name.
 */
export function hitAlgorithm(hit: Pick<SearchHit, 'algorithmId' | 'algorithm' | 'bits'>): { algorithm: string | null; bits: number | null; curve: string | null } {
  const bits = hit.bits ?? null;
  const sized = (prefix: string) => ({ algorithm: `${prefix}${bits ?? ''}`, bits, curve: null });
  const curve = (name: string, size: number) => ({ algorithm: name, bits: size, curve: name });
  switch (hit.algorithmId) {
    case 1:
    case 2:
    case 3:
      return sized('rsa');
    case 17:
      return sized('dsa');
    case 16:
    case 20:
      return sized('elg');
    case 22: // EdDSA (legacy): only Ed25519 and Ed448 exist
      return bits !== null && bits > 300 ? curve('ed448', 448) : curve('ed25519', 255);
    case 27:
      return curve('ed25519', 255);
    case 28:
      return curve('ed448', 448);
    case 25:
      return curve('cv25519', 255);
    case 26:
      return curve('cv448', 448);
    case 19:
      return bits !== null && ECDSA_CURVES[bits] ? curve(ECDSA_CURVES[bits]!, bits) : { algorithm: 'ecdsa', bits, curve: null };
    default:
      // ECDH primaries (rare) do not tell 255-bit cv25519 from other curves by size alone.
      return { algorithm: hit.algorithm, bits, curve: null };
  }
}

/**
 * One hit per key: hits with the same fingerprint (or, without one, the same key ID) from
 * several sources become one, listing every source in the order they answered. The first
 * hit's fields win; user IDs are the union.
 */
export function mergeHits(hits: readonly SearchHit[]): SearchHit[] {
  const merged: SearchHit[] = [];
  const at = new Map<string, number>();
  for (const raw of hits) {
    const hit: SearchHit = { ...raw, ...hitAlgorithm(raw), sources: raw.sources ?? [raw.source] };
    const key = hit.fingerprint ?? (hit.keyId ? `id:${hit.keyId}` : undefined);
    const slot = key === undefined ? undefined : at.get(key);
    if (slot === undefined) {
      if (key !== undefined) at.set(key, merged.length);
      merged.push(hit);
      continue;
    }
    const before = merged[slot]!;
    merged[slot] = {
      ...before,
      fingerprint: before.fingerprint ?? hit.fingerprint,
      userIds: [...new Set([...before.userIds, ...hit.userIds])],
      sources: [...new Set([...(before.sources ?? []), ...(hit.sources ?? [])])],
    };
  }
  return merged;
}
