import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { EventBus } from '../events.js';
import type { ImportPipeline } from '../import/pipeline.js';
import type { EmbeddedKeyring } from '../keyring/embedded.js';
import { ErrorCodes, KeyringError } from '../errors.js';
import type { ImportReport, KeyRecord, MetaUpdate } from '../keyring/types.js';
import type { KeySecretStates, KeyStore, KeyStoreChange, KeyStoreEntry, KeyStoreImportOptions, KeyStoreMetadata } from './contract.js';

function secretStatesOf(record: KeyRecord | undefined): KeySecretStates {
  // The embedded index keeps the primary's state only; per-subkey states are not indexed yet (ADR 0010, step 3).
  return { primary: record?.secretPrimary ?? 'absent', subkeys: {} };
}

/**
 * The embedded keyring seen through the {@link KeyStore} contract: the default store. Imports go
 * through the import pipeline, so the screening of every input applies as it does for the CLI.
 */
export class EmbeddedKeyStore implements KeyStore {
  readonly id = 'embedded';
  readonly metadata: KeyStoreMetadata;

  constructor(
    private readonly keyring: EmbeddedKeyring,
    private readonly importer: ImportPipeline,
    private readonly bus: EventBus,
  ) {
    this.metadata = {
      get: async (fingerprint) => (await keyring.get(fingerprint))?.meta ?? {},
      set: (fingerprint, namespace, value) => keyring.setMeta(fingerprint, namespace, value),
      setMany: (updates: readonly MetaUpdate[]) => keyring.setMetaMany(updates),
      // The keyring keeps meta inside the key's index record: deleting the key forgets it.
      forget: async () => {},
    };
  }

  get location(): string {
    return this.keyring.dir;
  }

  async list(): Promise<KeyStoreEntry[]> {
    return (await this.keyring.list()).map((record) => ({ summary: record.summary, secret: secretStatesOf(record) }));
  }

  async readCertificate(fingerprint: string): Promise<Uint8Array | undefined> {
    if (!(await this.keyring.get(fingerprint))) return undefined;
    return this.keyring.readPublic(fingerprint);
  }

  async secretState(fingerprint: string): Promise<KeySecretStates> {
    return secretStatesOf(await this.keyring.get(fingerprint));
  }

  importCertificates(data: Uint8Array, options: KeyStoreImportOptions): Promise<ImportReport> {
    // Key-server data loses third-party signatures, as the pipeline does for server answers.
    return this.importer.import(data, { origin: { kind: 'file', name: `${options.source} data` }, stripThirdParty: options.source === 'keyserver', signal: options.signal });
  }

  delete(fingerprint: string, options?: { secret?: boolean }): Promise<void> {
    return this.keyring.delete(fingerprint, options);
  }

  async stamp(): Promise<string> {
    try {
      const s = await stat(path.join(this.keyring.dir, 'index.json'));
      return `${s.size}:${s.mtimeMs}:${s.ino}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'empty';
      throw new KeyringError(ErrorCodes.StorageFailed, `cannot read the keyring index in ${this.keyring.dir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, {
        nextStep: 'check the permissions of the keyring folder',
      });
    }
  }

  onChange(listener: (change: KeyStoreChange) => void): () => void {
    const subscription = this.bus.on('keyring:changed', ({ fingerprints }) => {
      void this.stamp().then((stamp) => listener({ stamp, fingerprints }), () => undefined);
    });
    return () => subscription.dispose();
  }

  withLock<T>(work: () => Promise<T>): Promise<T> {
    return this.keyring.withLock(work);
  }
}
