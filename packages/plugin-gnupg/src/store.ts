import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  ErrorCodes,
  InputError,
  NotFoundError,
  keyMaterial,
  readPackets,
  serializeCertificate,
  splitCertificates,
  summarizeResults,
  type CertificateParts,
  type ImportReport,
  type ImportResult,
  type KeySecretStates,
  type KeyStore,
  type KeyStoreChange,
  type KeyStoreEntry,
  type KeyStoreImportOptions,
  type MergeCounts,
} from '@keyport/core';
import { entriesOf, NO_SECRET, parseKeyListing, parseSecretListing } from './colons.js';
import { addsSomething, certificatesByFingerprint, packetsAdded } from './compare.js';
import { fileStamp, replaceFile } from './files.js';
import { checkGpgVersion, findGpgProgram, gpgFailed, lastStderrLine, resolveGnupgHome, runGpg, type GnupgLocationOptions } from './gpg.js';
import { withFileLock } from './lock.js';
import { JsonFileMetadata } from './metadata.js';
import { IMPORT_PROBLEMS, parseImportStatus } from './status.js';

/** Options of {@link GnupgKeyStore.open}. */
export interface GnupgStoreOptions extends GnupgLocationOptions {
  /** keyport's data folder (the embedded keyring's directory): the index cache and metadata go under it. */
  dataDir: string;
  /** How long to wait for gpg-agent or another program's keyring lock (ms). */
  lockTimeoutMs?: number;
}

/** The files whose change means the public keyring changed (keybox, legacy keyring, keyboxd's database) and the secret-key folder. */
const WATCHED = ['pubring.kbx', 'pubring.gpg', path.join('public-keys.d', 'pubring.db'), path.join('public-keys.d', 'pubring.db-wal'), 'private-keys-v1.d'];

/** Cleaning dirmngr applies to key-server answers (`gpg --recv-keys`, `--refresh-keys`). */
const KEYSERVER_IMPORT_OPTIONS = 'import-clean,self-sigs-only';

const LIST_ARGS = ['--with-colons', '--fixed-list-mode', '--with-fingerprint', '--with-fingerprint'];

/**
 * How many times a batch is given to gpg when keys of it were neither stored nor refused. Each
 * repeat waits a little longer (25 ms more each time, 0.7 s in all): users importing in a loop
 * next to a sync replaced pubring.kbx during three of keyport's gpg runs in a row.
 */
const IMPORT_ATTEMPTS = 8;

/** How many times an import reads the stored copy of a key the last listing showed. */
const KEYRING_READ_ATTEMPTS = 3;

const NONE: MergeCounts = { userIds: 0, subkeys: 0, signatures: 0, revocations: 0 };

interface CachedIndex {
  home: string;
  stamp: string;
  entries: KeyStoreEntry[];
}

/**
 * A key store over a GnuPG home. Reads through gpg (colon listings, `--export`), keeps a cached
 * index in keyport's data folder invalidated by the keyring files' size, mtime and inode, and
 * writes only through `gpg --import` and `gpg --delete-keys`: it never opens GnuPG's files for
 * writing and never touches secret keys, except to read their state.
 */
export class GnupgKeyStore implements KeyStore {
  readonly id = 'gnupg';
  readonly metadata: JsonFileMetadata;
  /** keyport's files for this GnuPG home: index cache, metadata, lock. */
  readonly stateDir: string;
  private readonly listeners = new Set<(change: KeyStoreChange) => void>();
  private memo: CachedIndex | undefined;

  private constructor(
    readonly home: string,
    readonly program: string,
    readonly gpgVersion: string,
    dataDir: string,
    private readonly lockTimeoutMs: number,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.stateDir = path.join(dataDir, 'stores', 'gnupg', createHash('sha256').update(home).digest('hex').slice(0, 16));
    this.metadata = new JsonFileMetadata(path.join(this.stateDir, 'meta.json'));
  }

  /** Finds the home and gpg, checks gpg's version; coded errors (KP1800-KP1802) when one is missing or too old. */
  static open(options: GnupgStoreOptions): GnupgKeyStore {
    const env = options.env ?? process.env;
    const home = resolveGnupgHome(options);
    const { program, version } = locateGpg(options, env);
    return new GnupgKeyStore(home, program, version, options.dataDir, options.lockTimeoutMs ?? 30_000, env);
  }

  get location(): string {
    return this.home;
  }

  private gpg(args: string[], input?: Uint8Array) {
    return runGpg(this.program, this.home, args, { input, env: this.env, lockTimeoutMs: this.lockTimeoutMs });
  }

  async stamp(): Promise<string> {
    const parts: string[] = [];
    for (const name of WATCHED) {
      const s = fileStamp(path.join(this.home, name));
      if (s) parts.push(`${name}:${s}`);
    }
    return parts.join('|');
  }

  private get indexFile() {
    return path.join(this.stateDir, 'index.json');
  }

  /** The cached index for `stamp`; with `undefined`, the last one cached whatever its stamp. */
  private readCache(stamp: string | undefined): CachedIndex | undefined {
    if (this.memo && (stamp === undefined || this.memo.stamp === stamp)) return this.memo;
    try {
      const cached = JSON.parse(readFileSync(this.indexFile, 'utf8')) as CachedIndex;
      if (cached.home === this.home && (stamp === undefined || cached.stamp === stamp) && Array.isArray(cached.entries)) return stamp === undefined ? cached : (this.memo = cached);
    } catch {}
    return undefined;
  }

  async list(): Promise<KeyStoreEntry[]> {
    // The stamp is taken before reading, so a change during the listing makes the next call re-read.
    const stamp = await this.stamp();
    const cached = this.readCache(stamp);
    if (cached) return cached.entries;
    // Callers that find the cache stale together (every answer of a sync chunk after an import)
    // share one listing of that keyring: a listing each started 16 pairs of gpg at once.
    if (this.listing?.stamp !== stamp) {
      const listing = { stamp, entries: this.listFromGpg(stamp) };
      this.listing = listing;
      const forget = () => {
        if (this.listing === listing) this.listing = undefined;
      };
      void listing.entries.then(forget, forget);
    }
    return this.listing!.entries;
  }

  private listing: { stamp: string; entries: Promise<KeyStoreEntry[]> } | undefined;

  private async listFromGpg(stamp: string): Promise<KeyStoreEntry[]> {
    const [pub, sec] = await Promise.all([this.gpg(['--list-keys', ...LIST_ARGS]), this.gpg(['--list-secret-keys', ...LIST_ARGS])]);
    // gpg exits 2 after a listing with a bad key in it; only a failed run that listed nothing is a failure.
    if (pub.status !== 0 && !/^(pub|tru):/m.test(pub.stdout.toString('latin1'))) throw gpgFailed('list the keys', pub);
    if (sec.status !== 0 && sec.stdout.length === 0) throw gpgFailed('list the secret keys', sec);
    const entries = entriesOf(parseKeyListing(pub.stdout.toString('latin1')), parseSecretListing(sec.stdout.toString('latin1')));
    const index: CachedIndex = { home: this.home, stamp, entries };
    this.memo = index;
    try {
      replaceFile(this.indexFile, JSON.stringify(index));
    } catch {}
    return entries;
  }

  /**
   * Reads asked for in the same turn of the event loop (a sync compares a whole chunk of
   * answers at once) share one `gpg --export`: a gpg start per key made a sync of 905 keys
   * slower than gpg --refresh-keys.
   */
  readCertificate(fingerprint: string): Promise<Uint8Array | undefined> {
    const fpr = checkFingerprint(fingerprint);
    let batch = this.readBatch;
    if (!batch) {
      const fingerprints = new Set<string>();
      const done = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        this.readBatch = undefined;
        return this.held([...fingerprints]);
      });
      batch = this.readBatch = { fingerprints, done };
    }
    batch.fingerprints.add(fpr);
    return batch.done.then((held) => {
      const parts = held.get(fpr);
      if (!parts) return undefined;
      // A sync reads each key twice (its digest, then the comparison with an answer): one serialisation.
      let bytes = this.serialized.get(parts);
      if (!bytes) this.serialized.set(parts, (bytes = serializeCertificate(parts)));
      return bytes;
    });
  }

  private readonly serialized = new WeakMap<CertificateParts, Uint8Array>();

  private readBatch: { fingerprints: Set<string>; done: Promise<Map<string, CertificateParts>> } | undefined;

  async secretState(fingerprint: string): Promise<KeySecretStates> {
    const fpr = checkFingerprint(fingerprint);
    return (await this.list()).find((e) => e.summary.fingerprint === fpr)?.secret ?? NO_SECRET;
  }

  /**
   * Certificates exported while the keyring files kept one {@link stamp}. A sync reads a chunk's
   * keys to compare the answers, then again when an answer goes to the import: while the stamp
   * is the same, that second read is this copy (a gpg start and a read of the whole keybox per
   * chunk saved). Any change to the keyring, by keyport or behind its back, changes the stamp.
   */
  private exported: { stamp: string; certificates: Map<string, CertificateParts> } | undefined;

  /** A read started by {@link readAhead}; reads wait for it rather than export the same keys again. */
  private readingAhead: Promise<void> | undefined;

  /**
   * Reads the certificates of `fingerprints` now, with one `gpg --export`, while the caller does
   * other work (a sync starts it as its look-ups go out); the reads that follow are answered from
   * that copy while the keyring keeps its stamp. One gpg start instead of one per chunk of keys.
   */
  readAhead(fingerprints: readonly string[]): void {
    const wanted = [...new Set(fingerprints.filter((f) => FINGERPRINT.test(f)))];
    if (wanted.length === 0) return;
    const previous = this.readingAhead;
    const reading: Promise<void> = (async () => {
      await previous;
      await this.exportHeld(wanted);
    })()
      .catch(() => undefined)
      .finally(() => {
        if (this.readingAhead === reading) this.readingAhead = undefined;
      });
    this.readingAhead = reading;
  }

  /** The certificates gpg holds for `fingerprints`, read with one `--export` (or none, see {@link exported}). */
  async held(fingerprints: readonly string[]): Promise<Map<string, CertificateParts>> {
    if (fingerprints.length === 0) return new Map();
    await this.readingAhead;
    return this.exportHeld(fingerprints);
  }

  private async exportHeld(fingerprints: readonly string[]): Promise<Map<string, CertificateParts>> {
    const stamp = await this.stamp();
    const known = this.exported?.stamp === stamp ? this.exported.certificates : undefined;
    const result = new Map<string, CertificateParts>();
    const unknown: string[] = [];
    for (const fpr of fingerprints) {
      const parts = known?.get(fpr);
      if (parts) result.set(fpr, parts);
      else unknown.push(fpr);
    }
    if (unknown.length === 0) return result;
    const run = await this.gpg(['--export', ...unknown]);
    if (run.status !== 0 && run.stdout.length === 0 && !/nothing exported/i.test(run.stderr)) throw gpgFailed('export keys', run);
    const read = certificatesByFingerprint(run.stdout);
    // Kept only when the keyring did not change while gpg read it: a read during another gpg's
    // rename can miss keys, and what it found may already be older than the keyring.
    if ((await this.stamp()) === stamp) {
      const kept = this.exported?.stamp === stamp ? this.exported.certificates : new Map<string, CertificateParts>();
      for (const [fpr, parts] of read) kept.set(fpr, parts);
      this.exported = { stamp, certificates: kept };
    }
    for (const [fpr, parts] of read) result.set(fpr, parts);
    return result;
  }

  /**
   * {@link held} for an import's "before" copies. An export that runs while another gpg replaces
   * pubring.kbx can miss a key the home holds (exit 0, nothing exported); a key the last listing
   * showed but the export missed is read again, a bounded number of times, so that the import
   * knows it is an update (merge-only) and reports what it added, not the whole key.
   */
  private async heldBefore(fingerprints: readonly string[]): Promise<Map<string, CertificateParts>> {
    const held = await this.held(fingerprints);
    const listed = new Set((this.memo ?? this.readCache(undefined))?.entries.map((e) => e.summary.fingerprint) ?? []);
    for (let attempt = 1; attempt < KEYRING_READ_ATTEMPTS; attempt++) {
      const missed = fingerprints.filter((fpr) => !held.has(fpr) && listed.has(fpr));
      if (missed.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 25 * attempt));
      for (const [fpr, parts] of await this.held(missed)) held.set(fpr, parts);
    }
    return held;
  }

  /**
   * What each certificate of `data` would add to the copy gpg holds, by packets, with one
   * `--export`; all-zero counts for a key gpg holds mean importing it is a no-op. Lets callers
   * (sync) skip gpg imports that would change nothing; {@link importCertificates} uses it too.
   */
  async changesOf(data: Uint8Array, source: KeyStoreImportOptions['source']): Promise<Map<string, { counts: MergeCounts; present: boolean }>> {
    const incoming = parseInput(data).filter((c) => c.secret === 0);
    const held = await this.held([...new Set(incoming.map((c) => c.fingerprint))]);
    const out = new Map<string, { counts: MergeCounts; present: boolean }>();
    for (const c of incoming) {
      const counts = packetsAdded(c.parts, held.get(c.fingerprint), { selfSigsOnly: source === 'keyserver' });
      const prior = out.get(c.fingerprint);
      if (!prior || addsSomething(counts)) out.set(c.fingerprint, { counts, present: held.has(c.fingerprint) });
    }
    return out;
  }

  async importCertificates(data: Uint8Array, options: KeyStoreImportOptions): Promise<ImportReport> {
    const incoming = parseInput(data);
    return this.withLock(async () => {
      options.signal?.throwIfAborted();
      const fingerprints = [...new Set(incoming.filter((c) => c.secret === 0).map((c) => c.fingerprint))];
      const selfSigsOnly = options.source === 'keyserver';
      const before = await this.heldBefore(fingerprints);
      const toImport = new Set<string>();
      for (const c of incoming) {
        if (c.secret === 0 && (!before.has(c.fingerprint) || addsSomething(packetsAdded(c.parts, before.get(c.fingerprint), { selfSigsOnly })))) toImport.add(c.fingerprint);
      }
      options.signal?.throwIfAborted();
      const status = new Map<string, { flags: number; problem?: number }>();
      let stderr = '';
      let after = new Map<string, CertificateParts>();
      let pending = new Set(toImport);
      // gpg 2.2 can drop keys of one of two imports that run at the same time in a home (the other
      // gpg says "General error", or reports fewer keys): keys gpg gave no status for and that are
      // not stored (or stored only in the older copy) are imported again, a bounded number of times.
      const args = ['--status-fd', '1'];
      // Key-server data records its server as gpg --recv-keys and --refresh-keys do (origin `ks`
      // and the URL, fields 19-20 of the colon listing); files keep gpg's default (no origin).
      const keyOrigin = options.source === 'keyserver' && options.origin ? gpgKeyServerOrigin(options.origin.url) : undefined;
      if (keyOrigin) args.push('--key-origin', `ks,${keyOrigin}`);
      const importOptions = selfSigsOnly ? [KEYSERVER_IMPORT_OPTIONS] : [];
      for (let attempt = 0; attempt < IMPORT_ATTEMPTS && pending.size > 0; attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 25 * attempt));
        // Keys the home holds go in with merge-only. gpg's import reads the stored copy without a
        // lock; when another gpg replaces pubring.kbx at that moment the read fails ("keydb_get_keyblock
        // failed: Value not found"), and gpg 2.2.40 then stores the update as a second copy of the
        // key, which gpg's own look-ups never use. merge-only makes gpg skip the key instead (no
        // status line), and the key is given to gpg again below.
        const groups = [
          { keys: [...pending].filter((fpr) => before.has(fpr)), options: [...importOptions, 'merge-only'] },
          { keys: [...pending].filter((fpr) => !before.has(fpr)), options: importOptions },
        ].filter((g) => g.keys.length > 0);
        let failedRun: Awaited<ReturnType<GnupgKeyStore['gpg']>> | undefined;
        let anyStatus = false;
        for (const group of groups) {
          const keys = new Set(group.keys);
          const bytes = Buffer.concat(incoming.filter((c) => keys.has(c.fingerprint)).map((c) => serializeCertificate(c.parts)));
          const run = await this.gpg([...args, ...(group.options.length ? ['--import-options', group.options.join(',')] : []), '--import'], bytes);
          stderr = run.stderr;
          const parsed = parseImportStatus(run.stdout.toString('latin1'));
          for (const line of parsed.lines) {
            if (!line.fingerprint) continue;
            const prior = status.get(line.fingerprint);
            if (line.kind === 'problem') status.set(line.fingerprint, { flags: prior?.flags ?? 0, problem: line.reason });
            else status.set(line.fingerprint, { flags: (prior?.flags ?? 0) | line.flags, problem: prior?.problem });
          }
          if (parsed.lines.length > 0 || parsed.totals) anyStatus = true;
          else if (run.status !== 0) failedRun = run;
        }
        if (failedRun && !anyStatus && attempt === IMPORT_ATTEMPTS - 1) throw gpgFailed('import the keys', failedRun);
        after = new Map([...after, ...(await this.held([...pending]))]);
        // A key gpg said nothing about was not processed (gpg reports unchanged keys too), even
        // if an older copy of it is stored: an update lost that way is given to gpg again.
        pending = new Set([...pending].filter((fpr) => (!status.has(fpr) || !after.has(fpr)) && !status.get(fpr)?.problem && incoming.some((c) => c.fingerprint === fpr && c.userIds.length > 0)));
      }
      const results: ImportResult[] = [];
      const reported = new Set<string>();
      for (const c of incoming) {
        if (reported.has(c.fingerprint)) continue;
        reported.add(c.fingerprint);
        const userIds = c.userIds;
        if (c.secret > 0) {
          results.push({ fingerprint: c.fingerprint, status: 'rejected', reason: 'holds secret key material: keyport does not write secret keys into GnuPG (import it with gpg --import)', added: { ...NONE }, userIds });
          continue;
        }
        if (!toImport.has(c.fingerprint)) {
          results.push({ fingerprint: c.fingerprint, status: 'unchanged', reason: null, added: { ...NONE }, userIds });
          continue;
        }
        const s = status.get(c.fingerprint);
        const stored = after.get(c.fingerprint);
        if (!s || !stored) {
          const why =
            s?.problem !== undefined
              ? (IMPORT_PROBLEMS[s.problem] ?? `problem ${s.problem}`)
              : c.userIds.length === 0
                ? 'no user ID: gpg does not import a certificate without one'
                : !s && before.has(c.fingerprint)
                  ? `gpg skipped it in each of ${IMPORT_ATTEMPTS} tries (it skips a key whose stored copy it cannot read, as while another program changes the keyring); the stored key is as it was: run it again when the other program is done`
                  : `gpg did not import it${lastLine(stderr)}`;
          results.push({ fingerprint: c.fingerprint, status: 'rejected', reason: why, added: { ...NONE }, userIds });
          continue;
        }
        const added = packetsAdded(stored, before.get(c.fingerprint));
        // gpg's status says whether it found the key stored: flag 1 is a new key.
        const state = s.flags & 1 ? 'new' : s.flags & 14 || addsSomething(added) ? 'updated' : 'unchanged';
        results.push({ fingerprint: c.fingerprint, status: state, reason: null, added: state === 'unchanged' ? { ...NONE } : added, userIds });
      }
      if (toImport.size > 0) this.changed([...toImport]);
      return { results, summary: summarizeResults(results) };
    });
  }

  async delete(fingerprint: string, options: { secret?: boolean } = {}): Promise<void> {
    const fpr = checkFingerprint(fingerprint);
    await this.withLock(async () => {
      const entry = (await this.list()).find((e) => e.summary.fingerprint === fpr);
      if (!entry) throw new NotFoundError(ErrorCodes.KeyNotFound, `GnuPG's keyring (${this.home}) holds no key ${fpr}`, { nextStep: 'run keyport list to see the keys' });
      if (entry.secret.primary !== 'absent' || Object.keys(entry.secret.subkeys).length > 0) {
        // Secret keys belong to gpg-agent; keyport never deletes them, even when asked to.
        throw new InputError(ErrorCodes.Usage, `${fpr} has secret key material in GnuPG${options.secret ? ', and keyport does not delete secret keys from GnuPG' : ''}`, {
          nextStep: `export a backup of the secret key first, then run gpg --delete-secret-and-public-keys ${fpr}`,
        });
      }
      const run = await this.gpg(['--yes', '--delete-keys', fpr]);
      if (run.status !== 0) throw gpgFailed(`delete ${fpr}`, run);
      await this.metadata.forget(fpr);
      this.changed([fpr]);
    });
  }

  onChange(listener: (change: KeyStoreChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(fingerprints: string[]): void {
    this.memo = undefined;
    this.exported = undefined;
    void this.stamp().then((stamp) => {
      for (const l of this.listeners) l({ stamp, fingerprints });
    });
  }

  withLock<T>(work: () => Promise<T>): Promise<T> {
    return withFileLock(path.join(this.stateDir, 'lock'), work, this.lockTimeoutMs);
  }
}

interface ProgramCache {
  key: string;
  program: string;
  version: string;
  stat: string;
}

/**
 * gpg's path and version, remembered in keyport's data folder while PATH, the setting and the
 * program file stay the same: running gpgconf and `gpg --version` on every start would cost
 * more than listing from the cached index.
 */
function locateGpg(options: GnupgStoreOptions, env: NodeJS.ProcessEnv): { program: string; version: string } {
  const file = path.join(options.dataDir, 'stores', 'gnupg', 'program.json');
  const key = JSON.stringify([options.program ?? null, env.PATH ?? '']);
  try {
    const cached = JSON.parse(readFileSync(file, 'utf8')) as ProgramCache;
    if (cached.key === key && path.isAbsolute(cached.program) && fileStamp(cached.program) === cached.stat) return cached;
  } catch {}
  const program = findGpgProgram(options);
  const version = checkGpgVersion(program, env);
  const stat = path.isAbsolute(program) ? fileStamp(program) : undefined;
  if (stat) {
    try {
      replaceFile(file, JSON.stringify({ key, program, version, stat } satisfies ProgramCache));
    } catch {}
  }
  return { program, version };
}

/** The port a key server's URL means when it names none (dirmngr's for hkp and hkps). */
const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443', 'hkp:': '11371', 'hkps:': '443' };

/**
 * A key server's URL as gpg records it in a key's origin: the host part dirmngr made of it
 * (`http` or `https`, the host, always a port; hkp://127.0.0.1:33275 is recorded as
 * http://127.0.0.1:33275). Other schemes are recorded as keyport has them.
 */
export function gpgKeyServerOrigin(server: string): string | undefined {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    return undefined;
  }
  const port = DEFAULT_PORTS[url.protocol];
  if (port === undefined) return url.href;
  const scheme = url.protocol === 'https:' || url.protocol === 'hkps:' ? 'https' : 'http';
  return `${scheme}://${url.hostname}:${url.port || port}`;
}

function lastLine(stderr: string): string {
  const line = lastStderrLine(stderr);
  return line ? ` (${line.replace(/^gpg: /, '')})` : '';
}

const FINGERPRINT = /^([0-9A-F]{40}|[0-9A-F]{64})$/;

function checkFingerprint(fingerprint: string): string {
  const fpr = fingerprint.replace(/\s+/g, '').replace(/^0x/i, '').toUpperCase();
  if (!FINGERPRINT.test(fpr)) {
    throw new InputError(ErrorCodes.KeyIdInvalid, `${fingerprint} is not a fingerprint`, { nextStep: 'give the key\'s full fingerprint (40 or 64 hex digits)' });
  }
  return fpr;
}

interface Incoming {
  fingerprint: string;
  parts: CertificateParts;
  secret: number;
  userIds: string[];
}

/** Splits binary OpenPGP data into certificates; bad data is a coded input error (KP1300/KP1302). */
function parseInput(data: Uint8Array): Incoming[] {
  let split;
  try {
    split = splitCertificates(readPackets(data));
  } catch (error) {
    throw new InputError(ErrorCodes.InputMalformed, `the data to import is not binary OpenPGP data: ${(error as Error).message}`, {
      cause: error,
      nextStep: 'give binary OpenPGP certificates (dearmor ASCII armor first)',
    });
  }
  if (split.certificates.length === 0) throw new InputError(ErrorCodes.InputEmpty, 'the data to import holds no certificate', { nextStep: 'check that the input is an OpenPGP public key' });
  const out: Incoming[] = [];
  for (const c of split.certificates) {
    let fingerprint: string;
    try {
      fingerprint = keyMaterial(c.parts.primary).fingerprint;
    } catch (error) {
      throw new InputError(ErrorCodes.InputMalformed, `a certificate cannot be read: ${(error as Error).message}`, { cause: error, nextStep: 'check the input' });
    }
    const secret = c.secretPackets.length + (c.parts.primary.tag === 5 ? 1 : 0) + c.parts.subkeys.filter((s) => s.packet.tag === 7).length;
    const userIds = c.parts.userIds.filter((u) => u.packet.tag === 13).map((u) => Buffer.from(u.packet.body).toString('utf8'));
    out.push({ fingerprint, parts: c.parts, secret, userIds });
  }
  return out;
}
