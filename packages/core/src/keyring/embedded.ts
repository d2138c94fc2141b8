import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ErrorCodes, InputError, KeyringError, NotFoundError } from '../errors.js';
import { fsyncDir, storageError, writeFileAtomic } from '../fs/atomic.js';
import type { LockOptions } from '../fs/lock.js';
import {
  certificatePackets,
  contentHash,
  keyMaterial,
  mergeCertificate,
  serializeCertificate,
  type CertificateParts,
  type MergeCounts,
} from '../openpgp/certificate.js';
import { answerHeld } from '../openpgp/armor.js';
import { PacketTag, packetListContained, readPackets, readPacketsLenient, writePackets, type RawPacket } from '../openpgp/packets.js';
import { summarize, type KeySummary } from '../openpgp/summary.js';
import { unchangedMergeResult, type MergeJob, type MergeJobResult } from './merge-job.js';
import { runMergeJobs } from './merge-pool.js';
import { findKeys, onlyKey } from '../keystore/resolve.js';
import type { ImportResult, KeyFilter, KeyRecord, Keyring, MetaUpdate } from './types.js';
import {
  FILE_CONCURRENCY,
  KEY_FILE,
  assertFramed,
  exists,
  framingDamage,
  isDamage,
  mergeSecretPackets,
  partsOf,
  removeFile,
  runLimited,
  salvage,
  secretPrimaryState,
  storedParts,
} from './files.js';
import { IndexFileReader, type IndexFile } from './index-file.js';
import { KeyringLock } from './locking.js';
import * as recovery from './recovery.js';

export { isStub } from './files.js';


/** What the import pipeline hands to the store: one certificate, public parts plus any secret. */
export interface IncomingCertificate {
  parts: CertificateParts;
  secretPackets: RawPacket[];
  stripThirdParty: boolean;
  /** Already screened (ADR 0007): its self-signatures verified, so the merge need not verify them again. */
  screened?: boolean;
  /** The key server that sent it (not a key source such as WKD), for stores that record key origins. */
  keyServer?: string;
}

/** A detached key revocation (signature-only block) to attach to a stored key. */
export interface IncomingRevocation {
  signature: RawPacket;
  issuerKeyId?: string;
  issuerFingerprint?: string;
}

/** What `rebuildIndex` did: keys indexed, and files it could not read (skipped or indexed without them). */
export interface RebuildReport {
  /** Keys in the rebuilt index. */
  keys: number;
  /** Damaged certificate or secret key files, each with what is wrong. */
  damaged: { file: string; reason: string }[];
}

/** The state one `importCertificates` batch builds up: the index it started from and what to write. */
interface ImportBatch {
  index: IndexFile;
  pendingPublic: Map<string, PendingCert>;
  pendingSecret: Map<string, RawPacket[]>;
  repaired: Map<string, Uint8Array | null>;
  advance: (certificates: number) => void;
}

/** The merge jobs of a batch, by certificate, and the input in order with each item's fingerprint. */
interface PlannedMerges {
  order: { fpr: string; item: IncomingCertificate }[];
  fprs: string[];
  jobs: (MergeJob | undefined)[];
  jobResults: (MergeJobResult | undefined)[];
}

/** A certificate to write: merged bytes and, when already computed, its summary. */
interface PendingCert {
  bytes: Uint8Array;
  summary: KeySummary | null;
}

const EMPTY: MergeCounts = { userIds: 0, subkeys: 0, signatures: 0, revocations: 0 };

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
  private readonly lock: KeyringLock;
  private readonly index: IndexFileReader;
  /** Called after a write changed keys (imports, merges, deletes); the runtime puts it on the bus. */
  onChanged?: (fingerprints: string[]) => void;

  constructor(readonly dir: string) {
    this.lock = new KeyringLock(dir);
    this.index = new IndexFileReader(dir, path.join(dir, 'index.json'));
  }

  private get indexPath() {
    return this.index.path;
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

  /** Runs `fn` under the keyring lock (see KeyringLock); public for the key store contract. */
  async withLock<T>(fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
    return this.lock.run(fn, options);
  }

  private async ensureDirs() {
    for (const sub of ['certs', 'secret']) {
      const dir = path.join(this.dir, sub);
      await fs.mkdir(dir, { recursive: true, mode: 0o700 }).catch((e: unknown) => {
        throw storageError(e, dir);
      });
    }
  }

  /**
   * Reads the last committed index; a missing keyring is empty. Readers never take the lock
   * and never recover: after an interrupted write the committed index still lists only keys
   * whose files are complete (files are written before the index), and the next writer rolls
   * the journal forward. So listing works even when the disk is full or another process writes.
   */
  private readIndex(): Promise<IndexFile> {
    return this.index.load();
  }

  /** Re-summarises the keys of a leftover journal (see recovery.recover). Caller holds the lock. */
  private recover(): Promise<void> {
    return recovery.recover({ dir: this.dir, indexPath: this.indexPath, journalPath: this.journalPath, loadIndex: () => this.readIndex(), recordFromFiles: (fpr, meta) => this.recordFromFiles(fpr, meta) });
  }

  /**
   * Builds an index record from the files on disk, or undefined when the key is not stored.
   * A damaged certificate file throws KP1201; a damaged secret key file is reported in
   * `secretDamage` and the key keeps `hasSecret` so it cannot be deleted by mistake.
   */
  private async recordFromFiles(fpr: string, meta: Record<string, unknown>): Promise<{ record: KeyRecord; secretDamage?: KeyringError } | undefined> {
    const file = this.certPath(fpr);
    const bytes = await fs.readFile(file).catch(() => undefined);
    if (!bytes) return undefined;
    const parts = storedParts(file, bytes, fpr);
    const secret = await this.readSecretState(fpr);
    return {
      record: indexRecord(fpr, await summarize(parts, { trustSelfSignatures: true, revokerKey: this.heldPrimary }), bytes, secret, meta),
      ...(secret.damage ? { secretDamage: secret.damage } : {}),
    };
  }

  /**
   * Rebuilds index.json from the certificate files (the index is derived data). Damaged files
   * are skipped and reported, never a reason to fail: a key whose certificate file is damaged
   * keeps its old index record when it had one, so an import of a good copy repairs it.
   */
  async rebuildIndex(): Promise<RebuildReport> {
    return this.withLock(async () => {
      const index: IndexFile = { version: 1, keys: {} };
      const old = await this.readIndex().catch(() => ({ version: 1 as const, keys: {} as Record<string, KeyRecord> }));
      const damaged: RebuildReport['damaged'] = [];
      const certsDir = path.join(this.dir, 'certs');
      for (const sub of (await fs.readdir(certsDir).catch(() => [] as string[])).sort()) {
        for (const name of (await fs.readdir(path.join(certsDir, sub)).catch(() => [] as string[])).sort()) {
          if (!KEY_FILE.test(name)) continue;
          const fpr = name.slice(0, -4);
          try {
            const found = await this.recordFromFiles(fpr, old.keys[fpr]?.meta ?? {});
            if (!found) continue;
            index.keys[fpr] = found.record;
            if (found.secretDamage) damaged.push({ file: this.secretPath(fpr), reason: found.secretDamage.message });
          } catch (e) {
            if (!isDamage(e)) throw e;
            damaged.push({ file: this.certPath(fpr), reason: e.message });
            if (old.keys[fpr]) index.keys[fpr] = old.keys[fpr];
          }
        }
      }
      await writeFileAtomic(this.indexPath, JSON.stringify(index));
      await recovery.removeTempsEverywhere(this.dir);
      await removeFile(this.journalPath);
      return { keys: Object.keys(index.keys).length, damaged };
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
    return findKeys(Object.values((await this.readIndex()).keys), query);
  }

  async resolve(query: string): Promise<KeyRecord> {
    return onlyKey(await this.find(query), query, 'the keyring');
  }

  /** The stored certificate, checked to be whole: a damaged file gives KP1201, never damaged bytes. */
  async readPublic(fingerprint: string): Promise<Uint8Array> {
    const fpr = fingerprint.toUpperCase();
    const file = this.certPath(fpr);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await fs.readFile(file));
    } catch {
      throw new NotFoundError(ErrorCodes.KeyNotFound, `key ${fpr} is not in the keyring`);
    }
    assertFramed(file, bytes, fpr);
    return bytes;
  }

  private async readSecretState(fpr: string): Promise<{ packets: RawPacket[]; damage?: KeyringError }> {
    const file = this.secretPath(fpr);
    const bytes = await fs.readFile(file).catch(() => undefined);
    if (!bytes) return { packets: [] };
    try {
      const packets = readPackets(bytes);
      // Each packet must be a key packet whose key material parses: that is what is read later.
      for (const p of packets) {
        if (p.tag !== PacketTag.SecretKey && p.tag !== PacketTag.SecretSubkey) throw new Error(`it holds a packet of type ${p.tag}, not a secret key`);
        keyMaterial(p);
      }
      return { packets };
    } catch (e) {
      return {
        packets: [],
        damage: new KeyringError(ErrorCodes.KeyringCorrupt, `the secret key file ${file} is damaged (${(e as Error).message})`, {
          nextStep: `keep a copy of ${file}, move it out of the keyring, and import your secret key again from a backup`,
        }),
      };
    }
  }

  /** The primary key packet of a key held here (a designated revoker, for summaries), or undefined. */
  private readonly heldPrimary = async (fpr: string): Promise<RawPacket | undefined> =>
    (await this.readStoredParts(fpr).catch(() => undefined))?.primary;

  /** The stored certificate of `fpr`, or undefined when not stored; a damaged file throws KP1201. */
  async readStoredParts(fpr: string): Promise<CertificateParts | undefined> {
    const file = this.certPath(fpr);
    const bytes = await fs.readFile(file).catch(() => undefined);
    if (!bytes) return undefined;
    return storedParts(file, bytes, fpr);
  }

  /**
   * Does the stored certificate of `fingerprint` already hold every packet of `answer` (armored
   * or binary), byte for byte? Then importing it cannot change anything. True only when that is
   * certain: a key not stored, or an answer that does not decode or frame, gives false, and the
   * caller imports it the checked way, which says what is wrong. No lock is needed: certificate
   * files are replaced whole and only ever grow (recovery rolls forward from them).
   */
  async holds(fingerprint: string, answer: Uint8Array): Promise<boolean> {
    return answerHeld(await fs.readFile(this.certPath(fingerprint.toUpperCase())).catch(() => undefined), answer);
  }

  async delete(fingerprint: string, options: { secret?: boolean } = {}): Promise<void> {
    const fpr = fingerprint.toUpperCase();
    await this.withLock(async () => {
      const index = await this.readIndex();
      const rec = index.keys[fpr];
      if (!rec) throw new NotFoundError(ErrorCodes.KeyNotFound, `key ${fpr} is not in the keyring`);
      if (rec.hasSecret && !options.secret) {
        throw new InputError(ErrorCodes.Usage, `key ${fpr} has secret key material here`, {
          // keyport never exports secret keys: point at the file itself.
          nextStep: `the secret key is kept in ${this.secretPath(fpr)}: copy it somewhere safe if you still need it, then delete with --secret`,
        });
      }
      await writeFileAtomic(this.journalPath, JSON.stringify({ fingerprints: [fpr] }));
      await removeFile(this.certPath(fpr));
      await removeFile(this.secretPath(fpr));
      delete index.keys[fpr];
      await writeFileAtomic(this.indexPath, JSON.stringify(index));
      await removeFile(this.journalPath);
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
    await this.withLock(async () => {
      await this.recoverIfNeeded();
      const index = await this.readIndex();
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

  /** Before a write: roll an interrupted write forward, or at least clear dead writers' temp files next to the index. */
  private async recoverIfNeeded() {
    if (await exists(this.journalPath)) await this.recover();
    else await recovery.removeTopLevelTemps(this.dir);
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
    return this.withLock(async () => {
      await this.recoverIfNeeded();
      const index = await this.readIndex();
      // Aligned with `incoming`; a hole means cancellation cut that certificate off.
      const results: (ImportResult | undefined)[] = new Array(incoming.length);
      const total = incoming.length + revocations.length;
      let done = 0;
      const batch: ImportBatch = {
        index,
        pendingPublic: new Map<string, PendingCert>(),
        pendingSecret: new Map<string, RawPacket[]>(),
        // Keys whose stored certificate file is damaged, with what still reads of it: the incoming copy repairs it.
        repaired: new Map<string, Uint8Array | null>(),
        advance: (certificates: number) => {
          done += certificates;
          options.onProgress?.(done, total);
        },
      };
      const planned = await this.planMerges(batch, incoming);
      const byFpr = await this.runMerges(batch, planned, options.signal);
      await this.applyMerges(batch, planned.order, byFpr, results);
      const revocationResults = await this.applyRevocations(batch, revocations, options.signal);
      return this.finishImport(batch, results, revocationResults);
    }, { signal: options.signal });
  }

  /**
   * One merge job per certificate (every copy of it in the input, in order); a certificate
   * whose every packet is already stored gets its result without a job.
   */
  private async planMerges(batch: ImportBatch, incoming: readonly IncomingCertificate[]): Promise<PlannedMerges> {
    const { index, repaired, advance } = batch;
    // Merge jobs run in parallel when the batch is large; results are applied in input order.
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
        const file = this.certPath(fpr);
        const stored = index.keys[fpr] ? await fs.readFile(file).catch(() => undefined) : undefined;
        let existing: Uint8Array | null = stored ? new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength) : null;
        let have = existing ? readPacketsLenient(existing) : undefined;
        if (existing && have && framingDamage(have, fpr) !== undefined) {
          // What still reads of the damaged file is kept (it was verified when stored); the
          // incoming copy supplies the rest, and the result replaces the file.
          existing = salvage(have.packets, fpr);
          have = undefined;
          repaired.set(fpr, existing);
        }
        const copies = groups.get(fpr)!;
        // Refreshing a key that did not change is the common case (sync): when every incoming
        // packet is already stored byte for byte, the merge cannot add anything, so nothing
        // is serialised, parsed again or verified. (A signature only verifies over the
        // component it was made for, so a known packet cannot become new under another one.)
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
    return { order, fprs, jobs, jobResults };
  }

  /** Runs the planned merge jobs (in workers when there are many); each certificate's merge result. */
  private async runMerges(batch: ImportBatch, planned: PlannedMerges, signal: AbortSignal | undefined): Promise<Map<string, MergeJobResult | undefined>> {
    const { advance } = batch;
    const { fprs, jobs, jobResults } = planned;
    const toMerge = fprs.flatMap((_, i) => (jobs[i] ? [i] : []));
    const merged = await runMergeJobs(
      toMerge.map((i) => jobs[i]!),
      { signal, onDone: advance },
    );
    for (const [k, i] of toMerge.entries()) jobResults[i] = merged[k];
    return new Map(fprs.map((fpr, i) => [fpr, jobResults[i]]));
  }

  /** Turns each input certificate's merge step into its result, and queues what to write. */
  private async applyMerges(
    batch: ImportBatch,
    order: PlannedMerges['order'],
    byFpr: Map<string, MergeJobResult | undefined>,
    results: (ImportResult | undefined)[],
  ): Promise<void> {
    const { index, pendingPublic, pendingSecret, repaired } = batch;
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
      // The copy added nothing to what still read of a damaged file: that part, rewritten whole, is the repair.
      const salvaged = repaired.get(fpr);
      if (salvaged && !pendingPublic.has(fpr)) pendingPublic.set(fpr, { bytes: salvaged, summary: null });
      let secretStored = 0;
      let secretRefused: string | null = null;
      if (item.secretPackets.length > 0) {
        const stored = pendingSecret.has(fpr) ? { packets: pendingSecret.get(fpr)! } : await this.readSecretState(fpr);
        if (stored.damage) {
          // Never overwrite a secret key file we cannot read: it may still be rescued by hand.
          secretRefused = `secret key not stored: ${stored.damage.message}; ${stored.damage.nextStep ?? ''}`.trim();
        } else {
          const mergedSecret = mergeSecretPackets(stored.packets, item.secretPackets);
          secretStored = mergedSecret.added;
          if (mergedSecret.added > 0) pendingSecret.set(fpr, mergedSecret.packets);
        }
      }
      const a = step.added;
      const changedPublic = a.userIds + a.subkeys + a.signatures + a.revocations > 0;
      const wasRepaired = repaired.has(fpr) && pendingPublic.has(fpr);
      results[position] = {
        fingerprint: fpr,
        // The same new key twice in one input is reported as new both times.
        status: !index.keys[fpr] ? 'new' : changedPublic || secretStored > 0 || wasRepaired ? 'updated' : 'unchanged',
        reason: secretRefused ?? (wasRepaired ? `the stored certificate file ${this.certPath(fpr)} was damaged and is repaired from this copy` : null),
        added: a,
        ...(secretStored > 0 ? { secretKeysStored: secretStored } : {}),
        // Never dropped silently: what failed verification is counted on the result.
        ...(step.invalidSignatures > 0 ? { notes: [invalidSignaturesNote(step.invalidSignatures)] } : {}),
      };
    }
  }

  /** Attaches detached revocations to the keys they revoke (stored, or merged in this batch). */
  private async applyRevocations(batch: ImportBatch, revocations: readonly IncomingRevocation[], signal: AbortSignal | undefined): Promise<(ImportResult | undefined)[]> {
    const { index, pendingPublic, advance } = batch;
    const currentParts = async (fpr: string): Promise<CertificateParts | undefined> => {
      const pending = pendingPublic.get(fpr);
      if (pending) return partsOf(pending.bytes);
      return index.keys[fpr] ? this.readStoredParts(fpr).catch((e: unknown) => (isDamage(e) ? undefined : Promise.reject(e))) : undefined;
    };
    const revocationResults: (ImportResult | undefined)[] = [];
    for (const rev of revocations) {
      if (signal?.aborted) break;
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
    return revocationResults;
  }

  /** Commits what changed and adds each result's user IDs from the new index. */
  private async finishImport(
    batch: ImportBatch,
    results: (ImportResult | undefined)[],
    revocationResults: (ImportResult | undefined)[],
  ): Promise<{ results: (ImportResult | undefined)[]; revocationResults: (ImportResult | undefined)[] }> {
    const { index, pendingPublic, pendingSecret } = batch;
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
          await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 }).catch((e: unknown) => {
            throw storageError(e, path.dirname(file));
          });
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
    await Promise.all([...dirs].map((d) => fsyncDir(d).catch((e: unknown) => Promise.reject(storageError(e, d)))));
    for (const fpr of touched) {
      const meta = index.keys[fpr]?.meta ?? {};
      const pending = pendingPublic.get(fpr);
      const bytes = pending?.bytes ?? (await fs.readFile(this.certPath(fpr)).catch(() => undefined));
      if (!bytes) continue;
      let summary = pending?.summary ?? index.keys[fpr]?.summary;
      if (!summary || (pending && !pending.summary)) {
        const parts = partsOf(bytes);
        if (!parts) continue;
        summary = await summarize(parts, { trustSelfSignatures: true, revokerKey: this.heldPrimary });
      }
      const secret = pendingSecret.has(fpr) ? { packets: pendingSecret.get(fpr)! } : await this.readSecretState(fpr);
      index.keys[fpr] = indexRecord(fpr, summary, bytes, secret, meta);
    }
    await writeFileAtomic(this.indexPath, JSON.stringify(index));
    await removeFile(this.journalPath);
  }
}

/** A key's index record from its certificate file's bytes and summary and its secret key file's state. */
function indexRecord(fpr: string, summary: KeySummary, bytes: Uint8Array, secret: { packets: RawPacket[]; damage?: KeyringError }, meta: Record<string, unknown>): KeyRecord {
  return {
    summary,
    // A damaged secret file still counts as secret material: delete must ask for --secret.
    hasSecret: secret.damage !== undefined || secret.packets.length > 0,
    secretPrimary: secretPrimaryState(secret.packets, fpr),
    hash: contentHash(bytes),
    meta,
  };
}

/** The note on a result whose input carried signatures that did not verify (or could not be read). */
function invalidSignaturesNote(count: number): string {
  return `${count === 1 ? '1 signature did not verify and was dropped' : `${count} signatures did not verify and were dropped`} (damaged, or not made by the key they claim); the components they alone vouched for were not imported`;
}
