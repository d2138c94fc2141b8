import { createHash } from 'node:crypto';
import { ErrorCodes, InputError, KeyportError, toKeyportError, type ErrorCode } from '../errors.js';
import type { EventBus } from '../events.js';
import { serverImportOptions, summarizeResults, type ImportPipeline } from '../import/pipeline.js';
import { rejected } from '../import/candidates.js';
import { sumAdded } from '../import/merge-results.js';
import { StoreKeyringView, storeImporter, type PublishingKeyring } from '../keystore/keyring-view.js';
import type { KeyStore } from '../keystore/contract.js';
import type { ImportReport, ImportResult, KeyRecord, MetaUpdate } from '../keyring/types.js';
import { armorPublicKey } from '../openpgp/armor.js';
import { contentHash } from '../openpgp/certificate.js';
import { publicCertificateComplete } from '../openpgp/publishable.js';
import { classifyKeyQuery } from '../keyring/query.js';
import type { AddressStatus, ProtocolEngine, PublishStatus } from '../plugins/api.js';
import type { EngineRegistry } from '../plugins/registry.js';
import type { KeySourceRegistry, UiContributions } from '../plugins/contributions.js';
import type { Settings } from '../settings.js';
import { serverHref, type RoutedOperation, type RoutingRegistry } from './routing.js';

/** Stored with the key under meta.publish. */
export interface PublishRecord {
  server: string;
  protocol: string;
  publishedAt: string;
  token?: string;
  tokenAt?: string;
  addresses: Record<string, AddressStatus>;
}

/** Stored with the key under meta.publishStatus. */
export interface StatusRecord extends PublishStatus {
  server: string;
  checkedAt: string;
}

/** What `publish` and `verify` did: the server, and the state of each address. */
export interface PublishReport {
  fingerprint: string;
  server: string;
  protocol: string;
  addresses: Record<string, AddressStatus>;
  /** Addresses a verification mail was requested for in this run. */
  verificationRequested: string[];
  firstPublication: boolean;
}

/** Statuses of a sync result (the import statuses plus not-found, skipped, failed). */
export type SyncStatus = ImportResult['status'] | 'not-found' | 'skipped' | 'failed';
/**
 * One key's sync result: the import result, or not-found, skipped or failed with the reason; a
 * failed one also carries the error's code and next step (keys that failed alike are reported
 * together).
 */
export type SyncResult = Omit<ImportResult, 'status'> & { status: SyncStatus; code?: ErrorCode; nextStep?: string };

/** What `sync` did: one result per key, a summary, and whether it was cancelled. */
export interface SyncReport {
  server: string;
  protocol: string;
  results: SyncResult[];
  summary: Record<SyncStatus, number>;
  cancelled: boolean;
}

const SYNC_CHUNK = 64;
const NONE = { userIds: 0, subkeys: 0, signatures: 0, revocations: 0 };
/**
 * Part of every answer digest: bump it when the merge or screening rules change what an answer
 * contributes, so answers remembered under the old rules are processed again.
 */
const ANSWER_RULES_VERSION = 2;

/**
 * Stored with the key under meta.syncAnswers: the digest of the last answer each origin (the
 * sync server, or `source:<id>`) gave for it, and under `@stored` the digest of the local copy
 * those answers were compared with.
 */
export type SyncAnswerDigests = Record<string, string>;

/**
 * The entry of {@link SyncAnswerDigests} naming the local copy. A remembered answer is skipped
 * only while the store still holds that copy: a GnuPG keyring can be changed behind keyport's
 * back (an older copy imported again), and the answer then has something to add once more.
 */
const STORED_COPY = '@stored';

export interface PublishingDeps {
  settings: Settings;
  engines: EngineRegistry;
  routing: RoutingRegistry;
  keyring: PublishingKeyring;
  /** The run's key store: the secret-key guard asks it, so GnuPG's `sec`/`sec#`/`sec>` count as the embedded states do. */
  store: KeyStore;
  importer: ImportPipeline;
  bus: EventBus;
  ui: UiContributions;
  sources: KeySourceRegistry;
  defaultServer: () => string;
  /** A named server's upload engine by its stored protocol (ADR 0008), for `publish --to`; throws a coded refusal. */
  uploadEngine?: (server: string) => { url: URL; engine: ProtocolEngine };
  /** A loaded module that declares it routes `operation` (named when it is needed but off). */
  routerOf?: (operation: RoutedOperation) => { id: string; name: string } | undefined;
}

/**
 * Publish, verify, publish status and sync: the operations whose server is chosen by a routing
 * policy a plugin contributed or, without one, the default key server over its
 * engine (HKP).
 */
export class Publishing {
  constructor(private readonly deps: PublishingDeps) {}

  /**
   * The same operations on another key store: keys are read from it, server answers screened by
   * the import pipeline as usual and merged into it, and per-key metadata (publish records,
   * tokens, sync digests) kept in its metadata. The secret-key guard reads its secret states.
   */
  onStore(store: KeyStore): Publishing {
    const keyring = new StoreKeyringView(store);
    return new Publishing({ ...this.deps, store, keyring, importer: storeImporter(store, this.deps.settings) });
  }

  /** The server, engine and protocol an operation goes to now. */
  target(operation: RoutedOperation, verb: keyof ProtocolEngine): { server: URL; engine: ProtocolEngine; viaPolicy: boolean; reason: string } {
    const routed = this.deps.routing.route(operation);
    if (routed) {
      const engine = this.deps.engines.find(routed.server, verb, routed.engineId);
      if (engine) return { server: routed.server, engine, viaPolicy: true, reason: routed.reason };
    }
    const server = new URL(this.deps.defaultServer());
    const engine = this.deps.engines.find(server, verb);
    if (!engine) {
      if (operation === 'status') {
        const router = this.deps.routerOf?.('status');
        throw new KeyportError(ErrorCodes.ModuleRequired, `publish status needs ${router ? `the ${router.name} module` : 'a module'} (a verifying key server)`, {
          nextStep: router ? `enable it with \`keyport modules enable ${router.id}\`` : 'enable a module that provides it (`keyport modules list`)',
        });
      }
      throw new KeyportError(ErrorCodes.NoEngine, `no enabled module can ${operation} on ${server.href}`, { nextStep: 'enable a key server module (`keyport modules list`)' });
    }
    return { server, engine, viaPolicy: false, reason: 'the default key server' };
  }

  /** A server the user named for one run (`sync --server URL`): its own protocol, no routing. */
  private explicitTarget(serverUrl: string, verb: keyof ProtocolEngine): { server: URL; engine: ProtocolEngine; viaPolicy: boolean; reason: string } {
    let server: URL;
    try {
      server = new URL(serverUrl);
    } catch {
      throw new InputError(ErrorCodes.KeyserverUrlInvalid, `"${serverUrl}" is not a key server URL`, { nextStep: 'give a URL such as hkps://keys.example.org or https://keys.openpgp.org' });
    }
    const engine = this.deps.engines.find(server, verb);
    if (!engine) throw new KeyportError(ErrorCodes.NoEngine, `no enabled module can look keys up on ${server.href}`, { nextStep: 'add the server with `keyport servers add URL` to have its protocol found, or enable its module (`keyport modules list`)' });
    return { server, engine, viaPolicy: false, reason: 'the server named for this run' };
  }

  /** Where a publish goes: the named server (`publish --to`, with its own protocol) or the routed one. */
  private publishTarget(server: string | undefined): { server: URL; engine: ProtocolEngine } {
    if (server === undefined) return this.target('publish', 'upload');
    if (this.deps.uploadEngine) {
      const { url, engine } = this.deps.uploadEngine(server);
      return { server: url, engine };
    }
    return this.explicitTarget(server, 'upload');
  }

  /**
   * What publishing would do, for confirmations: where, how, whether for the first time, and the
   * warnings the user must accept (core's permanence warning and the plugins' confirmations).
   */
  async plan(id: string, options: { server?: string; allowOfflinePrimary?: boolean } = {}): Promise<{ record: KeyRecord; server: string; protocol: string; verifying: boolean; firstPublication: boolean; warnings: string[] }> {
    const record = await this.publishable(id, options.allowOfflinePrimary);
    const t = this.publishTarget(options.server);
    const server = serverHref(t.server);
    const firstPublication = !record.meta.publish;
    const warnings = this.deps.ui.confirmationsFor('publish', { server, engineId: t.engine.id }).map((c) => c.message);
    if (firstPublication) warnings.push(`publishing ${record.summary.fingerprint} is permanent: key servers do not delete keys`);
    return { record, server, protocol: t.engine.id, verifying: typeof t.engine.requestVerification === 'function', firstPublication, warnings };
  }

  private async publishable(id: string, allowOfflinePrimary = false): Promise<KeyRecord> {
    const record = await this.deps.keyring.resolve(id);
    const { primary } = await this.deps.store.secretState(record.summary.fingerprint);
    if (primary === 'stub' && allowOfflinePrimary) {
      await this.assertPublishableAsIs(record.summary.fingerprint);
      return record;
    }
    // A card-held primary can still certify: the key is the user's.
    if (primary !== 'present' && primary !== 'card') {
      throw new KeyportError(
        ErrorCodes.PublishNotAllowed,
        primary === 'stub'
          ? `the primary secret key of ${record.summary.fingerprint} is offline (a stub) here`
          : `${record.summary.fingerprint} is not your key: its primary secret key is not here`,
        {
          nextStep:
            primary === 'stub'
              ? 'publish from the machine that holds the primary secret key, or add --allow-offline-primary to publish the certificate as it is here'
              : 'publish from the machine that holds the primary secret key; to refresh someone else\'s key use `keyport sync`',
        },
      );
    }
    return record;
  }

  /**
   * With the primary secret key offline nothing can be re-signed here: the certificate is
   * published only when every user ID and subkey it carries has a valid self-signature.
   */
  private async assertPublishableAsIs(fpr: string): Promise<void> {
    const parts = await this.deps.keyring.readStoredParts(fpr);
    const check = parts ? await publicCertificateComplete(parts) : { complete: false, incomplete: [] };
    if (check.complete) return;
    const what = check.incomplete.map((c) => `${c.component === 'userId' ? 'user ID' : 'subkey'} ${c.name}: ${c.reason}`).join('; ');
    throw new KeyportError(ErrorCodes.PublishNotAllowed, `the public certificate of ${fpr} is incomplete${what ? ` (${what})` : ''}, and its primary secret key is offline here`, {
      nextStep: 'renew the self-signatures on the machine that holds the primary secret key, import the key here, then publish',
    });
  }

  /**
   * Uploads the public part of a key you own and requests verification mails for the chosen
   * addresses (`'unpublished'`: every address not yet published; `'none'`; or a list). With
   * `server`, it goes to that server over its own protocol instead of the routed one. With
   * `allowOfflinePrimary`, a key whose primary secret is an offline stub is published when its
   * public certificate is complete (publicCertificateComplete).
   */
  async publish(id: string, options: { verify: 'unpublished' | 'none' | string[]; locale?: string[]; signal?: AbortSignal; server?: string; allowOfflinePrimary?: boolean }): Promise<PublishReport> {
    const record = await this.publishable(id, options.allowOfflinePrimary);
    const fpr = record.summary.fingerprint;
    const t = this.publishTarget(options.server);
    // The public certificate file: secret material lives elsewhere and is never read here.
    const armored = armorPublicKey(await this.deps.keyring.readPublic(fpr));
    const outcome = await t.engine.upload!(t.server, armored, { signal: options.signal });
    if (!outcome.accepted.includes(fpr)) {
      throw new KeyportError(ErrorCodes.HttpStatus, `${t.server.host} did not accept ${fpr}: ${outcome.failed.map((f) => f.reason).join('; ') || outcome.message}`, {
        nextStep: 'try again later or another server',
      });
    }
    let addresses = outcome.addresses ?? {};
    const requested: string[] = [];
    if (outcome.token && t.engine.requestVerification && options.verify !== 'none') {
      const wanted = options.verify === 'unpublished' ? Object.keys(addresses).filter((a) => addresses[a] === 'unpublished') : options.verify.map((a) => a.toLowerCase());
      const unknown = wanted.filter((a) => !(a in addresses));
      if (unknown.length) throw notAddressesOf(fpr, unknown, Object.keys(addresses));
      if (wanted.length) {
        const answer = await t.engine.requestVerification(t.server, { token: outcome.token, addresses: wanted, locale: options.locale }, { signal: options.signal });
        if ('sessionExpired' in answer) {
          throw new KeyportError(ErrorCodes.HttpStatus, `${t.server.host} says the session of the upload it just accepted has expired`, { nextStep: 'try again later or another server' });
        }
        addresses = answer.addresses;
        requested.push(...wanted);
      }
    }
    const publishRecord: PublishRecord = {
      server: serverHref(t.server),
      protocol: t.engine.id,
      publishedAt: new Date().toISOString(),
      ...(outcome.token ? { token: outcome.token, tokenAt: new Date().toISOString() } : {}),
      addresses,
    };
    await this.deps.keyring.setMeta(fpr, 'publish', publishRecord);
    return { fingerprint: fpr, server: publishRecord.server, protocol: t.engine.id, addresses, verificationRequested: requested, firstPublication: !record.meta.publish };
  }

  /** Asks again for verification mails; re-uploads first when the stored session has expired. */
  async verify(id: string, emails: string[], options: { locale?: string[]; signal?: AbortSignal } = {}): Promise<PublishReport> {
    const record = await this.publishable(id);
    // Refused here, before any request: a server may silently ignore an address it does not know.
    const own = [...new Set(record.summary.userIds.flatMap((u) => (u.email ? [u.email.toLowerCase()] : [])))];
    const unknown = emails.filter((e) => !own.includes(e.toLowerCase()));
    if (unknown.length) throw notAddressesOf(record.summary.fingerprint, unknown, own);
    const t = this.target('publish', 'upload');
    if (!t.engine.requestVerification) {
      throw new KeyportError(ErrorCodes.VerificationUnavailable, `${t.server.host} (${t.engine.label}) does not verify email addresses`, {
        nextStep: 'enable a module whose key server verifies email addresses (`keyport modules list`)',
      });
    }
    const stored = record.meta.publish as PublishRecord | undefined;
    // The engine says how long its sessions live; without a lifetime a stored session is not reused.
    const lifetime = t.engine.sessionLifetimeMs ?? 0;
    const fresh = stored?.token && stored.tokenAt && stored.server === serverHref(t.server) && Date.now() - Date.parse(stored.tokenAt) < lifetime;
    if (fresh) {
      const answer = await t.engine.requestVerification(t.server, { token: stored.token!, addresses: emails.map((e) => e.toLowerCase()), locale: options.locale }, { signal: options.signal });
      // An expired or unknown session (the engine's typed answer): upload again for a new one.
      if (!('sessionExpired' in answer)) {
        await this.deps.keyring.setMeta(record.summary.fingerprint, 'publish', { ...stored, addresses: answer.addresses });
        return { fingerprint: record.summary.fingerprint, server: stored.server, protocol: t.engine.id, addresses: answer.addresses, verificationRequested: emails, firstPublication: false };
      }
    }
    return this.publish(id, { verify: emails, locale: options.locale, signal: options.signal });
  }

  /** Publish status of each key, stored with it. */
  async status(ids: string[], options: { signal?: AbortSignal } = {}): Promise<(StatusRecord & { fingerprint: string })[]> {
    const t = this.target('status', 'publishStatus');
    const out: (StatusRecord & { fingerprint: string })[] = [];
    for (const id of ids) {
      const record = await this.deps.keyring.resolve(id);
      const status = await t.engine.publishStatus!(t.server, record.summary.fingerprint, { signal: options.signal });
      const stored: StatusRecord = { ...status, server: serverHref(t.server), checkedAt: new Date().toISOString() };
      await this.deps.keyring.setMeta(record.summary.fingerprint, 'publishStatus', stored);
      out.push({ fingerprint: record.summary.fingerprint, ...stored });
    }
    return out;
  }

  /**
   * Refreshes local public keys from the sync target, and keys that came from a key source
   * (WKD) from that source as well. Keys whose secret key is here are skipped unless
   * `includeOwn`. Fetches run concurrently (the transport bounds them per host) and are
   * committed in chunks, so cancelling keeps what finished. With `server`, that server (with its
   * own protocol) is asked instead of the routed target, for this call only.
   */
  async sync(ids: string[] | 'all', options: { includeOwn?: boolean; signal?: AbortSignal; server?: string } = {}): Promise<SyncReport> {
    const t = options.server === undefined ? this.target('sync', 'lookup') : this.explicitTarget(options.server, 'lookup');
    const unique = await this.syncCandidates(ids);
    const tally = new SyncTally(unique.length, (p) => this.deps.bus.progress({ operation: 'sync', ...p }));
    const todo: KeyRecord[] = [];
    for (const r of unique) {
      if (r.hasSecret && !options.includeOwn) {
        tally.add({ fingerprint: r.summary.fingerprint, status: 'skipped', reason: 'you own this key: publish it instead', added: { ...NONE } });
        tally.done++;
      } else todo.push(r);
    }
    tally.progress();
    let cancelled = false;
    const server = serverHref(t.server);
    const strip = this.deps.settings.get<boolean>('import.stripThirdPartyFromServers');
    // An answer identical to the one already merged cannot add anything (the merge is a packet
    // union and the keyring never drops packets), so it is recognised by its digest and neither
    // parsed nor verified again: re-syncing unchanged keys costs little more than the download.
    const remembered: MetaUpdate[] = [];
    const digestOf = (bytes: Uint8Array) => createHash('sha256').update(`${ANSWER_RULES_VERSION}:${strip}:`).update(bytes).digest('base64');
    // Every look-up starts now (the transport keeps `perHostConcurrency` in flight); chunks are
    // imported as they complete, so fetching and merging overlap.
    // Each answer is compared with the stored copy: a store that reads in batches reads them now.
    this.deps.keyring.readAhead?.(todo.map((r) => r.summary.fingerprint));
    const lookups = todo.map(async (r) => {
      try {
        return await this.fetchAnswers(r, { target: t, digestOf, signal: options.signal });
      } finally {
        tally.done++;
        tally.progress();
      }
    });
    for (let i = 0; i < todo.length; i += SYNC_CHUNK) {
      if (options.signal?.aborted) {
        cancelled = true;
        break;
      }
      const fetched = await Promise.all(lookups.slice(i, i + SYNC_CHUNK));
      const reportOf = await this.importAnswers(fetched);
      for (const f of fetched) {
        const { result, digests } = resultOf(f, reportOf, t.server.host);
        if (digests) remembered.push({ fingerprint: f.fpr, namespace: 'syncAnswers', value: digests });
        tally.add(result);
        if (f.error?.code === ErrorCodes.Cancelled) cancelled = true;
      }
      tally.progress();
    }
    // Losing these (a crash here) only costs a full merge next time.
    await this.deps.keyring.setMetaMany(remembered);
    return { server, protocol: t.engine.id, results: tally.results, summary: tally.summary, cancelled };
  }

  /** The keys a sync asks about, each once. */
  private async syncCandidates(ids: string[] | 'all'): Promise<KeyRecord[]> {
    const records = ids === 'all' ? await this.deps.keyring.list() : await Promise.all(ids.map((i) => this.deps.keyring.resolve(i)));
    return [...new Map(records.map((r) => [r.summary.fingerprint, r])).values()];
  }

  /** Asks the sync target, and every key source the key came from, for one key. */
  private async fetchAnswers(
    record: KeyRecord,
    how: { target: { server: URL; engine: ProtocolEngine }; digestOf: (bytes: Uint8Array) => string; signal?: AbortSignal },
  ): Promise<Fetched> {
    const { target: t, digestOf, signal } = how;
    const fpr = record.summary.fingerprint;
    const query = { kind: 'fingerprint' as const, value: fpr };
    const remembers = (record.meta.syncAnswers ?? {}) as SyncAnswerDigests;
    const asks: { origin: string; run: () => Promise<{ bytes: Uint8Array; url: URL } | null> }[] = [
      {
        origin: serverHref(t.server),
        run: async () => {
          const bytes = await t.engine.lookup!(t.server, query, { signal });
          return bytes ? { bytes, url: t.server } : null;
        },
      },
    ];
    // Keys a key source brought in are refreshed from it too, with the query that found them.
    for (const source of this.deps.sources.all()) {
      const from = record.meta[`source:${source.id}`] as { query?: string } | undefined;
      if (!from?.query) continue;
      const q = classifyKeyQuery(from.query);
      if (!source.handles(q)) continue;
      asks.push({
        origin: `source:${source.id}`,
        run: async () => {
          const found = await source.lookup(q, { signal });
          return found ? { bytes: found.bytes, url: new URL(found.url) } : null;
        },
      });
    }
    // The local copy is read while the look-ups run (a store that reads in batches has it ahead).
    const [settled, stored] = await Promise.all([Promise.allSettled(asks.map((a) => a.run())), this.storedCopyDigest(record)]);
    const out: Fetched = { fpr, record, answers: [], stored };
    const sameCopy = stored !== '' && remembers[STORED_COPY] === stored;
    for (const [k, r] of settled.entries()) {
      const origin = asks[k]!.origin;
      if (r.status === 'rejected') out.error ??= toKeyportError(r.reason);
      else if (r.value !== null) {
        const digest = digestOf(r.value.bytes);
        out.answers.push({ origin, url: r.value.url, bytes: r.value.bytes, digest, seen: sameCopy && remembers[origin] === digest });
      }
    }
    return out;
  }

  /** The digest of the store's copy of a key: the embedded index has it; other stores are read. */
  private async storedCopyDigest(record: KeyRecord): Promise<string> {
    if (record.hash) return record.hash;
    try {
      return contentHash(await this.deps.keyring.readPublic(record.summary.fingerprint));
    } catch {
      return '';
    }
  }

  /** Imports a chunk's answers not seen before; the import report of each answer. */
  private async importAnswers(fetched: Fetched[]): Promise<Map<Answer, ImportReport>> {
    const unseen = fetched.flatMap((f) => f.answers.filter((a) => !a.seen).map((a) => ({ f, a })));
    // An answer seen for the first time whose every packet the keyring already holds (the
    // first sync against a server, mostly) adds nothing either: recognised by comparing
    // packets, without the import pipeline's checksum, screening and lock.
    const held = await Promise.all(unseen.map(({ f, a }) => this.deps.keyring.holds(f.fpr, a.bytes)));
    const fresh = unseen.filter((_, k) => !held[k]);
    const inputs = fresh.map(({ f, a }) => ({
      bytes: a.bytes,
      // A sync only updates the key it asked about; it never adds one (ADR 0007).
      options: { ...serverImportOptions(this.deps.settings, a.url, f.fpr, { keyServer: !a.origin.startsWith('source:') }), updateOnly: true },
    }));
    let reports: Awaited<ReturnType<ImportPipeline['importMany']>>;
    try {
      reports = await this.deps.importer.importMany(inputs);
    } catch {
      // One malformed answer must not sink the chunk: import the answers one by one.
      reports = [];
      for (const [k, input] of inputs.entries()) {
        try {
          reports.push(...(await this.deps.importer.importMany([input])));
        } catch (inner) {
          const results = [rejected(fresh[k]!.f.fpr, toKeyportError(inner).message)];
          reports.push({ results, summary: summarizeResults(results) });
        }
      }
    }
    const reportOf = new Map(fresh.map(({ a }, k) => [a, reports[k]!]));
    for (const { f, a } of unseen.filter((_, k) => held[k])) {
      const results: ImportResult[] = [{ fingerprint: f.fpr, status: 'unchanged', reason: null, added: { ...NONE }, userIds: f.record.summary.userIds.map((u) => u.userId) }];
      reportOf.set(a, { results, summary: summarizeResults(results) });
    }
    return reportOf;
  }

}

type Answer = { origin: string; url: URL; bytes: Uint8Array; digest: string; seen: boolean };
type Fetched = { fpr: string; record: KeyRecord; answers: Answer[]; error?: KeyportError; /** Digest of the local copy the answers are compared with ('' when unreadable). */ stored: string };

/** A sync's results, counts and progress as they come in. */
class SyncTally {
  readonly results: SyncResult[] = [];
  readonly summary = { new: 0, updated: 0, unchanged: 0, rejected: 0, 'not-found': 0, skipped: 0, failed: 0 } as Record<SyncStatus, number>;
  done = 0;

  constructor(
    private readonly total: number,
    private readonly report: (p: { done: number; total: number; counts: Record<SyncStatus, number> }) => void,
  ) {}

  add(r: SyncResult): void {
    this.results.push(r);
    this.summary[r.status]++;
  }

  progress(): void {
    this.report({ done: this.done, total: this.total, counts: { ...this.summary } });
  }
}

/**
 * One key's sync result from its answers' import reports, and the answer digests to remember
 * (undefined when none changed).
 */
function resultOf(f: Fetched, reportOf: Map<Answer, ImportReport>, host: string): { result: SyncResult; digests?: SyncAnswerDigests } {
  const digests: SyncAnswerDigests = { ...((f.record.meta.syncAnswers ?? {}) as SyncAnswerDigests) };
  let changed = false;
  const own: ImportResult[] = [];
  for (const a of f.answers) {
    if (a.seen) continue;
    const report = reportOf.get(a)!;
    // A sync never adds keys, but the answer's other certificates come back rejected under
    // their own fingerprints; `combine` reports such a rejection under the key asked about.
    const mine = report.results.find((r) => r.fingerprint === f.fpr) ?? report.results[0];
    if (!mine) continue;
    own.push(mine);
    // Only a fully merged answer may be skipped next time; a rejected one is looked at again.
    if (mine.status === 'updated' || mine.status === 'unchanged') {
      digests[a.origin] = a.digest;
      changed = true;
    }
  }
  // The copy the answers were compared with; after an update the store holds another one, so
  // the next sync compares again (cheaply: the answer is then contained) and remembers that one.
  if (changed) {
    if (f.stored) digests[STORED_COPY] = f.stored;
    else delete digests[STORED_COPY];
  }
  return { result: combine(f, own, host), ...(changed ? { digests } : {}) };
}

function notAddressesOf(fpr: string, unknown: string[], choices: string[]): InputError {
  return new InputError(ErrorCodes.Usage, `${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not an address of ${fpr}`, {
    nextStep: choices.length ? `choose among: ${choices.join(', ')}` : 'the key has no email address to verify',
  });
}

/**
 * One key's sync result from all its answers: merged results add up; a key no one had is
 * `not-found`; an error only counts when nothing was merged.
 */
function combine(
  f: { fpr: string; record: KeyRecord; answers: { seen: boolean }[]; error?: KeyportError },
  merged: ImportResult[],
  host: string,
): SyncResult {
  const userIds = f.record.summary.userIds.map((u) => u.userId);
  // A sync asks only about keys the store held, so a store that says `new` (a GnuPG home read
  // while another gpg replaced its keyring) still updated that key: never "not found".
  const updated = merged.filter((r) => r.status === 'updated' || r.status === 'new');
  if (updated.length > 0) {
    const added = updated.map((r) => r.added).reduce(sumAdded, { ...NONE });
    return { ...updated[updated.length - 1]!, status: 'updated', added };
  }
  const unchanged = merged.find((r) => r.status === 'unchanged');
  if (unchanged) return { ...unchanged };
  if (merged.length === 0 && f.answers.some((a) => a.seen)) return { fingerprint: f.fpr, status: 'unchanged', reason: null, added: { ...NONE }, userIds };
  const refused = merged.find((r) => r.status === 'rejected');
  // Named by the key the sync asked about: the answer may have held only another key (its
  // fingerprint is in the reason), and a sync reports on the keys it asked about, nothing else.
  if (refused) return { ...refused, fingerprint: f.fpr };
  if (f.error) {
    const isCancel = f.error.code === ErrorCodes.Cancelled;
    if (isCancel) return { fingerprint: f.fpr, status: 'skipped', reason: 'cancelled', added: { ...NONE } };
    return { fingerprint: f.fpr, status: 'failed', reason: f.error.message, code: f.error.code, ...(f.error.nextStep ? { nextStep: f.error.nextStep } : {}), added: { ...NONE } };
  }
  return { fingerprint: f.fpr, status: 'not-found', reason: `${host} does not have this key`, added: { ...NONE } };
}
