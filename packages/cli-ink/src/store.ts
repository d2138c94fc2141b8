import { ErrorCodes, InputError, resolveKey, type KeyFilter, type KeyRecord, type KeyStore, type KeyStoreEntry, type Keyport } from '@keyport/core';

/** The stores the CLI can open: the embedded keyring (core) and a GnuPG home (the gnupg module). */
export const STORE_IDS = ['embedded', 'gnupg'] as const;

/** `--store`, else KEYPORT_STORE, else the setting `store` (default embedded). */
export function storeChoice(kp: Keyport, flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const [choice, from] = flag ? [flag, '--store'] : env.KEYPORT_STORE ? [env.KEYPORT_STORE, 'KEYPORT_STORE'] : [kp.settings.get<string>('store'), 'the setting store'];
  if (!(STORE_IDS as readonly string[]).includes(choice)) {
    throw new InputError(ErrorCodes.Usage, `${from} names the key store "${choice}", which keyport does not know`, {
      nextStep: `use one of: ${STORE_IDS.join(', ')}`,
    });
  }
  return choice;
}

/**
 * The key store this run works on. `gnupg` needs the gnupg module: when it is disabled (or left
 * out of this build) keyport says so and works on the embedded store rather than failing, since
 * the user chose to turn the module off.
 */
export async function openStore(kp: Keyport, flag: string | undefined, env: NodeJS.ProcessEnv, warn: (text: string) => void): Promise<KeyStore> {
  if (storeChoice(kp, flag, env) === 'embedded') return kp.store;
  // Loaded only when chosen: a run on the embedded store does not parse the gnupg module's code.
  const gnupg = await import('@keyport/plugin-gnupg');
  if (!kp.modules.isEnabled('gnupg') || typeof gnupg.GnupgKeyStore !== 'function') {
    warn(`the gnupg module is ${gnupg.GnupgKeyStore ? 'disabled' : 'not built into this keyport'}; using the embedded store (${kp.store.location}) instead. Run \`keyport modules enable gnupg\` to work on GnuPG's keyring`);
    return kp.store;
  }
  return gnupg.GnupgKeyStore.open({
    dataDir: kp.paths.keyringDir,
    homedir: kp.settings.get<string | null>('gnupg.homedir') ?? undefined,
    program: kp.settings.get<string | null>('gnupg.program') ?? undefined,
    env,
  });
}

/** A store entry in the shape the printers take (the embedded keyring's record), with the key's metadata. */
export function recordOf(entry: KeyStoreEntry, meta: Record<string, unknown> = {}): KeyRecord {
  const { primary, subkeys } = entry.secret;
  return {
    summary: entry.summary,
    // The printers know present/stub/absent; a key on a card is, like a stub, not usable here.
    secretPrimary: primary === 'card' ? 'stub' : primary,
    hasSecret: primary !== 'absent' || Object.values(subkeys).some((s) => s !== 'absent'),
    hash: '',
    meta,
  };
}

/** `list --filter` on any store, sorted by fingerprint as the embedded keyring lists. */
export async function listRecords(kp: Keyport, store: KeyStore, filter: KeyFilter): Promise<KeyRecord[]> {
  // The embedded index knows which keys have only secret subkeys; its contract view does not yet (ADR 0010).
  if (store === kp.store) return kp.keyring.list(filter);
  const now = Date.now();
  // No metadata: a listing prints none, and reading it per key would cost a read per key.
  const records = (await store.list()).map((e) => recordOf(e));
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
  return recordOf(entry, await store.metadata.get(entry.summary.fingerprint));
}
