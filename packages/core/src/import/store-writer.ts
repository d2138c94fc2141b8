import type { IncomingCertificate, IncomingRevocation } from '../keyring/embedded.js';
import type { ImportResult } from '../keyring/types.js';
import type { KeyStore, KeyStoreImportSource } from '../keystore/contract.js';
import { keyMaterial, serializeCertificate } from '../openpgp/certificate.js';
import { rejected } from './candidates.js';

/**
 * Hands certificates the pipeline accepted to a key store other than the embedded keyring: one
 * `importCertificates` call per kind of source (key-server data is cleaned the way the store's
 * own tools clean it), results in the order of `accepted`, as the keyring's merge returns them.
 * Only public parts cross the contract: secret key material is left out with a note.
 */
export async function importIntoStore(
  store: KeyStore,
  accepted: readonly IncomingCertificate[],
  revocations: readonly IncomingRevocation[],
  signal?: AbortSignal,
): Promise<{ results: (ImportResult | undefined)[]; revocationResults: (ImportResult | undefined)[] }> {
  const results: (ImportResult | undefined)[] = new Array<ImportResult | undefined>(accepted.length);
  // One call per kind of source and, for key-server data, per key server (the store may record it).
  const batches = new Map<string, { source: KeyStoreImportSource; keyServer?: string; indexes: number[] }>();
  for (const [i, c] of accepted.entries()) {
    // Server answers arrive screened (matched to a request) or with third-party signatures stripped.
    const source: KeyStoreImportSource = c.screened || c.stripThirdParty ? 'keyserver' : 'local';
    const keyServer = source === 'keyserver' ? c.keyServer : undefined;
    const key = `${source} ${keyServer ?? ''}`;
    const batch = batches.get(key) ?? batches.set(key, { source, keyServer, indexes: [] }).get(key)!;
    batch.indexes.push(i);
  }
  const ordered = [...batches.values()].sort((a, b) => (a.source === b.source ? 0 : a.source === 'local' ? -1 : 1));
  for (const { source, keyServer, indexes: batch } of ordered) {
    const bytes = Buffer.concat(batch.map((i) => serializeCertificate(accepted[i]!.parts)));
    const report = await store.importCertificates(bytes, { source, signal, ...(keyServer ? { origin: { url: keyServer } } : {}) });
    const byFingerprint = new Map(report.results.map((r) => [r.fingerprint, r]));
    for (const i of batch) {
      const c = accepted[i]!;
      const result = byFingerprint.get(keyMaterial(c.parts.primary).fingerprint);
      const secretLeftOut = c.secretPackets.length > 0 && result && result.status !== 'rejected';
      results[i] = secretLeftOut
        ? { ...result, notes: [...(result.notes ?? []), `secret key material not imported: keyport writes only public keys into the ${store.id} store (${store.location}); import the secret key with that store's own tool`] }
        : result;
    }
  }
  // A detached revocation needs the stored key to attach to; through the contract only whole certificates go in.
  const revocationResults = revocations.map((r) => rejected(r.issuerFingerprint ?? null, `a lone revocation cannot be applied to the ${store.id} store by keyport yet`));
  return { results, revocationResults };
}
