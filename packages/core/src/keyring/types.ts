import type { FloodingReport } from '../openpgp/flood.js';
import type { KeySummary } from '../openpgp/summary.js';
import type { MergeCounts } from '../openpgp/certificate.js';

/** State of the primary secret key held locally. */
export type SecretPrimaryState =
  /** The primary secret key is here (encrypted or not). */
  | 'present'
  /** Only a stub (GnuPG gnu-dummy, offline primary) or a card reference: subkeys only. */
  | 'stub'
  /** No secret material at all. */
  | 'absent';

/** One key as the index holds it: enough to list, show and look up without parsing. */
export interface KeyRecord {
  summary: KeySummary;
  secretPrimary: SecretPrimaryState;
  /** Any secret key packet (primary or subkey) is stored. */
  hasSecret: boolean;
  /** SHA-256 of the stored public certificate file. */
  hash: string;
  /** Small per-key facts owned by plugins (publish status, session tokens), namespaced by plugin id. */
  meta: Record<string, unknown>;
}

/** One change to a key's meta: `meta[namespace] = value`. */
export interface MetaUpdate {
  fingerprint: string;
  namespace: string;
  value: unknown;
}

/** The key list filters (the TUI tabs and `list --filter`). */
export type KeyFilter = 'all' | 'expired' | 'revoked' | 'secret' | 'public';

/** What importing did to one certificate. */
export type ImportStatus = 'new' | 'updated' | 'unchanged' | 'rejected';

/** Per-certificate outcome of an import; the `--json` schema of `keyport import`. */
export interface ImportResult {
  fingerprint: string | null;
  status: ImportStatus;
  reason: string | null;
  added: MergeCounts;
  /** User IDs of the certificate, for display. */
  userIds?: string[];
  /** Secret key packets stored by this import (local sources only). */
  secretKeysStored?: number;
  /** What the user should know about an accepted certificate (parts skipped, how it was found). */
  notes?: string[];
  /**
   * Present when a user ID had more third-party certifications than
   * `import.maxCertificationsPerUserId` (a flooded key): how many certifications by keys not in
   * the keyring were dropped, on how many user IDs, under which limit.
   */
  flooding?: FloodingReport;
}

/** Counts of an import by status. */
export interface ImportSummary {
  new: number;
  updated: number;
  unchanged: number;
  rejected: number;
}

/** The result of an import: one result per certificate in input order, and a summary. */
export interface ImportReport {
  results: ImportResult[];
  summary: ImportSummary;
}

/**
 * The keyring contract. The embedded store is the default; other backends (GnuPG's own keyring)
 * implement the same interface.
 */
export interface Keyring {
  list(filter?: KeyFilter): Promise<KeyRecord[]>;
  get(fingerprint: string): Promise<KeyRecord | undefined>;
  /** Keys matching a fingerprint, a 16-hex key ID (primary or subkey) or an email address. */
  find(query: string): Promise<KeyRecord[]>;
  /** Exactly one key for `query`, or a NotFound / Ambiguous / invalid-ID error. */
  resolve(query: string): Promise<KeyRecord>;
  /** The binary public certificate (never secret material). */
  readPublic(fingerprint: string): Promise<Uint8Array>;
  delete(fingerprint: string, options?: { secret?: boolean }): Promise<void>;
  setMeta(fingerprint: string, namespace: string, value: unknown): Promise<void>;
  /** Several meta updates in one write; keys no longer in the keyring are skipped. */
  setMetaMany(updates: readonly MetaUpdate[]): Promise<void>;
  count(): Promise<number>;
}
