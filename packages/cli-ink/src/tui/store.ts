import { useEffect, useMemo, useState } from 'react';
import { storeImporter, type ImportPipeline, type KeyRecord, type KeyStore, type KeyStoreMetadata, type Keyport, type ServerCopiesDeps } from '@keyport/core';
import { listRecords, readPublicOf, serverCopies } from '../store.js';

/**
 * The key store the terminal UI works on, with everything its screens need of it: the same
 * helpers as the CLI's commands (listRecords, storeImporter, publishing.onStore, serverCopies),
 * so every screen behaves alike on the embedded keyring and on a GnuPG home.
 */
export interface TuiStore {
  /** As in `--store ID`. */
  readonly id: string;
  /** Where the store lives (a directory), for the header. */
  readonly location: string;
  /** Every key, sorted by fingerprint. */
  list(): Promise<KeyRecord[]>;
  /** The key as listed, with its plugins' metadata (publish record and status) when the listing has none. */
  withMeta(record: KeyRecord): Promise<KeyRecord>;
  /** Whether {@link TuiStore.list} already carries each key's metadata. */
  readonly listsMeta: boolean;
  /** The binary public certificate; KP1202 when the store no longer holds the key. */
  readPublic(fingerprint: string): Promise<Uint8Array>;
  /** Deletes a key as the user confirmed it, secret key included where the store allows that. */
  delete(fingerprint: string): Promise<void>;
  /** Whether {@link TuiStore.delete} can delete a key with secret parts (GnuPG leaves them to gpg). */
  readonly deletesSecretKeys: boolean;
  /** Imports of files: screened as the CLI's `import --file`, into this store. */
  readonly importer: Pick<ImportPipeline, 'import'>;
  /** Publish, verify, status and sync on this store. */
  readonly publishing: Keyport['publishing'];
  /** What a key server import goes into (`importFromServer`'s `into`); undefined: the embedded keyring. */
  readonly into: KeyStore | undefined;
  /** The per-server copy check, reading this store's keys. */
  readonly serverCopies: ServerCopiesDeps;
  /** Changes whenever the store may have changed, by anyone (see {@link KeyStore.stamp}). */
  stamp(): Promise<string>;
  /** Called after each change made through this process; returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
}

/** The terminal UI's view of `store` (kp.store: the embedded keyring, exactly as before). */
export function storeForTui(kp: Keyport, store: KeyStore): TuiStore {
  return store === kp.store ? embeddedStore(kp) : otherStore(kp, store);
}

/** The embedded keyring read directly: its index carries metadata and secret states, no extra work. */
function embeddedStore(kp: Keyport): TuiStore {
  return {
    id: kp.store.id,
    get location() {
      return kp.store.location;
    },
    list: () => kp.keyring.list('all'),
    withMeta: async (record) => record,
    listsMeta: true,
    readPublic: (fingerprint) => kp.keyring.readPublic(fingerprint),
    delete: (fingerprint) => kp.keyring.delete(fingerprint, { secret: true }),
    deletesSecretKeys: true,
    get importer() {
      return kp.importer;
    },
    get publishing() {
      return kp.publishing;
    },
    into: undefined,
    get serverCopies() {
      return serverCopies(kp);
    },
    stamp: () => kp.store.stamp(),
    onChange: (listener) => {
      const subscription = kp.bus.on('keyring:changed', listener);
      return () => subscription.dispose();
    },
  };
}

/**
 * Another store (GnuPG) through the key store contract. Metadata written by publishing (publish
 * records, status) changes no certificate, so the store does not signal it: the UI's view of the
 * store signals it itself, and the screens re-read.
 */
function otherStore(kp: Keyport, store: KeyStore): TuiStore {
  const listeners = new Set<() => void>();
  const told = <T>(work: Promise<T>) =>
    work.then((value) => {
      for (const l of listeners) l();
      return value;
    });
  const metadata: KeyStoreMetadata = {
    get: (fingerprint) => store.metadata.get(fingerprint),
    set: (fingerprint, namespace, value) => told(store.metadata.set(fingerprint, namespace, value)),
    setMany: (updates) => told(store.metadata.setMany(updates)),
    forget: (fingerprint) => told(store.metadata.forget(fingerprint)),
  };
  // The store as publishing and the importer see it: every method its own, metadata watched.
  const watched: KeyStore = {
    id: store.id,
    location: store.location,
    metadata,
    list: () => store.list(),
    readCertificate: (fingerprint) => store.readCertificate(fingerprint),
    secretState: (fingerprint) => store.secretState(fingerprint),
    importCertificates: (data, options) => store.importCertificates(data, options),
    delete: (fingerprint, options) => store.delete(fingerprint, options),
    stamp: () => store.stamp(),
    onChange: (listener) => store.onChange(listener),
    withLock: (work) => store.withLock(work),
  };
  let importer: ImportPipeline | undefined;
  let publishing: Keyport['publishing'] | undefined;
  return {
    id: store.id,
    location: store.location,
    // No metadata in the listing: reading it per key would cost a read of the metadata per key
    // before the first frame. Details and Publish ask for one key's (withMeta).
    list: () => listRecords(kp, store, 'all'),
    withMeta: async (record) => ({ ...record, meta: await store.metadata.get(record.summary.fingerprint) }),
    listsMeta: false,
    readPublic: (fingerprint) => readPublicOf(store, fingerprint, 'press r to read the keyring again'),
    // A key with secret parts is refused by a store that leaves secret keys to their own tool (GnuPG), naming its command.
    delete: (fingerprint) => store.delete(fingerprint, { secret: true }),
    // The contract lets a store refuse secret keys even when asked (GnuPG does); the UI says so up front.
    deletesSecretKeys: false,
    // Made when a screen first needs them: nothing but the listing lies before the first frame.
    get importer() {
      return (importer ??= storeImporter(watched, kp.settings));
    },
    get publishing() {
      return (publishing ??= kp.publishing.onStore(watched));
    },
    into: watched,
    get serverCopies() {
      return serverCopies(kp, store);
    },
    stamp: () => store.stamp(),
    onChange: (listener) => {
      listeners.add(listener);
      const off = store.onChange(() => listener());
      return () => {
        listeners.delete(listener);
        off();
      };
    },
  };
}

/**
 * The key `fingerprint` as `keys` lists it, with its metadata: as listed when the listing carries
 * metadata (embedded), else read for this key after each new listing of it.
 */
export function useRecordWithMeta(store: TuiStore, keys: readonly KeyRecord[], fingerprint: string): KeyRecord | undefined {
  const listed = keys.find((k) => k.summary.fingerprint === fingerprint);
  const [withMeta, setWithMeta] = useState<{ from: KeyRecord; record: KeyRecord } | null>(null);
  useEffect(() => {
    if (store.listsMeta || !listed) return;
    let current = true;
    store.withMeta(listed).then(
      (record) => current && setWithMeta({ from: listed, record }),
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, [store, listed]);
  // Until this listing's metadata is read, the previous reading's metadata (or none); one object per
  // listing and reading, so the screen's memos hold between renders.
  return useMemo(() => {
    if (store.listsMeta || !listed) return listed;
    return withMeta?.from === listed ? withMeta.record : { ...listed, meta: withMeta?.record.meta ?? {} };
  }, [store, listed, withMeta]);
}
