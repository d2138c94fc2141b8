import { mergeCertificate, serializeCertificate, splitCertificates, type MergeCounts } from '../openpgp/certificate.js';
import { readPackets } from '../openpgp/packets.js';
import { hasForeignKeyRevocation, summarize, type KeySummary } from '../openpgp/summary.js';

/**
 * One unit of merge work: every incoming copy of one certificate (in input order) merged into
 * what the store has. Plain bytes in and out, so it can run in a worker thread.
 */
export interface MergeJob {
  existing: Uint8Array | null;
  incoming: { bytes: Uint8Array; stripThirdParty: boolean; screened?: boolean }[];
}

export interface MergeJobResult {
  steps: { added: MergeCounts; invalidSignatures: number; hadExisting: boolean }[];
  /** The merged certificate, or null when nothing changed. */
  merged: Uint8Array | null;
  /** Summary of `merged`, or null when nothing changed or the result is not a usable certificate. */
  summary: KeySummary | null;
  /** The merged certificate has no self-signed component at all. */
  empty: boolean;
}

/** The result of merging `copies` copies of a certificate that brought nothing new. */
export function unchangedMergeResult(copies: number): MergeJobResult {
  return {
    steps: Array.from({ length: copies }, () => ({ added: { userIds: 0, subkeys: 0, signatures: 0, revocations: 0 }, invalidSignatures: 0, hadExisting: true })),
    merged: null,
    summary: null,
    empty: false,
  };
}

export async function runMergeJob(job: MergeJob): Promise<MergeJobResult> {
  let current = job.existing ? splitCertificates(readPackets(job.existing)).certificates[0]?.parts : undefined;
  const steps: MergeJobResult['steps'] = [];
  let changed = false;
  for (const item of job.incoming) {
    const parts = splitCertificates(readPackets(item.bytes)).certificates[0]!.parts;
    const hadExisting = current !== undefined;
    const merge = await mergeCertificate(current, parts, { stripThirdParty: item.stripThirdParty, selfSignaturesVerified: item.screened });
    const added = merge.added;
    if (!hadExisting || added.userIds + added.subkeys + added.signatures + added.revocations > 0) changed = true;
    steps.push({ added, invalidSignatures: merge.invalidSignatures, hadExisting });
    current = merge.merged;
  }
  const empty = !current || current.direct.length + current.userIds.length + current.subkeys.length === 0;
  if (!changed || !current) return { steps, merged: null, summary: null, empty };
  return {
    steps,
    merged: serializeCertificate(current),
    // A designated revoker's revocation needs the revoker's key from the keyring: the keyring
    // computes that summary itself (a worker has no keyring).
    summary: empty || hasForeignKeyRevocation(current) ? null : await summarize(current, { trustSelfSignatures: true }),
    empty,
  };
}
