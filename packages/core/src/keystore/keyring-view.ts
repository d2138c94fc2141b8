import { ErrorCodes, NotFoundError } from '../errors.js';
import { importIntoStore } from '../import/store-writer.js';
import { ImportPipeline } from '../import/pipeline.js';
import type { Settings } from '../settings.js';
import type { IncomingCertificate, IncomingRevocation } from '../keyring/embedded.js';
import type { ImportResult, KeyRecord, MetaUpdate } from '../keyring/types.js';
import { answerHeld } from '../openpgp/armor.js';
import type { CertificateParts } from '../openpgp/certificate.js';
import { partsOf } from '../keyring/files.js';
import type { KeyStore, KeyStoreEntry } from './contract.js';
import { findKeys, resolveKey } from './resolve.js';

/** A store entry as the keyring's record (the shape the import pipeline and publishing read). */
export function recordOfEntry(entry: KeyStoreEntry, meta: Record<string, unknown> = {}): KeyRecord {
  const { primary, subkeys } = entry.secret;
  return {
    summary: entry.summary,
    // A key on a card, like a stub, cannot certify here.
    secretPrimary: primary === 'card' ? 'stub' : primary,
    hasSecret: primary !== 'absent' || Object.values(subkeys).some((s) => s !== 'absent'),
    hash: '',
    meta,
  };
}

/**
 * The part of the embedded keyring's interface the import pipeline and publishing use, served by
 * any {@link KeyStore}: they then screen, merge, publish and sync on that store unchanged. Writes
 * go through the store's `importCertificates`; metadata through its `metadata`.
 */
export class StoreKeyringView {
  constructor(readonly store: KeyStore) {}

  private async withMeta(entry: KeyStoreEntry): Promise<KeyRecord> {
    return recordOfEntry(entry, await this.store.metadata.get(entry.summary.fingerprint));
  }

  async list(): Promise<KeyRecord[]> {
    return Promise.all((await this.store.list()).map((e) => this.withMeta(e)));
  }

  async get(fingerprint: string): Promise<KeyRecord | undefined> {
    const fpr = fingerprint.toUpperCase();
    const entry = (await this.store.list()).find((e) => e.summary.fingerprint === fpr);
    return entry ? this.withMeta(entry) : undefined;
  }

  async find(query: string): Promise<KeyRecord[]> {
    return Promise.all(findKeys(await this.store.list(), query).map((e) => this.withMeta(e)));
  }

  async resolve(query: string): Promise<KeyRecord> {
    return this.withMeta(await resolveKey(this.store, query));
  }

  async readPublic(fingerprint: string): Promise<Uint8Array> {
    const bytes = await this.store.readCertificate(fingerprint);
    if (!bytes) {
      throw new NotFoundError(ErrorCodes.KeyNotFound, `the ${this.store.id} store (${this.store.location}) holds no key ${fingerprint}`, {
        nextStep: 'run `keyport list` to see the keys you have',
      });
    }
    return bytes;
  }

  /** See {@link KeyStore.readAhead}. */
  readAhead(fingerprints: readonly string[]): void {
    this.store.readAhead?.(fingerprints);
  }

  async readStoredParts(fpr: string): Promise<CertificateParts | undefined> {
    const bytes = await this.store.readCertificate(fpr);
    return bytes ? partsOf(bytes) : undefined;
  }

  /** Does the store's copy hold every packet of `answer`? False whenever that is not certain. */
  async holds(fingerprint: string, answer: Uint8Array): Promise<boolean> {
    return answerHeld(await this.store.readCertificate(fingerprint).catch(() => undefined), answer);
  }

  setMeta(fingerprint: string, namespace: string, value: unknown): Promise<void> {
    return this.store.metadata.set(fingerprint, namespace, value);
  }

  setMetaMany(updates: readonly MetaUpdate[]): Promise<void> {
    return this.store.metadata.setMany(updates);
  }

  importCertificates(
    incoming: readonly IncomingCertificate[],
    revocations: readonly IncomingRevocation[],
    options: { signal?: AbortSignal } = {},
  ): Promise<{ results: (ImportResult | undefined)[]; revocationResults: (ImportResult | undefined)[] }> {
    return importIntoStore(this.store, incoming, revocations, options.signal);
  }
}

/** What the import pipeline reads and writes of a keyring. */
export type PipelineKeyring = Pick<StoreKeyringView, 'list' | 'get' | 'find' | 'readStoredParts' | 'importCertificates'>;
/** What publishing reads and writes of a keyring. */
export type PublishingKeyring = Pick<StoreKeyringView, 'list' | 'resolve' | 'readPublic' | 'readStoredParts' | 'setMeta' | 'setMetaMany' | 'holds'> & Partial<Pick<StoreKeyringView, 'readAhead'>>;

/**
 * An import pipeline whose screening reads `store` (what it holds, its keys as known issuers) and
 * whose accepted certificates go into `store` through its `importCertificates`.
 */
export function storeImporter(store: KeyStore, settings?: Settings): ImportPipeline {
  return new ImportPipeline(new StoreKeyringView(store), settings);
}
