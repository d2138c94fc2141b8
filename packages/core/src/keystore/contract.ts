import type { KeySummary } from '../openpgp/summary.js';
import type { ImportReport, MetaUpdate } from '../keyring/types.js';

/**
 * Where the secret half of one key (primary or subkey) is, as the store knows it. GnuPG's
 * `--list-secret-keys` markers map one to one: `sec` present, `sec#` stub, `sec>` card.
 */
export type KeySecretState =
  /** The secret key is held by the store (or its agent), encrypted or not. */
  | 'present'
  /** Only an offline stub (GnuPG's gnu-dummy S2K, `sec#`): the key is kept elsewhere. */
  | 'stub'
  /** A reference to a smartcard (`sec>`): signing needs the card. */
  | 'card'
  /** No secret material at all. */
  | 'absent';

/** The secret state of a key: its primary and each subkey by fingerprint. */
export interface KeySecretStates {
  primary: KeySecretState;
  /** Subkey fingerprint (upper-case hex) to state; subkeys with no secret part may be left out. */
  subkeys: Record<string, KeySecretState>;
}

/** One key as a store lists it: enough for `list` and `show` without reading the certificate. */
export interface KeyStoreEntry {
  summary: KeySummary;
  secret: KeySecretStates;
}

/**
 * Where the certificates being imported come from. A store cleans key-server data the way its
 * native tools would (GnuPG: `import-clean,self-sigs-only`, as dirmngr does) and keeps local
 * files as they are.
 */
export type KeyStoreImportSource = 'local' | 'keyserver';

/** Options of {@link KeyStore.importCertificates}. */
export interface KeyStoreImportOptions {
  source: KeyStoreImportSource;
  /**
   * The key server the data came from (its URL as keyport's server list has it), for key-server
   * data only: not for files, nor for key sources such as WKD. A store that records where keys
   * came from records it (GnuPG: `--key-origin ks,URL`, fields 19 and 20 of its colon listing,
   * as `gpg --refresh-keys` leaves them); others may ignore it.
   */
  origin?: { url: string };
  /** Aborts the import before it starts writing; a write under way is not interrupted. */
  signal?: AbortSignal;
}

/** A change to a store, as {@link KeyStore.onChange} reports it. */
export interface KeyStoreChange {
  /** The store's new {@link KeyStore.stamp}. */
  stamp: string;
  /** Keys known to have changed, when the store knows; absent after an outside change. */
  fingerprints?: string[];
}

/**
 * Per-key facts owned by plugins (publish status, VKS tokens, sync digests), kept by keyport
 * next to a store, keyed by the store's identity and the key's fingerprint, namespaced by plugin
 * id. A store whose format cannot hold them (GnuPG, pgp.cert.d) keeps them in keyport's data folder.
 */
export interface KeyStoreMetadata {
  /** All namespaces of one key; an empty object when there are none. */
  get(fingerprint: string): Promise<Record<string, unknown>>;
  /** Sets `meta[namespace] = value` for one key; `undefined` removes the namespace. */
  set(fingerprint: string, namespace: string, value: unknown): Promise<void>;
  /** Several updates in one write. */
  setMany(updates: readonly MetaUpdate[]): Promise<void>;
  /** Forgets every namespace of one key (after it is deleted from the store). */
  forget(fingerprint: string): Promise<void>;
}

/**
 * A key store: where keyport reads and writes the user's certificates. The embedded keyring is
 * the default implementation; plugins add others (GnuPG's keyring). Fingerprints are upper-case
 * hex. Implementations never return secret key material: {@link KeyStore.readCertificate} gives
 * the public certificate only, and secret keys are visible only as {@link KeySecretStates}.
 */
export interface KeyStore {
  /** Short id, as in `--store ID` (`embedded`, `gnupg`). */
  readonly id: string;
  /** Where the store lives, for the user (a directory). */
  readonly location: string;
  /** Every key with its summary and secret state. Must stay fast: implementations cache. */
  list(): Promise<KeyStoreEntry[]>;
  /** The binary public certificate of one key, or `undefined` when the store does not hold it. */
  readCertificate(fingerprint: string): Promise<Uint8Array | undefined>;
  /**
   * Optional hint: the certificates of these keys will be read soon (a sync compares every
   * key's server answer with the stored copy). A store whose reads cost a fixed amount per call
   * (GnuPG starts gpg for each) may read them all now, in the background; later reads must still
   * return what the store holds at that time. Stores that read cheaply per key leave it out.
   */
  readAhead?(fingerprints: readonly string[]): void;
  /** The secret state of one key (all `absent` for a key the store does not hold). */
  secretState(fingerprint: string): Promise<KeySecretStates>;
  /**
   * Imports or merges binary OpenPGP certificates; one result per certificate in input order,
   * in keyport's usual report. Secret key material in the input is refused or ignored, never stored.
   */
  importCertificates(data: Uint8Array, options: KeyStoreImportOptions): Promise<ImportReport>;
  /**
   * Deletes one key (KP1202 when the store does not hold it). A key with secret parts is refused
   * (KP1002) unless `secret` is set; a store that never touches secret keys (GnuPG) refuses it
   * even then, naming the native command.
   */
  delete(fingerprint: string, options?: { secret?: boolean }): Promise<void>;
  /** Plugins' per-key metadata for this store. */
  readonly metadata: KeyStoreMetadata;
  /**
   * A value that changes whenever the store's content may have changed, by keyport or anyone
   * else (file size, mtime and inode of the store's files). Equal stamps mean an unchanged store.
   */
  stamp(): Promise<string>;
  /** Called after each change keyport makes through this store; returns the unsubscribe function. */
  onChange(listener: (change: KeyStoreChange) => void): () => void;
  /**
   * Runs `work` holding the store's own write lock, so that keyport's read-compare-write steps
   * (a sync batch) do not interleave with another keyport process. Other tools (gpg) keep their
   * own locks; the store's writes stay correct under them.
   */
  withLock<T>(work: () => Promise<T>): Promise<T>;
}
