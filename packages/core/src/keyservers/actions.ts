import { ErrorCodes, InputError, KeyportError } from '../errors.js';
import type { EventBus } from '../events.js';
import type { ImportPipeline } from '../import/pipeline.js';
import { serverImportOptions, summarizeResults } from '../import/pipeline.js';
import { serverHref } from './routing.js';
import { classifyKeyQuery, type KeyQuery } from '../keyring/query.js';
import type { ImportResult } from '../keyring/types.js';
import type { ProbeOutcome, ProtocolEngine, SearchHit } from '../plugins/api.js';
import type { EngineRegistry } from '../plugins/registry.js';
import type { Settings } from '../settings.js';

export interface ServerEntry {
  url: string;
  isDefault: boolean;
  https: boolean;
  lastTest: { ok: boolean; latencyMs: number | null; detail: string; at: string } | null;
}

/** Result of `import` from a key server: the import schema plus `not-found`. */
export type ServerImportResult = Omit<ImportResult, 'status'> & { status: ImportResult['status'] | 'not-found'; query: string };

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
  ) {}

  // ---- the server list ---------------------------------------------------------------------

  list(): ServerEntry[] {
    const def = this.settings.get<string>('keyservers.default');
    const tests = this.settings.get<Record<string, ServerEntry['lastTest']>>('keyservers.lastTest');
    return this.settings.get<string[]>('keyservers.list').map((url) => ({
      url,
      isDefault: url === def,
      https: url.startsWith('https:') || url.startsWith('hkps:'),
      lastTest: tests[url] ?? null,
    }));
  }

  defaultServer(): string {
    const list = this.settings.get<string[]>('keyservers.list');
    const def = this.settings.get<string>('keyservers.default');
    return list.includes(def) ? def : (list[0] ?? def);
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
    if (!url.hostname) throw new InputError(ErrorCodes.KeyserverUrlInvalid, `"${raw}" has no host`);
    if (url.search || url.hash) throw new InputError(ErrorCodes.KeyserverUrlInvalid, `"${raw}" must not carry a query or fragment`);
    if (this.engines.forUrl(url).length === 0) {
      throw new InputError(ErrorCodes.KeyserverUrlInvalid, `no enabled module speaks to ${url.protocol}// servers`, {
        nextStep: 'use https:// (or hkps://, hkp://, http://), or enable the module for this protocol',
      });
    }
    const normalized = `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
    const warnings: string[] = [];
    if (url.protocol === 'http:' || url.protocol === 'hkp:') {
      warnings.push(`${normalized} is plain HTTP: anyone on the path can see what you look up and alter the keys you get; prefer https`);
    }
    return { url: normalized, warnings };
  }

  async add(raw: string): Promise<{ url: string; warnings: string[] }> {
    const { url, warnings } = this.normalize(raw);
    const list = this.settings.get<string[]>('keyservers.list');
    if (list.includes(url)) throw new InputError(ErrorCodes.KeyserverDuplicate, `${url} is already in the list`);
    await this.settings.set('keyservers.list', [...list, url]);
    return { url, warnings };
  }

  async edit(oldRaw: string, newRaw: string): Promise<{ url: string; warnings: string[] }> {
    const old = this.requireListed(oldRaw);
    const { url, warnings } = this.normalize(newRaw);
    const list = this.settings.get<string[]>('keyservers.list');
    if (url !== old && list.includes(url)) throw new InputError(ErrorCodes.KeyserverDuplicate, `${url} is already in the list`);
    await this.settings.set('keyservers.list', list.map((u) => (u === old ? url : u)));
    if (this.settings.get<string>('keyservers.default') === old) await this.settings.set('keyservers.default', url);
    return { url, warnings };
  }

  async remove(raw: string): Promise<void> {
    const url = this.requireListed(raw);
    const list = this.settings.get<string[]>('keyservers.list').filter((u) => u !== url);
    await this.settings.set('keyservers.list', list);
    // The default role passes to the first remaining server.
    if (this.settings.get<string>('keyservers.default') === url && list[0]) await this.settings.set('keyservers.default', list[0]);
  }

  async setDefault(raw: string): Promise<void> {
    await this.settings.set('keyservers.default', this.requireListed(raw));
  }

  private requireListed(raw: string): string {
    const list = this.settings.get<string[]>('keyservers.list');
    const trimmed = raw.trim().replace(/\/+$/, '');
    const found = list.find((u) => u === trimmed || u.toLowerCase() === trimmed.toLowerCase() || u === `https://${trimmed}`);
    if (!found) {
      throw new InputError(ErrorCodes.KeyserverUnknown, `${raw} is not in the key server list`, { nextStep: 'see `keyport servers list`' });
    }
    return found;
  }

  /** Probes one server with every engine that supports it; records the result. */
  async test(raw: string, signal?: AbortSignal): Promise<ProbeOutcome & { url: string; engine: string | null }> {
    const url = new URL(this.normalize(raw).url);
    let best: (ProbeOutcome & { engine: string | null }) | undefined;
    for (const engine of this.engines.forUrl(url).filter((e) => e.probe)) {
      const outcome = await engine.probe!(url, { signal });
      if (!best || (outcome.speaksProtocol && !best.speaksProtocol) || (outcome.reachable && !best.reachable)) best = { ...outcome, engine: engine.id };
      if (outcome.speaksProtocol) break;
    }
    const result = best ?? { reachable: false, speaksProtocol: false, latencyMs: null, detail: 'no enabled module can test this server', engine: null };
    const href = serverHref(url);
    if (this.settings.get<string[]>('keyservers.list').includes(href)) {
      const tests = { ...this.settings.get<Record<string, unknown>>('keyservers.lastTest') };
      tests[href] = { ok: result.speaksProtocol, latencyMs: result.latencyMs, detail: result.detail, at: new Date().toISOString() };
      await this.settings.set('keyservers.lastTest', tests);
    }
    return { ...result, url: href };
  }

  // ---- search and import -------------------------------------------------------------------

  private engineFor(serverUrl: string, verb: 'search' | 'lookup' | 'upload'): { url: URL; engine: ProtocolEngine } {
    const url = new URL(this.normalize(serverUrl).url);
    const engine = this.engines.find(url, verb);
    if (!engine) {
      throw new KeyportError(ErrorCodes.NoEngine, `no enabled module can ${verb} on ${url.href}`, {
        nextStep: 'enable a key server module (`keyport modules list`)',
      });
    }
    return { url, engine };
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

  async search(text: string, server?: string, signal?: AbortSignal): Promise<{ server: string; hits: SearchHit[] }> {
    const query = KeyServerActions.parseQuery(text);
    const chosen = server ?? this.defaultServer();
    const { url, engine } = this.engineFor(chosen, 'search');
    return { server: serverHref(url), hits: await engine.search!(url, query, { signal }) };
  }

  /** Fetches each query from a server and imports the answers through the import pipeline. */
  async importFromServer(
    queries: string[],
    server?: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<{ server: string; results: ServerImportResult[]; summary: ReturnType<typeof summarizeResults> & { notFound: number } }> {
    const chosen = server ?? this.defaultServer();
    const { url, engine } = this.engineFor(chosen, 'lookup');
    const parsed = queries.map((q) => ({ text: q, query: KeyServerActions.parseQuery(q) }));
    for (const p of parsed) {
      if (p.query.kind === 'text') {
        throw new InputError(ErrorCodes.Usage, `"${p.text}" is not a fingerprint, key ID or email address`, {
          nextStep: 'search first (`keyport search TEXT`), then import by fingerprint',
        });
      }
    }
    // Fetch concurrently (the transport bounds requests per host), import in query order.
    let fetched = 0;
    const answers = await Promise.all(
      parsed.map(async ({ query }) => {
        const bytes = await engine.lookup!(url, query, { signal: options.signal });
        this.bus.progress({ operation: 'fetch', done: ++fetched, total: parsed.length });
        return bytes;
      }),
    );
    const none = { userIds: 0, subkeys: 0, signatures: 0, revocations: 0 };
    const answered = parsed.flatMap(({ text, query }, i) => (answers[i] ? [{ i, text, query, bytes: answers[i] }] : []));
    // Every answer is screened against its own query; all of them merge in one keyring batch.
    const reports = await this.importer.importMany(
      answered.map(({ text, query, bytes }) => ({ bytes, options: serverImportOptions(this.settings, url, query.kind === 'email' ? query.value : text) })),
      { signal: options.signal },
    );
    const reportOf = new Map(answered.map((a, k) => [a.i, reports[k]!]));
    const results: ServerImportResult[] = [];
    for (const [i, { text }] of parsed.entries()) {
      const report = reportOf.get(i);
      if (!report || report.results.length === 0) {
        results.push({ query: text, fingerprint: null, status: 'not-found', reason: `${url.host} has no key for ${text}`, added: { ...none } });
        continue;
      }
      for (const r of report.results) results.push({ ...r, query: text });
    }
    const counted = summarizeResults(results.filter((r): r is ServerImportResult & ImportResult => r.status !== 'not-found'));
    return { server: serverHref(url), results, summary: { ...counted, notFound: results.filter((r) => r.status === 'not-found').length } };
  }
}

