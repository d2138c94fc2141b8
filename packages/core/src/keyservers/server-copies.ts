import { toKeyportError } from '../errors.js';
import type { EmbeddedKeyring } from '../keyring/embedded.js';
import { looksArmored, dearmorAll } from '../openpgp/armor.js';
import { compareServerCopy, type ServerCopyMissing, type ServerCopyState } from '../openpgp/freshness.js';
import type { ProtocolEngine } from '../plugins/api.js';
import type { Settings } from '../settings.js';
import { serverHref } from './routing.js';

/** One server's copy of one key, as `status --servers` reports it. */
export interface ServerCopyReport {
  /** The server, as listed (`https://keys.openpgp.org`). */
  server: string;
  /** The protocol (engine id) the server was asked with; null when none could be found. */
  protocol: string | null;
  /** `failed`: the server could not be asked or its answer could not be read (see `reason`). */
  state: ServerCopyState | 'failed';
  /** What a `stale` copy lacks; empty lists otherwise. */
  missing: ServerCopyMissing;
  /** One line for people: why the copy has this state. */
  reason: string;
}

/** Every asked server's copy of one local key. */
export interface KeyServerCopies {
  fingerprint: string;
  servers: ServerCopyReport[];
}

/** What {@link checkServerCopies} needs from the runtime. */
export interface ServerCopiesDeps {
  settings: Settings;
  keyring: Pick<EmbeddedKeyring, 'resolve' | 'readPublic'>;
  /** The server's own engine (its stored protocol, ADR 0008) for look-ups; throws a coded error when there is none. */
  lookupEngine: (server: string) => { url: URL; engine: ProtocolEngine };
}

const emptyMissing = (): ServerCopyMissing => ({ userIds: [], subkeys: [], selfSignatures: [], revocations: [] });

/**
 * The servers `status --servers` asks: the publish targets (`publish.targets`, when that setting
 * exists) and every listed key server, plus `extra`, each once, in that order.
 */
export function serversToCheck(settings: Settings, extra: readonly string[] = []): string[] {
  const targets = settings.list().some((d) => d.key === 'publish.targets') ? settings.get<string[]>('publish.targets') : [];
  const all = [...extra, ...targets, ...settings.get<string[]>('keyservers.list')];
  const seen = new Set<string>();
  const out: string[] = [];
  for (const s of all) {
    let href: string;
    try {
      href = serverHref(new URL(s));
    } catch {
      href = s; // reported as failed below, with the reason
    }
    if (!seen.has(href)) {
      seen.add(href);
      out.push(href);
    }
  }
  return out;
}

/**
 * Asks every server for its copy of each key (read-only look-ups by fingerprint, all at once:
 * the HTTP layer's per-host limits bound them) and compares it with the local certificate using
 * {@link compareServerCopy}. A server that publishes only verified addresses (its engine can
 * request verification, VKS) is judged on what it would publish: its publish status names the
 * verified addresses. A server that cannot be asked is `failed` with the reason; nothing is
 * written anywhere.
 */
export async function checkServerCopies(deps: ServerCopiesDeps, ids: readonly string[], servers: readonly string[], options: { signal?: AbortSignal } = {}): Promise<KeyServerCopies[]> {
  // Unknown keys are refused before any request.
  const records = [];
  for (const id of ids) records.push(await deps.keyring.resolve(id));
  return Promise.all(
    records.map(async (record) => {
      const fingerprint = record.summary.fingerprint;
      const local = await deps.keyring.readPublic(fingerprint);
      const reports = await Promise.all(servers.map((server) => checkOne(deps, server, fingerprint, local, options.signal)));
      return { fingerprint, servers: reports };
    }),
  );
}

async function checkOne(deps: ServerCopiesDeps, server: string, fingerprint: string, local: Uint8Array, signal?: AbortSignal): Promise<ServerCopyReport> {
  let protocol: string | null = null;
  try {
    const { url, engine } = deps.lookupEngine(server);
    protocol = engine.id;
    const query = { kind: 'fingerprint', value: fingerprint } as const;
    const verifying = typeof engine.requestVerification === 'function' && typeof engine.publishStatus === 'function';
    const [answer, status] = await Promise.all([engine.lookup!(url, query, { signal }), verifying ? engine.publishStatus!(url, fingerprint, { signal }) : undefined]);
    const bytes = answer && looksArmored(answer) ? dearmorAll(answer) : (answer ?? undefined);
    const verdict = compareServerCopy(local, bytes, verifying ? { stripsUnverifiedUserIds: true, verifiedAddresses: status?.addresses ?? [] } : {});
    return { server, protocol, state: verdict.state, missing: verdict.missing, reason: verdict.reason };
  } catch (e) {
    const error = toKeyportError(e);
    return { server, protocol, state: 'failed', missing: emptyMissing(), reason: `${error.code} ${error.message}` };
  }
}
