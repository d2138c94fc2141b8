import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ErrorCodes, InputError, KeyringError, NotFoundError } from '../errors.js';
import { fsyncDir, removeStaleTemps, writeFileAtomic } from '../fs/atomic.js';
import { FileLock } from '../fs/lock.js';
import {
  certificatePackets,
  contentHash,
  keyMaterial,
  mergeCertificate,
  publicKeyLength,
  serializeCertificate,
  splitCertificates,
  type CertificateParts,
  type MergeCounts,
} from '../openpgp/certificate.js';
import { dearmorAll } from '../openpgp/armor.js';
import { packetListContained, packetsContained, readPackets, readPacketsLenient, writePackets, type RawPacket } from '../openpgp/packets.js';
import { summarize, type KeySummary } from '../openpgp/summary.js';
import { unchangedMergeResult, type MergeJob, type MergeJobResult } from './merge-job.js';
import { runMergeJobs } from './merge-pool.js';
import { classifyKeyQuery } from './query.js';
import type { ImportResult, KeyFilter, KeyRecord, Keyring, MetaUpdate, SecretPrimaryState } from './types.js';

interface IndexFile {
  version: 1;
  keys: Record<string, KeyRecord>;
}

/** What the import pipeline hands to the store: one certificate, public parts plus any secret. */
export interface IncomingCertificate {
  parts: CertificateParts;
  secretPackets: RawPacket[];
  stripThirdParty: boolean;
  /** Already screened (ADR 0007): its self-signatures verified, so the merge need not verify them again. */
  screened?: boolean;
}

/** A detached key revocation (signature-only block) to attach to a stored key. */
export interface IncomingRevocation {
  signature: RawPacket;
  issuerKeyId?: string;
  issuerFingerprint?: string;
}

/** A certificate to write: merged bytes and, when already computed, its summary. */
interface PendingCert {
  bytes: Uint8Array;
  summary: KeySummary | null;
}

const EMPTY: MergeCounts = { userIds: 0, subkeys: 0, signatures: 0, revocations: 0 };
/** Files read or written at once: enough to keep the disk busy, few enough for the fd limit. */
const FILE_CONCURRENCY = 16;

/**
 * The embedded keyring: one binary file per certificate under `certs/XX/`, secret key packets
 * apart under `secret/` (mode 0600, never read by export or publish), and `index.json` with
 * every key's summary so listing parses nothing.
 *
 * Writes go through a journal: the fingerprints a batch will touch are recorded first, then the
 * certificate files are replaced atomically, then the index, then the journal is removed. After
 * a crash at any point, each file is either its old or its new version (both complete), and the
 * next writer re-summarises the journalled keys so the index matches the files again.
 */
export class EmbeddedKeyring implements Keyring {
  private readonly lock: FileLock;
  private cache?: { mtimeMs: number; size: number; index: IndexFile };
  /** Called after a write changed keys (imports, merges, deletes); the runtime puts it on the bus. */
  onChanged?: (fingerprints: string[]) => void;

  constructor(readonly dir: string) {
    this.lock = new FileLock(path.join(dir, 'lock'));
  }

  private get indexPath() {
    return path.join(this.dir, 'index.json');
  }
  private get journalPath() {
    return path.join(this.dir, 'journal.json');
  }
  certPath(fpr: string) {
    return path.join(this.dir, 'certs', fpr.slice(0, 2), `${fpr}.pgp`);
  }
  private secretPath(fpr: string) {
    return path.join(this.dir, 'secret', `${fpr}.pgp`);
  }

  private async ensureDirs() {
    await fs.mkdir(path.join(this.dir, 'certs'), { recursive: true, mode: 0o700 });
    await fs.mkdir(path.join(this.dir, 'secret'), { recursive: true, mode: 0o700 });
  }

  /** Reads the index; a missing keyring is empty. Recovers an interrupted write when it can. */
  private async readIndex(): Promise<IndexFile> {
    if (await exists(this.journalPath)) {
      // Another process may be mid-write; recover only if we can take the lock right away.
      try {
        await this.lock.withLock(() => this.recover(), { timeoutMs: 0 });
      } catch (e) {
        if (!(e instanceof KeyringError && e.code === ErrorCodes.KeyringLocked)) throw e;
      }
    }
    return this.loadIndexFile();
  }

  private async loadIndexFile(): Promise<IndexFile> {
    let stat;
    try {
      stat = await fs.stat(this.indexPath);
    } catch {
      return { version: 1, keys: {} };
    }
    if (this.cache && this.cache.mtimeMs === stat.mtimeMs && this.cache.size === stat.size) return this.cache.index;
    const text = await fs.readFile(this.indexPath, 'utf8');
    let index: IndexFile;
    try {
      index = JSON.parse(text) as IndexFile;
      if (index.version !== 1 || typeof index.keys !== 'object' || index.keys === null) throw new Error('bad shape');
    } catch {
      throw new KeyringError(ErrorCodes.KeyringCorrupt, `the keyring index ${this.indexPath} is damaged`, {
        nextStep: 'run `keyport keyring rebuild-index` to rebuild it from the certificate files',
      });
    }
    this.cache = { mtimeMs: stat.mtimeMs, size: stat.size, index };
    return index;
  }

  /** Re-summarises the keys named in a leftover journal. Caller holds the lock. */
  private async recover(): Promise<void> {
    let journal: { fingerprints: string[] };
    try {
      journal = JSON.parse(await fs.readFile(this.journalPath, 'utf8')) as { fingerprints: string[] };
    } catch {
      journal = { fingerprints: [] };
    }
    const index: IndexFile = await this.loadIndexFile().catch(() => ({ version: 1 as const, keys: {} }));
    for (const fpr of journal.fingerprints) {
      const record = await this.recordFromFiles(fpr, index.keys[fpr]?.meta ?? {});
      if (record) index.keys[fpr] = record;
      else delete index.keys[fpr];
    }
    await writeFileAtomic(this.indexPath, JSON.stringify(index));
    await fs.rm(this.journalPath, { force: true });
    await removeStaleTemps(this.dir);
  }

  /** Builds an index record from the files on disk, or undefined when the key is not stored. */
  private async recordFromFiles(fpr: string, meta: Record<string, unknown>): Promise<KeyRecord | undefined> {
    const bytes = await fs.readFile(this.certPath(fpr)).catch(() => undefined);
    if (!bytes) return undefined;
    const parts = partsOf(bytes);
    if (!parts) return undefined;
    const secret = await this.readSecretPackets(fpr);
    return {
      summary: await summarize(parts, { trustSelfSignatures: true }),
      hasSecret: secret.length > 0,
      secretPrimary: secretPrimaryState(secret, fpr),
      hash: contentHash(bytes),
      meta,
    };
  }

  /** Rebuilds index.json from the certificate files (the index is derived data). */
  async rebuildIndex(): Promise<number> {
    return this.lock.withLock(async () => {
      const index: IndexFile = { version: 1, keys: {} };
      const old = await this.loadIndexFile().catch(() => ({ version: 1 as const, keys: {} as Record<string, KeyRecord> }));
      const certsDir = path.join(this.dir, 'certs');
      for (const sub of await fs.readdir(certsDir).catch(() => [] as string[])) {
        for (const name of await fs.readdir(path.join(certsDir, sub)).catch(() => [] as string[])) {
          if (!name.endsWith('.pgp')) continue;
          const fpr = name.slice(0, -4);
          const rec = await this.recordFromFiles(fpr, old.keys[fpr]?.meta ?? {});
          if (rec) index.keys[fpr] = rec;
        }
      }
      await writeFileAtomic(this.indexPath, JSON.stringify(index));
      await fs.rm(this.journalPath, { force: true });
      return Object.keys(index.keys).length;
    });
  }

  async count(): Promise<number> {
    return Object.keys((await this.readIndex()).keys).length;
  }

  async list(filter: KeyFilter = 'all'): Promise<KeyRecord[]> {
    const now = Date.now();
    const records = Object.values((await this.readIndex()).keys);
    const keep = (r: KeyRecord) => {
      switch (filter) {
        case 'all':
          return true;
        case 'expired':
          return r.summary.expires !== null && Date.parse(r.summary.expires) <= now;
        case 'revoked':
          return r.summary.revoked;
        case 'secret':
          return r.hasSecret;
        case 'public':
          return !r.hasSecret;
      }
    };
    // Fingerprints are uppercase hex: code-unit order is their order, without a collator per comparison.
    return records.filter(keep).sort((a, b) => (a.summary.fingerprint < b.summary.fingerprint ? -1 : a.summary.fingerprint > b.summary.fingerprint ? 1 : 0));
  }

  async get(fingerprint: string): Promise<KeyRecord | undefined> {
    return (await this.readIndex()).keys[fingerprint.toUpperCase()];
  }

  async find(query: string): Promise<KeyRecord[]> {
    const q = classifyKeyQuery(query);
    const index = await this.readIndex();
    const records = Object.values(index.keys);
    switch (q.kind) {
      case 'fingerprint': {
        // A primary fingerprint names that key alone, whatever other certificates carry it as a
        // subkey; only a subkey fingerprint can be ambiguous.
        const primary = index.keys[q.value];
        if (primary) return [primary];
        return records.filter((r) => r.summary.subkeys.some((s) => s.fingerprint === q.value));
      }
      case 'keyId':
        return records.filter((r) => r.summary.keyId === q.value || r.summary.subkeys.some((s) => s.keyId === q.value));
      case 'email':
        return records.filter((r) => r.summary.userIds.some((u) => u.email === q.value));
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

  async resolve(query: string): Promise<KeyRecord> {
    const found = await this.find(query);
    if (found.length === 0) {
      throw new NotFoundError(ErrorCodes.KeyNotFound, `no key in the keyring matches "${query}"`, {
        nextStep: 'run `keyport list` to see the keys you have',
      });
    }
    if (found.length > 1) {
      throw new InputError(ErrorCodes.KeyAmbiguous, `"${query}" matches ${found.length} keys: ${found.map((r) => r.summary.fingerprint).join(', ')}`, {
        nextStep: 'use the full primary fingerprint of the key you mean (one of those listed)',
      });
    }
    return found[0]!;
  }

  async readPublic(fingerprint: string): Promise<Uint8Array> {
    const fpr = fingerprint.toUpperCase();
    try {
      return new Uint8Array(await fs.readFile(this.certPath(fpr)));
    } catch {
      throw new NotFoundError(ErrorCodes.KeyNotFound, `key ${fpr} is not in the keyring`);
    }
  }

  private async readSecretPackets(fpr: string): Promise<RawPacket[]> {
    const bytes = await fs.readFile(this.secretPath(fpr)).catch(() => undefined);
    return bytes ? readPackets(bytes) : [];
  }

  async readStoredParts(fpr: string): Promise<CertificateParts | undefined> {
    const bytes = await fs.readFile(this.certPath(fpr)).catch(() => undefined);
    if (!bytes) return undefined;
    return partsOf(bytes);
  }

  /**
   * Does the stored certificate of `fingerprint` already hold every packet of `answer` (armored
   * or binary), byte for byte? Then importing it cannot change anything. True only when that is
   * certain: a key not stored, or an answer that does not decode or frame, gives false, and the
   * caller imports it the checked way, which says what is wrong. No lock is needed: certificate
   * files are replaced whole and only ever grow (recovery rolls forward from them).
   */
  async holds(fingerprint: string, answer: Uint8Array): Promise<boolean> {
    const stored = await fs.readFile(this.certPath(fingerprint.toUpperCase())).catch(() => undefined);
    if (!stored || answer.length === 0) return false;
    let binary: Uint8Array;
    try {
      // Unchecked decode: damage cannot turn into packets identical to stored ones.
      binary = (answer[0]! & 0x80) !== 0 ? answer : dearmorAll(answer, { verify: false });
    } catch {
      return false;
    }
    return binary.length > 0 && packetsContained(stored, binary);
  }

  async delete(fingerprint: string, options: { secret?: boolean } = {}): Promise<void> {
    const fpr = fingerprint.toUpperCase();
    await this.lock.withLock(async () => {
      const index = await this.loadIndexFile();
      const rec = index.keys[fpr];
      if (!rec) throw new NotFoundError(ErrorCodes.KeyNotFound, `key ${fpr} is not in the keyring`);
      if (rec.hasSecret && !options.secret) {
        throw new InputError(ErrorCodes.Usage, `key ${fpr} has secret key material here`, {
          nextStep: 'export a backup of the secret key first, then delete with --secret',
        });
      }
      await writeFileAtomic(this.journalPath, JSON.stringify({ fingerprints: [fpr] }));
      await fs.rm(this.certPath(fpr), { force: true });
      await fs.rm(this.secretPath(fpr), { force: true });
      delete index.keys[fpr];
      await writeFileAtomic(this.indexPath, JSON.stringify(index));
      await fs.rm(this.journalPath, { force: true });
    });
    this.onChanged?.([fpr]);
  }

  async setMeta(fingerprint: string, namespace: string, value: unknown): Promise<void> {
    await this.writeMeta([{ fingerprint, namespace, value }], 'throw');
  }

  async setMetaMany(updates: readonly MetaUpdate[]): Promise<void> {
    await this.writeMeta(updates, 'skip');
  }

  /** Applies meta updates in one index write (none when nothing changes); a missing key throws or is skipped. */
  private async writeMeta(updates: readonly MetaUpdate[], missing: 'throw' | 'skip'): Promise<void> {
    if (updates.length === 0) return;
    await this.lock.withLock(async () => {
      await this.recoverIfNeeded();
      const index = await this.loadIndexFile();
      let changed = false;
      for (const { fingerprint, namespace, value } of updates) {
        const fpr = fingerprint.toUpperCase();
        const rec = index.keys[fpr];
        if (!rec) {
          if (missing === 'throw') throw new NotFoundError(ErrorCodes.KeyNotFound, `key ${fpr} is not in the keyring`);
          continue;
        }
        if (JSON.stringify(rec.meta[namespace]) === JSON.stringify(value)) continue;
        rec.meta = { ...rec.meta, [namespace]: value };
        changed = true;
      }
      if (changed) await writeFileAtomic(this.indexPath, JSON.stringify(index));
    });
  }

  private async recoverIfNeeded() {
    if (await exists(this.journalPath)) await this.recover();
  }

  /**
   * Merges certificates into the keyring as one batch. Results come back in input order.
   * Cancelling through `signal` stops merging; what was merged before is still committed.
   */
  async importCertificates(
    incoming: readonly IncomingCertificate[],
    revocations: readonly IncomingRevocation[],
    options: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
  ): Promise<{ results: (ImportResult | undefined)[]; revocationResults: (ImportResult | undefined)[] }> {
    await this.ensureDirs();
    return this.lock.withLock(async () => {
      await this.recoverIfNeeded();
      const index = await this.loadIndexFile();
      // Aligned with `incoming`; a hole means cancellation cut that certificate off.
      const results: (ImportResult | undefined)[] = new Array(incoming.length);
      const pendingPublic = new Map<string, PendingCert>();
      const pendingSecret = new Map<string, RawPacket[]>();
      const total = incoming.length + revocations.length;
      let done = 0;
      const advance = (certificates: number) => {
        done += certificates;
        options.onProgress?.(done, total);
      };

      const currentParts = async (fpr: string): Promise<CertificateParts | undefined> => {
        const pending = pendingPublic.get(fpr);
        if (pending) return partsOf(pending.bytes);
        return index.keys[fpr] ? this.readStoredParts(fpr) : undefined;
      };

      // One merge job per certificate (every copy of it in the input, in order), run in
      // parallel when the batch is large; results are applied below in input order.
      const order = incoming.map((item) => ({ fpr: keyMaterial(item.parts.primary).fingerprint, item }));
      const groups = new Map<string, IncomingCertificate[]>();
      for (const { fpr, item } of order) {
        const list = groups.get(fpr) ?? [];
        list.push(item);
        groups.set(fpr, list);
      }
      const fprs = [...groups.keys()];
      const jobs: (MergeJob | undefined)[] = new Array(fprs.length);
      const jobResults: (MergeJobResult | undefined)[] = new Array(fprs.length);
      await runLimited(
        fprs.map((fpr, i) => async () => {
          const stored = index.keys[fpr] ? await fs.readFile(this.certPath(fpr)).catch(() => undefined) : undefined;
          const existing = stored ? new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength) : null;
          const copies = groups.get(fpr)!;
          // Refreshing a key that did not change is the common case (sync): when every incoming
          // packet is already stored byte for byte, the merge cannot add anything, so nothing
          // is serialised, parsed again or verified. (A signature only verifies over the
          // component it was made for, so a known packet cannot become new under another one.)
          const have = existing ? readPacketsLenient(existing) : undefined;
          if (have && !have.error && copies.every((item) => packetListContained(have.packets, certificatePackets(item.parts)))) {
            jobResults[i] = unchangedMergeResult(copies.length);
            advance(copies.length);
            return;
          }
          jobs[i] = {
            existing,
            incoming: copies.map((item) => ({ bytes: serializeCertificate(item.parts), stripThirdParty: item.stripThirdParty, screened: item.screened })),
          };
        }),
        FILE_CONCURRENCY,
      );
      const toMerge = fprs.flatMap((_, i) => (jobs[i] ? [i] : []));
      const merged = await runMergeJobs(
        toMerge.map((i) => jobs[i]!),
        { signal: options.signal, onDone: advance },
      );
      for (const [k, i] of toMerge.entries()) jobResults[i] = merged[k];
      const byFpr = new Map(fprs.map((fpr, i) => [fpr, jobResults[i]]));
      const stepIndex = new Map<string, number>();

      for (const [position, { fpr, item }] of order.entries()) {
        const job = byFpr.get(fpr);
        if (!job) continue; // cancelled before this certificate was merged
        const i = stepIndex.get(fpr) ?? 0;
        stepIndex.set(fpr, i + 1);
        const step = job.steps[i]!;
        if (job.empty && !index.keys[fpr]) {
          results[position] = {
            fingerprint: fpr,
            status: 'rejected',
            reason: step.invalidSignatures > 0 ? 'no valid self-signature (all self-signatures failed verification)' : 'no self-signature: not a usable certificate',
            added: { ...EMPTY },
          };
          continue;
        }
        if (job.merged && !pendingPublic.has(fpr)) pendingPublic.set(fpr, { bytes: job.merged, summary: job.summary });
        let secretStored = 0;
        if (item.secretPackets.length > 0) {
          const have = pendingSecret.get(fpr) ?? (await this.readSecretPackets(fpr));
          const mergedSecret = mergeSecretPackets(have, item.secretPackets);
          secretStored = mergedSecret.added;
          if (mergedSecret.added > 0) pendingSecret.set(fpr, mergedSecret.packets);
        }
        const a = step.added;
        const changedPublic = a.userIds + a.subkeys + a.signatures + a.revocations > 0;
        results[position] = {
          fingerprint: fpr,
          // The same new key twice in one input is reported as new both times.
          status: !index.keys[fpr] ? 'new' : changedPublic || secretStored > 0 ? 'updated' : 'unchanged',
          reason: null,
          added: a,
          ...(secretStored > 0 ? { secretKeysStored: secretStored } : {}),
        };
      }

      const revocationResults: (ImportResult | undefined)[] = [];
      for (const rev of revocations) {
        if (options.signal?.aborted) break;
        const target = Object.values(index.keys).find((r) =>
          rev.issuerFingerprint ? r.summary.fingerprint === rev.issuerFingerprint : r.summary.keyId === rev.issuerKeyId,
        );
        const fpr = target?.summary.fingerprint ?? rev.issuerFingerprint ?? null;
        const parts = fpr ? await currentParts(fpr) : undefined;
        if (!fpr || !parts) {
          revocationResults.push({
            fingerprint: fpr,
            status: 'rejected',
            reason: 'signature without its key: the key it revokes is not in the keyring',
            added: { ...EMPTY },
          });
          advance(1);
          continue;
        }
        const merge = await mergeCertificate(parts, { primary: parts.primary, direct: [rev.signature], userIds: [], subkeys: [] }, { stripThirdParty: false });
        const changed = merge.added.revocations + merge.added.signatures > 0;
        if (changed) pendingPublic.set(fpr, { bytes: serializeCertificate(merge.merged), summary: null });
        revocationResults.push({
          fingerprint: fpr,
          status: changed ? 'updated' : merge.invalidSignatures > 0 ? 'rejected' : 'unchanged',
          reason: !changed && merge.invalidSignatures > 0 ? 'the revocation signature does not verify against this key' : null,
          added: merge.added,
        });
        advance(1);
      }

      const touched = new Set([...pendingPublic.keys(), ...pendingSecret.keys()]);
      if (touched.size > 0) {
        await this.commit(index, touched, pendingPublic, pendingSecret);
        this.onChanged?.([...touched]);
      }
      for (const r of [...results, ...revocationResults]) {
        if (r?.fingerprint && index.keys[r.fingerprint]) {
          r.userIds = index.keys[r.fingerprint]!.summary.userIds.map((u) => u.userId);
        }
      }
      return { results, revocationResults };
    }, { signal: options.signal });
  }

  private async commit(
    index: IndexFile,
    touched: Set<string>,
    pendingPublic: Map<string, PendingCert>,
    pendingSecret: Map<string, RawPacket[]>,
  ) {
    await writeFileAtomic(this.journalPath, JSON.stringify({ fingerprints: [...touched] }));
    const dirs = new Set<string>();
    const jobs: (() => Promise<void>)[] = [];
    for (const fpr of touched) {
      const pending = pendingPublic.get(fpr);
      if (pending) {
        const data = pending.bytes;
        const file = this.certPath(fpr);
        dirs.add(path.dirname(file));
        jobs.push(async () => {
          await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
          await writeFileAtomic(file, data, { fsyncDir: false });
        });
      }
      const secret = pendingSecret.get(fpr);
      if (secret) {
        dirs.add(path.join(this.dir, 'secret'));
        jobs.push(() => writeFileAtomic(this.secretPath(fpr), writePackets(secret), { fsyncDir: false, mode: 0o600 }));
      }
    }
    await runLimited(jobs, FILE_CONCURRENCY);
    await Promise.all([...dirs].map((d) => fsyncDir(d)));
    for (const fpr of touched) {
      const meta = index.keys[fpr]?.meta ?? {};
      const pending = pendingPublic.get(fpr);
      const bytes = pending?.bytes ?? (await fs.readFile(this.certPath(fpr)).catch(() => undefined));
      if (!bytes) continue;
      let summary = pending?.summary ?? index.keys[fpr]?.summary;
      if (!summary || (pending && !pending.summary)) {
        const parts = partsOf(bytes);
        if (!parts) continue;
        summary = await summarize(parts, { trustSelfSignatures: true });
      }
      const secret = pendingSecret.get(fpr) ?? (await this.readSecretPackets(fpr));
      index.keys[fpr] = {
        summary,
        hasSecret: secret.length > 0,
        secretPrimary: secretPrimaryState(secret, fpr),
        hash: contentHash(bytes),
        meta,
      };
    }
    await writeFileAtomic(this.indexPath, JSON.stringify(index));
    await fs.rm(this.journalPath, { force: true });
  }
}

/** Secret packets are merged by fingerprint; a real secret key replaces a stub, never the reverse. */
function mergeSecretPackets(have: RawPacket[], incoming: RawPacket[]): { packets: RawPacket[]; added: number } {
  const byFpr = new Map(have.map((p) => [keyMaterial(p).fingerprint, p]));
  let added = 0;
  for (const p of incoming) {
    const fpr = keyMaterial(p).fingerprint;
    const old = byFpr.get(fpr);
    if (!old || (isStub(old) && !isStub(p))) {
      byFpr.set(fpr, p);
      added++;
    }
  }
  return { packets: [...byFpr.values()], added };
}

/** GnuPG's gnu-dummy S2K (mode 1001) or divert-to-card (1002): no usable secret here. */
export function isStub(packet: RawPacket): boolean {
  const body = packet.body;
  let pos: number;
  try {
    pos = publicKeyLength(body);
  } catch {
    return false;
  }
  const usage = body[pos];
  if (usage !== 254 && usage !== 255) return false;
  pos += 2; // usage, symmetric algorithm
  if (body[0] === 6) pos += 1; // v6 carries a count byte before the fields
  const s2kType = body[pos];
  return s2kType === 101 && body[pos + 2] === 0x47 && body[pos + 3] === 0x4e && body[pos + 4] === 0x55;
}

function secretPrimaryState(secret: RawPacket[], fpr: string): SecretPrimaryState {
  const primary = secret.find((p) => p.tag === 5 && keyMaterial(p).fingerprint === fpr);
  if (!primary) return 'absent';
  return isStub(primary) ? 'stub' : 'present';
}

/** The one certificate a stored file holds. */
function partsOf(bytes: Uint8Array): CertificateParts | undefined {
  return splitCertificates(readPackets(bytes)).certificates[0]?.parts;
}

async function exists(p: string) {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

async function runLimited(jobs: (() => Promise<void>)[], limit: number) {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
}
