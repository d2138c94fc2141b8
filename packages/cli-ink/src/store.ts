import { ErrorCodes, InputError, KeyportError, NotFoundError, recordOfEntry, resolveKey, storeImporter, type ImportPipeline, type KeyFilter, type KeyRecord, type KeyStore, type Keyport, type ServerCopiesDeps } from '@keyport/core';
import type { CommandContext } from './commands/context.js';

/** The stores the CLI can open: the embedded keyring (core) and a GnuPG home (the gnupg module). */
export const STORE_IDS = ['embedded', 'gnupg'] as const;

/** `--store`, else KEYPORT_STORE, else the setting `store` (default embedded). */
export function storeChoice(kp: Keyport, flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const [choice, from] = flag ? [flag, '--store'] : env.KEYPORT_STORE ? [env.KEYPORT_STORE, 'KEYPORT_STORE'] : [kp.settings.get<string>('store'), 'the setting store'];
  return knownStoreId(choice, from);
}

/** `id` when it is one of {@link STORE_IDS}; else a usage error saying that `from` names an unknown store. */
function knownStoreId(id: string, from: string): string {
  if (!(STORE_IDS as readonly string[]).includes(id)) {
    throw new InputError(ErrorCodes.Usage, `${from} names the key store "${id}", which keyport does not know`, { nextStep: `use one of: ${STORE_IDS.join(', ')}` });
  }
  return id;
}

/**
 * The key store this run works on. `gnupg` needs the gnupg module: when it is disabled (or left
 * out of this build) keyport says so and works on the embedded store rather than failing, since
 * the user chose to turn the module off.
 */
export async function openStore(kp: Keyport, flag: string | undefined, env: NodeJS.ProcessEnv, warn: (text: string) => void): Promise<KeyStore> {
  const store = await openNamedStore(kp, storeChoice(kp, flag, env), env);
  if (typeof store === 'string') {
    warn(`the gnupg module is ${store}; using the embedded store (${kp.store.location}) instead. Run \`keyport modules enable gnupg\` to work on GnuPG's keyring`);
    return kp.store;
  }
  return store;
}

/** The runtime and the key store this command works on (`--store`, as {@link openStore} chooses it). */
export async function openWorkingStore({ open, globals, env, warn }: Pick<CommandContext, 'open' | 'globals' | 'env' | 'warn'>): Promise<{ kp: Keyport; store: KeyStore }> {
  const kp = await open();
  return { kp, store: await openStore(kp, globals().store, env, warn) };
}

/** The store `--from-store` names; unlike the working store it never falls back to another. */
export async function openSourceStore(kp: Keyport, id: string, env: NodeJS.ProcessEnv): Promise<KeyStore> {
  const store = await openNamedStore(kp, knownStoreId(id, '--from-store'), env);
  if (typeof store === 'string') {
    throw new KeyportError(ErrorCodes.ModuleRequired, `cannot read the gnupg store: the gnupg module is ${store}`, { nextStep: 'run `keyport modules enable gnupg`' });
  }
  return store;
}

/** A store by id, or why the gnupg module cannot provide it. */
async function openNamedStore(kp: Keyport, id: string, env: NodeJS.ProcessEnv): Promise<KeyStore | 'disabled' | 'not built into this keyport'> {
  if (id === 'embedded') return kp.store;
  // Loaded only when chosen: a run on the embedded store does not parse the gnupg module's code.
  const gnupg = await import('@keyport/plugin-gnupg');
  if (typeof gnupg.GnupgKeyStore !== 'function') return 'not built into this keyport';
  if (!kp.modules.isEnabled('gnupg')) return 'disabled';
  return gnupg.GnupgKeyStore.open({
    dataDir: kp.paths.keyringDir,
    homedir: kp.settings.get<string | null>('gnupg.homedir') ?? undefined,
    program: kp.settings.get<string | null>('gnupg.program') ?? undefined,
    env,
  });
}

/** The import pipeline into `store`: the embedded keyring's own, else one that screens into `store`. */
export function importerFor(kp: Keyport, store: KeyStore): ImportPipeline {
  return store === kp.store ? kp.importer : storeImporter(store, kp.settings);
}

/** Publish, verify, status and sync on `store`. */
export function publishingFor(kp: Keyport, store: KeyStore): Keyport['publishing'] {
  return store === kp.store ? kp.publishing : kp.publishing.onStore(store);
}

/** `list --filter` on any store, sorted by fingerprint as the embedded keyring lists. */
export async function listRecords(kp: Keyport, store: KeyStore, filter: KeyFilter): Promise<KeyRecord[]> {
  // The embedded index knows which keys have only secret subkeys; its contract view does not yet (ADR 0010).
  if (store === kp.store) return kp.keyring.list(filter);
  const now = Date.now();
  // No metadata: a listing prints none, and reading it per key would cost a read per key.
  const records = (await store.list()).map((e) => recordOfEntry(e));
  const keep = (r: KeyRecord) =>
    filter === 'all' ||
    (filter === 'expired' && r.summary.expires !== null && Date.parse(r.summary.expires) <= now) ||
    (filter === 'revoked' && r.summary.revoked) ||
    (filter === 'secret' && r.hasSecret) ||
    (filter === 'public' && !r.hasSecret);
  return records.filter(keep).sort((a, b) => (a.summary.fingerprint < b.summary.fingerprint ? -1 : a.summary.fingerprint > b.summary.fingerprint ? 1 : 0));
}

/** The one key of `store` that a user's ID names, as a record. */
export async function resolveRecord(kp: Keyport, store: KeyStore, id: string): Promise<KeyRecord> {
  if (store === kp.store) return kp.keyring.resolve(id);
  const entry = await resolveKey(store, id);
  return recordOfEntry(entry, await store.metadata.get(entry.summary.fingerprint));
}

/** The public certificates of `ids` (every key when none) in `store`, as one binary stream. */
export async function certificatesOf(store: KeyStore, ids: readonly string[]): Promise<Uint8Array> {
  const fingerprints = ids.length ? await Promise.all(ids.map(async (id) => (await resolveKey(store, id)).summary.fingerprint)) : (await store.list()).map((e) => e.summary.fingerprint);
  const parts: Uint8Array[] = [];
  for (const fpr of new Set(fingerprints)) {
    const bytes = await store.readCertificate(fpr);
    if (bytes) parts.push(bytes);
  }
  return Buffer.concat(parts);
}

/** The binary public certificate of `fingerprint` in `store`; KP1202, with `nextStep`, when the store holds no such key. */
export async function readPublicOf(store: KeyStore, fingerprint: string, nextStep: string): Promise<Uint8Array> {
  const bytes = await store.readCertificate(fingerprint);
  if (!bytes) throw new NotFoundError(ErrorCodes.KeyNotFound, `the ${store.id} store (${store.location}) holds no key ${fingerprint}`, { nextStep });
  return bytes;
}

/** What the server-copy check needs from the runtime: each server's own engine (ADR 0008). */
export function serverCopies(kp: Keyport, store: KeyStore = kp.store): ServerCopiesDeps {
  // A key published from another store (--store gnupg) is compared as that store holds it.
  const keyring: ServerCopiesDeps['keyring'] =
    store === kp.store
      ? kp.keyring
      : {
          resolve: async (query) => recordOfEntry(await resolveKey(store, query)),
          readPublic: (fingerprint) => readPublicOf(store, fingerprint, 'run `keyport list` to see the keys you have'),
        };
  return { settings: kp.settings, keyring, lookupEngine: (server) => kp.keyservers.lookupEngine(server) };
}
