import { ErrorCodes, InputError, KeyportError, NetworkError, fromServer, toKeyportError } from '../errors.js';
import type { EventBus } from '../events.js';
import type { ImportPipeline } from '../import/pipeline.js';
import { serverImportOptions, summarizeResults } from '../import/pipeline.js';
import { protocolFromScheme, serverHref, type KnownProtocols } from './routing.js';
import { mergeHits } from './hits.js';
import { endpointOf, serverEndpoint } from './endpoint.js';
import { mergeResultsByFingerprint } from '../import/merge-results.js';
import { classifyKeyQuery, type KeyQuery } from '../keyring/query.js';
import type { ImportResult, Keyring, MetaUpdate } from '../keyring/types.js';
import type { KeyStore } from '../keystore/contract.js';
import { storeImporter } from '../keystore/keyring-view.js';
import type { KeySourceRegistry } from '../plugins/contributions.js';
import type { ProbeOutcome, ProtocolEngine, SearchHit } from '../plugins/api.js';
import type { EngineRegistry } from '../plugins/registry.js';
import type { Settings } from '../settings.js';

/** One key server in the user's list, with its last test result. */
export interface ServerEntry {
  url: string;
  /** The protocol (engine id) keyport speaks to it, fixed when it was added. */
  protocol: string | null;
  isDefault: boolean;
  https: boolean;
  lastTest: { ok: boolean; latencyMs: number | null; detail: string; at: string } | null;
}

/** Result of `import` from a key server: the import schema plus `not-found`. */
export type ServerImportResult = Omit<ImportResult, 'status'> & {
  status: ImportResult['status'] | 'not-found';
  query: string;
  /** Where the answer came from: the server's endpoint (as search names it) or a key source id. */
  source?: string;
  /** Every source that returned this key (one result per key, however many answered). */
  sources?: string[];
};

/**
 * The policy above the engines: which server answers, which engine speaks to it, and what a
 * user-facing answer looks like. Engines know protocols; this knows the user's server list.
 */
export class KeyServerActions {
  constructor(
    private readonly settings: Settings,
    private readonly engines: EngineRegistry,
    private readonly importer: ImportPipeline,
    private readonly bus: EventBus,
    private readonly sources: KeySourceRegistry,
    private readonly keyring: Keyring,
    /** The protocols loaded modules declare, enabled or not: named when a module is needed. */
    private readonly knownProtocols: () => KnownProtocols = () => ({}),
  ) {
    engines.useProtocols((url) => this.protocolOf(url));
  }

  // ---- protocols (docs/adr/0008-server-protocols.md) ---------------------------------------

  /**
   * The protocol keyport speaks to a server: the one stored with it in the list, else the one its
   * scheme names (hkp, hkps), else, for a scheme only one engine claims (a plugin's keydir://),
   * that engine. Any other http(s) URL is HKP, as GnuPG takes it: listed entries from before
   * protocols were stored (the HKP engine always served them) and servers named with `--server`
   * that are not in the list. Never depends on which modules are enabled.
   */
  protocolOf(url: URL): string | undefined {
    return this.knownProtocol(url) ?? (url.protocol === 'http:' || url.protocol === 'https:' ? 'hkp' : undefined);
  }

  /** The protocol stored with a listed server or named by the URL itself; undefined for other http(s) URLs. */
  private knownProtocol(url: URL): string | undefined {
    const stored = this.settings.get<Record<string, string>>('keyservers.protocols');
    const href = serverHref(url);
    if (Object.hasOwn(stored, href)) return stored[href];
    if (url.protocol === 'http:' || url.protocol === 'https:') return this.settings.get<string[]>('keyservers.list').includes(href) ? 'hkp' : undefined;
    return this.protocolOfNewEntry(url);
  }

  /** Refused: the server's protocol belongs to a module that is disabled. */
  private moduleRequired(url: URL, protocol: string): KeyportError {
    const known = this.knownProtocols()[protocol];
    const label = known?.label ?? protocol;
    return new KeyportError(ErrorCodes.ModuleRequired, `${serverHref(url)} is a${/^[AEFHILMNORSX]/.test(label) ? 'n' : ''} ${label} server and the module for ${label} is disabled`, {
      nextStep: known ? `enable it with \`keyport modules enable ${known.moduleId}\`` : `enable the module that provides "${protocol}" (\`keyport modules list\`)`,
    });
  }

  /**
   * Asks a server which protocol it speaks: every enabled engine that can probe it tries, and
   * only a decisive answer counts. A server that speaks several (a verifying server may also answer an HKP subset)
   * gets the one that can search, since listed servers answer search and import; ties go by id.
   */
  async detectProtocol(url: URL, signal?: AbortSignal): Promise<{ protocol: string; outcome: ProbeOutcome }> {
    const probing = this.engines.forUrl(url).filter((e) => typeof e.probe === 'function');
    const outcomes = await Promise.all(probing.map(async (engine) => ({ engine, outcome: await engine.probe!(url, { signal }) })));
    const speaking = outcomes
      .filter((o) => o.outcome.speaksProtocol)
      .sort((a, b) => Number(typeof b.engine.search === 'function') - Number(typeof a.engine.search === 'function') || a.engine.id.localeCompare(b.engine.id));
    if (speaking[0]) return { protocol: speaking[0].engine.id, outcome: speaking[0].outcome };
    const href = serverHref(url);
    const disabled = Object.entries(this.knownProtocols()).filter(([id]) => !this.engines.get(id));
    const said = outcomes.map((o) => `${o.engine.label}: ${o.outcome.detail}`).join('; ') || 'no enabled module can probe it';
    if (outcomes.length > 0 && outcomes.every((o) => !o.outcome.reachable)) {
      throw new NetworkError(ErrorCodes.NetworkUnreachable, `${href} ${outcomes[0]!.outcome.detail}`, {
        retryable: true,
        nextStep: `check the address and the network; if you know its protocol, name it (hkps://HOST, or \`keyport servers add URL --protocol ${Object.keys(this.knownProtocols()).join('|') || 'ID'}\`)`,
      });
    }
    if (disabled.length > 0) {
      // It may speak a protocol whose module is off: say so rather than "not a key server".
      throw new KeyportError(ErrorCodes.ModuleRequired, `${href} does not answer in any enabled protocol (${said}); ${disabled.map(([, p]) => `the ${p.label} module`).join(' and ')}, which might speak to it, ${disabled.length > 1 ? 'are' : 'is'} disabled`, {
        nextStep: `${disabled.map(([, p]) => `\`keyport modules enable ${p.moduleId}\``).join(' or ')}, or check the server address`,
      });
    }
    throw new KeyportError(ErrorCodes.NotAKeyserver, `${href} does not answer as a key server (${said})`, {
      nextStep: 'check the server address (a web site, captive portal or login page answers like this)',
    });
  }

  /** The protocol to store for a server being added: named, from its scheme, or from its probe. */
  private async protocolForNew(url: URL, named: string | undefined, signal?: AbortSignal): Promise<string> {
    const protocol = named ?? this.protocolOfNewEntry(url) ?? (await this.detectProtocol(url, signal)).protocol;
    const engine = this.engines.get(protocol);
    if (!engine) {
      if (this.knownProtocols()[protocol]) throw this.moduleRequired(url, protocol);
      throw new InputError(ErrorCodes.Usage, `no protocol "${protocol}"`, { nextStep: `name one of: ${this.engines.all().map((e) => e.id).join(', ')}` });
    }
    if (!engine.supports(url)) throw new InputError(ErrorCodes.KeyserverUrlInvalid, `${engine.label} does not speak to ${url.protocol}// servers`, { nextStep: 'check the URL and the protocol' });
    return protocol;
  }

  /** Like {@link protocolOf} for a URL not in the list yet: the scheme or the only claimant decides. */
  private protocolOfNewEntry(url: URL): string | undefined {
    if (url.protocol === 'http:' || url.protocol === 'https:') return undefined;
    return protocolFromScheme(url) ?? (this.engines.forUrl(url).length === 1 ? this.engines.forUrl(url)[0]!.id : undefined);
  }

  private async setProtocol(href: string, protocol: string | undefined, drop?: string): Promise<void> {
    const stored = { ...this.settings.get<Record<string, string>>('keyservers.protocols') };
    if (drop !== undefined) delete stored[drop];
    if (protocol !== undefined) stored[href] = protocol;
    await this.settings.set('keyservers.protocols', stored);
  }

  // ---- the server list ---------------------------------------------------------------------

  list(): ServerEntry[] {
    // One entry is the default: the one requests go to, even when another entry is the same
    // endpoint under another scheme.
    const def = this.defaultServer();
    const tests = this.settings.get<Record<string, ServerEntry['lastTest']>>('keyservers.lastTest');
    return this.settings.get<string[]>('keyservers.list').map((url) => ({
      url,
      protocol: guardedUrl(url, (u) => this.protocolOf(u)) ?? null,
      isDefault: url === def,
      https: url.startsWith('https:') || url.startsWith('hkps:'),
      lastTest: tests[url] ?? null,
    }));
  }

  defaultServer(): string {
    const list = this.settings.get<string[]>('keyservers.list');
    const def = this.settings.get<string>('keyservers.default');
    return list.find((u) => u === def) ?? list.find((u) => sameServer(u, def)) ?? list[0] ?? def;
  }

  /**
   * Normalises a server URL: trimmed, scheme and host lowercased, no trailing slash. Schemes
   * are accepted only when an enabled engine supports them. Returns warnings to show.
   */
  normalize(raw: string): { url: string; warnings: string[] } {
    const text = raw.trim();
    let url: URL;
    try {
      url = new URL(text.includes('://') ? text : `https://${text}`);
    } catch {
      throw new InputError(ErrorCodes.KeyserverUrlInvalid, `"${raw}" is not a URL`, { nextStep: 'give a URL such as https://keys.example.org' });
    }
    // Network protocols need a host; a plugin's own scheme may name a local resource by its
    // path (keydir:///srv/keys).
    const networkScheme = ['http:', 'https:', 'hkp:', 'hkps:'].includes(url.protocol);
    if (!url.hostname && (networkScheme || url.pathname.length <= 1)) throw new InputError(ErrorCodes.KeyserverUrlInvalid, `"${raw}" has no host`);
    if (url.search || url.hash) throw new InputError(ErrorCodes.KeyserverUrlInvalid, `"${raw}" must not carry a query or fragment`);
    if (this.engines.forUrl(url).length === 0) {
      const byScheme = protocolFromScheme(url);
      if (byScheme) throw this.moduleRequired(url, byScheme);
      // Name only schemes an enabled module takes now, so the next step works as given.
      const usable = ['https:', 'hkps:', 'hkp:', 'http:'].filter((scheme) => this.engines.forUrl(new URL(`${scheme}//${url.hostname || 'keys.example.org'}`)).length > 0);
      throw new InputError(ErrorCodes.KeyserverUrlInvalid, `no enabled module speaks to ${url.protocol}// servers`, {
        nextStep: usable.length
          ? `use ${usable.map((x) => `${x}//`).join(', ')}, or enable the module for ${url.protocol}// (\`keyport modules list\`)`
          : 'no enabled module speaks to key servers: enable one (`keyport modules list`, then `keyport modules enable hkp`)',
      });
    }
    const normalized = `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
    const warnings: string[] = [];
    if (url.protocol === 'http:' || url.protocol === 'hkp:') {
      warnings.push(`${normalized} is plain HTTP: anyone on the path can see what you look up and alter the keys you get; prefer https`);
    }
    return { url: normalized, warnings };
  }

  /**
   * Adds a server with its protocol: `options.protocol` if given, else its scheme's, else what
   * its probe decisively says. The protocol is stored with it and never re-guessed.
   */
  async add(raw: string, options: { protocol?: string; signal?: AbortSignal } = {}): Promise<{ url: string; protocol: string; warnings: string[] }> {
    const { url, warnings } = this.normalize(raw);
    const list = this.settings.get<string[]>('keyservers.list');
    const same = list.find((u) => sameServer(u, url));
    if (same) throw duplicate(url, same);
    const protocol = await this.protocolForNew(new URL(url), options.protocol, options.signal);
    // The protocol first: a listed server without one would be taken for HKP (an old entry).
    await this.setProtocol(url, protocol);
    await this.settings.set('keyservers.list', [...list, url]);
    return { url, protocol, warnings };
  }

  /** Replaces a server's URL; it keeps its protocol unless the new scheme names another. */
  async edit(oldRaw: string, newRaw: string): Promise<{ url: string; protocol: string | null; warnings: string[] }> {
    const old = this.requireListed(oldRaw);
    const { url, warnings } = this.normalize(newRaw);
    const list = this.settings.get<string[]>('keyservers.list');
    const same = list.find((u) => u !== old && sameServer(u, url));
    if (same) throw duplicate(url, same);
    const parsed = new URL(url);
    const kept = guardedUrl(old, (u) => this.protocolOf(u));
    const web = parsed.protocol === 'http:' || parsed.protocol === 'https:';
    const protocol = web ? kept : (this.protocolOfNewEntry(parsed) ?? kept);
    await this.setProtocol(url, protocol, old);
    const wasDefault = sameServer(this.defaultServer(), old);
    // One write: the list and the default never disagree, not even between two writes.
    await this.settings.setMany([['keyservers.list', list.map((u) => (u === old ? url : u))], ...(wasDefault ? [['keyservers.default', url] as const] : [])]);
    return { url, protocol: protocol ?? null, warnings };
  }

  async remove(raw: string): Promise<void> {
    const url = this.requireListed(raw);
    const list = this.settings.get<string[]>('keyservers.list').filter((u) => u !== url);
    if (list.length === 0) {
      throw new InputError(ErrorCodes.SettingValueInvalid, `${url} is the only key server: search and import need one`, {
        nextStep: `add another first (\`keyport servers add URL\`), then remove ${url}`,
      });
    }
    // The default role passes to the first remaining server, in the same write.
    const wasDefault = sameServer(this.defaultServer(), url);
    await this.settings.setMany([['keyservers.list', list], ...(wasDefault ? [['keyservers.default', list[0]!] as const] : [])]);
    // After the list: a listed server without a stored protocol would be taken for HKP.
    if (Object.hasOwn(this.settings.get<Record<string, string>>('keyservers.protocols'), url)) await this.setProtocol(url, undefined, url);
  }

  async setDefault(raw: string): Promise<void> {
    await this.settings.set('keyservers.default', this.requireListed(raw));
  }

  private requireListed(raw: string): string {
    const list = this.settings.get<string[]>('keyservers.list');
    const trimmed = raw.trim().replace(/\/+$/, '');
    const endpoint = endpointOf(trimmed.includes('://') ? trimmed : `https://${trimmed}`);
    const found =
      list.find((u) => u === trimmed || u.toLowerCase() === trimmed.toLowerCase() || u === `https://${trimmed}`) ??
      list.find((u) => endpoint !== undefined && endpointOf(u) === endpoint);
    if (!found) {
      throw new InputError(ErrorCodes.KeyserverUnknown, `${raw} is not in the key server list`, { nextStep: 'see `keyport servers list`' });
    }
    return found;
  }

  /**
   * Probes one server. A listed server (or one whose scheme names its protocol) is probed in its
   * own protocol only; another http(s) URL is asked by every engine, and the result says which
   * it speaks.
   * Records the result for listed servers.
   */
  async test(raw: string, signal?: AbortSignal): Promise<ProbeOutcome & { url: string; engine: string | null }> {
    const url = new URL(this.normalize(raw).url);
    const href = serverHref(url);
    const protocol = this.knownProtocol(url);
    let result: ProbeOutcome & { engine: string | null };
    if (protocol !== undefined) {
      const engine = this.engines.get(protocol);
      if (!engine) {
        const refused = this.moduleRequired(url, protocol);
        result = { reachable: false, speaksProtocol: false, latencyMs: null, detail: `${refused.message}: ${refused.nextStep}`, engine: protocol };
      } else if (!engine.probe) {
        result = { reachable: false, speaksProtocol: false, latencyMs: null, detail: `${engine.label} cannot test servers`, engine: protocol };
      } else {
        result = { ...(await engine.probe(url, { signal })), engine: protocol };
      }
    } else {
      try {
        const found = await this.detectProtocol(url, signal);
        result = { ...found.outcome, engine: found.protocol };
      } catch (e) {
        const error = toKeyportError(e);
        if (error.code === ErrorCodes.Cancelled) throw error;
        result = { reachable: error.code !== ErrorCodes.NetworkUnreachable, speaksProtocol: false, latencyMs: null, detail: error.message, engine: null };
      }
    }
    const listed = this.settings.get<string[]>('keyservers.list').find((u) => sameServer(u, href));
    if (listed) {
      const tests = { ...this.settings.get<Record<string, unknown>>('keyservers.lastTest') };
      tests[listed] = { ok: result.speaksProtocol, latencyMs: result.latencyMs, detail: result.detail, at: new Date().toISOString() };
      await this.settings.set('keyservers.lastTest', tests);
    }
    return { ...result, url: href };
  }

  // ---- search and import -------------------------------------------------------------------

  /**
   * The engine for a server: the one for its protocol ({@link protocolOf}). A server whose
   * protocol's module is disabled is refused, never handed to another engine.
   */
  /** The engine that looks keys up on a server (its stored protocol), or the coded refusal: for read-only checks such as `status --servers`. */
  lookupEngine(serverUrl: string): { url: URL; engine: ProtocolEngine } {
    return this.engineFor(serverUrl, 'lookup');
  }

  /** The engine that uploads to a server (its stored protocol), or the coded refusal: for `publish --to`. */
  uploadEngine(serverUrl: string): { url: URL; engine: ProtocolEngine } {
    return this.engineFor(serverUrl, 'upload');
  }

  private engineFor(serverUrl: string, verb: 'search' | 'lookup' | 'upload'): { url: URL; engine: ProtocolEngine } {
    const url = new URL(this.normalize(serverUrl).url);
    const href = serverHref(url);
    const protocol = this.protocolOf(url);
    const engine = protocol === undefined ? undefined : this.engines.get(protocol);
    if (protocol === undefined || !engine) {
      const refused = protocol === undefined ? undefined : this.moduleRequired(url, protocol);
      throw new KeyportError(refused ? ErrorCodes.ModuleRequired : ErrorCodes.NoEngine, refused?.message ?? `no enabled module can ${verb} on ${href}`, {
        nextStep: `${refused?.nextStep ?? 'enable a key server module (`keyport modules list`)'}${this.settings.get<string[]>('keyservers.list').includes(href) ? '' : ', or add the server with `keyport servers add URL` to have its protocol found'}`,
      });
    }
    if (typeof engine[verb] !== 'function') {
      throw new KeyportError(ErrorCodes.NoEngine, `${href} is a ${engine.label} server, which cannot ${verb}`, {
        nextStep: verb === 'search' ? 'search an HKP server (`--server URL`), then import by fingerprint' : 'use another key server (`keyport servers list`)',
      });
    }
    return { url, engine };
  }

  /**
   * A network failure of a server gains the ways to use another one: `--server` for this run,
   * or a new default. Other errors (and cancellation) pass unchanged.
   */
  private withServerChoice(error: KeyportError): KeyportError {
    if (!error.code.startsWith('KP150')) return error;
    const others = this.list().filter((e) => !e.isDefault).map((e) => e.url);
    const choice = `or ask another server: \`--server URL\` for this command, or \`keyport servers default ${others[0] ?? 'URL'}\``;
    const Kind = error.constructor as new (code: typeof error.code, message: string, options: object) => KeyportError;
    return new Kind(error.code, error.message, { cause: error, pluginId: error.pluginId, retryable: error.retryable, nextStep: `${error.nextStep ?? 'check the network'}, ${choice}` });
  }

  /** Classifies a query; short key IDs are refused (collisions are trivial to make). */
  static parseQuery(text: string): KeyQuery {
    const q = classifyKeyQuery(text);
    if (q.kind === 'shortKeyId') {
      throw new InputError(ErrorCodes.KeyIdInvalid, `"${text}" is a short key ID: anyone can make a key with the same one`, {
        nextStep: 'search by the 16-hex key ID, the full fingerprint or an email address',
      });
    }
    if (q.kind === 'text' && q.value.length < 3) {
      throw new InputError(ErrorCodes.Usage, 'a text search needs at least 3 characters', { nextStep: 'type more of a name or an address' });
    }
    return q;
  }

  /**
   * Searches a server and, when the user named no server, every enabled key source that answers
   * this kind of query (each hit says where it came from). With `source`, only that key source
   * is asked. A failing key source is reported as a warning while the server answers.
   */
  async search(
    text: string,
    server?: string,
    signal?: AbortSignal,
    options: { source?: string } = {},
  ): Promise<{ server: string; hits: SearchHit[]; sources: string[] }> {
    const query = KeyServerActions.parseQuery(text);
    const plan = this.plan(query, server, options.source, 'search');
    const asks: { who: string; run: () => Promise<SearchHit[]> }[] = plan.sources.map((source) => ({ who: source.label, run: () => source.search!(query, { signal }) }));
    if (plan.server) {
      const { url, engine } = plan.server;
      asks.unshift({ who: url.host, run: () => engine.search!(url, query, { signal }) });
    }
    const settled = await Promise.allSettled(asks.map((a) => a.run()));
    const failures = settled.flatMap((r, i) => (r.status === 'rejected' ? [{ who: asks[i]!.who, error: toKeyportError(r.reason) }] : []));
    if (failures.length === settled.length) throw plan.server ? this.withServerChoice(failures[0]!.error) : failures[0]!.error;
    for (const f of failures) this.bus.feedback({ severity: 'warning', message: `${f.who}: ${f.error.message}`, error: f.error });
    const hits = mergeHits(settled.flatMap((r) => (r.status === 'fulfilled' ? r.value : [])));
    return { server: plan.server ? serverHref(plan.server.url) : plan.sources.map((s) => s.id).join(', '), hits, sources: plan.sources.map((s) => s.id) };
  }

  /** Who answers `query`: the chosen or default server, plus key sources unless a server was named. */
  private plan(query: KeyQuery, server: string | undefined, sourceId: string | undefined, verb: 'search' | 'lookup') {
    if (sourceId !== undefined) {
      const source = this.sources.get(sourceId);
      if (!source) {
        throw new InputError(ErrorCodes.Usage, `no enabled key source "${sourceId}"`, {
          nextStep: `the enabled ones: ${this.sources.all().map((s) => s.id).join(', ') || 'none'} (\`keyport modules list\`)`,
        });
      }
      if (!source.handles(query) || (verb === 'search' && !source.search)) {
        throw new InputError(ErrorCodes.Usage, `${source.label} cannot answer "${query.value}"`, { nextStep: 'WKD answers email addresses only; ask a key server for other queries' });
      }
      return { server: undefined, sources: [source] };
    }
    const sources = server === undefined ? this.sources.for(query).filter((s) => verb === 'lookup' || s.search) : [];
    return { server: this.engineFor(server ?? this.defaultServer(), verb), sources };
  }

  /**
   * Fetches each query from a server (and, for queries a key source answers, from that source
   * unless a server was named) and imports every answer through the import pipeline. Keys that
   * came from a key source remember it, so `sync` refreshes them from there too.
   */
  async importFromServer(
    queries: string[],
    server?: string,
    options: { signal?: AbortSignal; source?: string; into?: KeyStore } = {},
  ): Promise<{ server: string; results: ServerImportResult[]; summary: ReturnType<typeof summarizeResults> & { notFound: number } }> {
    const parsed = queries.map((q) => ({ text: q, query: KeyServerActions.parseQuery(q) }));
    for (const p of parsed) {
      if (p.query.kind === 'text') {
        throw new InputError(ErrorCodes.Usage, `"${p.text}" is not a fingerprint, key ID or email address`, {
          nextStep: 'search first (`keyport search TEXT`), then import by fingerprint',
        });
      }
    }
    const plans = parsed.map((p) => this.plan(p.query, server, options.source, 'lookup'));
    const serverUrl = plans[0]?.server?.url;
    // Every request starts now (the transport bounds requests per host); answers are imported
    // together, in query order.
    type Answer = { i: number; bytes: Uint8Array; origin: string; sourceId?: string };
    let fetched = 0;
    const jobs: Promise<Answer | { i: number; error: KeyportError; who: string } | null>[] = [];
    const total = plans.reduce((n, p) => n + (p.server ? 1 : 0) + p.sources.length, 0);
    const tick = () => this.bus.progress({ operation: 'fetch', done: ++fetched, total });
    for (const [i, { query }] of parsed.entries()) {
      const plan = plans[i]!;
      if (plan.server) {
        const { url, engine } = plan.server;
        jobs.push(
          engine.lookup!(url, query, { signal: options.signal }).then(
            (bytes) => (tick(), bytes ? { i, bytes, origin: url.href } : null),
            (e: unknown) => (tick(), { i, error: toKeyportError(e), who: url.host }),
          ),
        );
      }
      for (const source of plan.sources) {
        jobs.push(
          source.lookup(query, { signal: options.signal }).then(
            (found) => (tick(), found ? { i, bytes: found.bytes, origin: found.url, sourceId: source.id } : null),
            (e: unknown) => (tick(), { i, error: toKeyportError(e), who: source.label }),
          ),
        );
      }
    }
    const settled = (await Promise.all(jobs)).filter((a) => a !== null);
    const answers = settled.filter((a): a is Answer => 'bytes' in a);
    const errors = settled.filter((a): a is { i: number; error: KeyportError; who: string } => 'error' in a);
    // A query every asked party failed on is an error; partial failures are warnings.
    for (const e of errors) {
      if (e.error.code === ErrorCodes.Cancelled) throw e.error;
      const asked = (plans[e.i]!.server ? 1 : 0) + plans[e.i]!.sources.length;
      const failedHere = errors.filter((x) => x.i === e.i).length;
      if (failedHere === asked && !answers.some((a) => a.i === e.i)) throw plans[e.i]!.server ? this.withServerChoice(e.error) : e.error;
      this.bus.feedback({ severity: 'warning', message: `${e.who}: ${e.error.message}`, error: e.error });
    }
    const none = { userIds: 0, subkeys: 0, signatures: 0, revocations: 0 };
    // Every answer is screened against its own query; all of them merge in one keyring batch.
    // On another store, screening asks that store what is held, and merges into it.
    const importer = options.into ? storeImporter(options.into, this.settings) : this.importer;
    const reports = await importer
      .importMany(
        answers.map((a) => {
          const { text, query } = parsed[a.i]!;
          return { bytes: a.bytes, options: serverImportOptions(this.settings, new URL(a.origin), query.kind === 'email' ? query.value : text, { keyServer: a.sourceId === undefined }) };
        }),
        { signal: options.signal },
      )
      // Bad data here came from a server, not from the user (exit 1, not 2).
      .catch((e: unknown) => {
        throw fromServer(e, [...new Set(answers.map((a) => new URL(a.origin).host))].join(', '));
      });
    const results: ServerImportResult[] = [];
    const remembered: MetaUpdate[] = [];
    const at = new Date().toISOString();
    for (const [i, { text }] of parsed.entries()) {
      const mine = answers.flatMap((a, k) => (a.i === i ? [{ a, report: reports[k]! }] : []));
      const found = mine.flatMap(({ a, report }) =>
        report.results.map((r): ServerImportResult => {
          const source = a.sourceId ?? serverEndpoint(new URL(a.origin));
          return { query: text, ...r, source, sources: [source] };
        }),
      );
      if (found.length === 0) {
        const where = plans[i]!.server ? plans[i]!.server!.url.host : plans[i]!.sources.map((s) => s.label).join(', ');
        results.push({ query: text, fingerprint: null, status: 'not-found', reason: `${where} has no key for ${text}`, added: { ...none } });
        continue;
      }
      results.push(...found);
      for (const { a, report } of mine) {
        if (!a.sourceId) continue;
        for (const r of report.results) {
          if (r.fingerprint && r.status !== 'rejected') remembered.push({ fingerprint: r.fingerprint, namespace: `source:${a.sourceId}`, value: { query: text, url: a.origin, at } satisfies KeySourceRecord });
        }
      }
    }
    await (options.into ? options.into.metadata.setMany(remembered) : this.keyring.setMetaMany(remembered));
    // One result per key, however many sources (or queries) returned it, naming every source;
    // not-found results have no fingerprint and stay as they are.
    const perKey = mergeResultsByFingerprint(results as (ServerImportResult & ImportResult)[], (into, other) => ({
      ...into,
      sources: [...new Set([...(into.sources ?? []), ...(other.sources ?? [])])],
    })) as ServerImportResult[];
    const counted = summarizeResults(perKey.filter((r): r is ServerImportResult & ImportResult => r.status !== 'not-found'));
    const label = serverUrl ? serverEndpoint(serverUrl) : (plans[0]?.sources.map((s) => s.id).join(', ') ?? '');
    return { server: label, results: perKey, summary: { ...counted, notFound: perKey.filter((r) => r.status === 'not-found').length } };
  }
}

/** Two server URLs that reach the same endpoint (`hkps://h` and `https://h`) are one server. */
function sameServer(a: string, b: string): boolean {
  return a === b || (endpointOf(a) ?? a) === (endpointOf(b) ?? b);
}

function duplicate(url: string, listed: string): InputError {
  return new InputError(ErrorCodes.KeyserverDuplicate, listed === url ? `${url} is already in the list` : `${url} is already in the list as ${listed} (the same server)`, {
    nextStep: 'see `keyport servers list`',
  });
}

/** Stored with a key under `meta["source:<id>"]` when it was imported from a key source. */
export interface KeySourceRecord {
  query: string;
  url: string;
  at: string;
}

/** Calls `fn` with a parsed URL; a stored URL that no longer parses gives undefined. */
function guardedUrl<T>(href: string, fn: (url: URL) => T): T | undefined {
  try {
    return fn(new URL(href));
  } catch {
    return undefined;
  }
}
