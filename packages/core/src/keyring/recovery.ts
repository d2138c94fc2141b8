import { promises as fs } from 'node:fs';
import path from 'node:path';
import { removeStaleTemps, writeFileAtomic } from '../fs/atomic.js';
import type { KeyringError } from '../errors.js';
import { FILE_CONCURRENCY, KEY_FILE, isDamage, removeFile, runLimited } from './files.js';
import type { IndexFile } from './index-file.js';
import type { KeyRecord } from './types.js';

/** What recovery needs from the keyring: its paths, its index, and a key's record rebuilt from its files. */
export interface RecoveryTarget {
  dir: string;
  indexPath: string;
  journalPath: string;
  loadIndex(): Promise<IndexFile>;
  recordFromFiles(fpr: string, meta: Record<string, unknown>): Promise<{ record: KeyRecord; secretDamage?: KeyringError } | undefined>;
}

/**
 * Re-summarises the keys named in a leftover journal and removes temp files of writers that
 * died, everywhere in the keyring (`secret/` included). Caller holds the lock. A damaged
 * certificate file keeps its last index record, so the key stays visible and an import of a
 * good copy repairs it.
 */
export async function recover(k: RecoveryTarget): Promise<void> {
  let journal: { fingerprints: string[] };
  try {
    journal = JSON.parse(await fs.readFile(k.journalPath, 'utf8')) as { fingerprints: string[] };
    if (!Array.isArray(journal.fingerprints)) throw new Error('bad shape');
  } catch {
    journal = { fingerprints: [] };
  }
  const index: IndexFile = await k.loadIndex().catch(() => ({ version: 1 as const, keys: {} }));
  for (const fpr of journal.fingerprints) {
    if (typeof fpr !== 'string' || !/^[0-9A-F]{40,64}$/.test(fpr)) continue;
    let record: KeyRecord | undefined;
    try {
      record = (await k.recordFromFiles(fpr, index.keys[fpr]?.meta ?? {}))?.record;
    } catch (e) {
      if (isDamage(e)) continue;
      throw e;
    }
    if (record) index.keys[fpr] = record;
    else delete index.keys[fpr];
  }
  await writeFileAtomic(k.indexPath, JSON.stringify(index));
  await removeTempsEverywhere(k.dir);
  await removeFile(k.journalPath);
}

/** Temp files of dead writers, in every directory a keyring writer writes to. Caller holds the lock. */
export async function removeTempsEverywhere(dir: string): Promise<void> {
  const certsDir = path.join(dir, 'certs');
  const subs = await fs.readdir(certsDir).catch(() => [] as string[]);
  const keyFiles = [path.join(dir, 'secret'), ...subs.filter((n) => /^[0-9A-F]{2}$/.test(n)).map((n) => path.join(certsDir, n))];
  await runLimited(
    [() => removeTopLevelTemps(dir), ...keyFiles.map((d) => () => removeStaleTemps(d, { ownerGone: true, isTarget: (n) => KEY_FILE.test(n) }))],
    FILE_CONCURRENCY,
  );
}

/** Temp files of the index and journal (and lock staging files of dead processes). Caller holds the lock. */
export function removeTopLevelTemps(dir: string): Promise<void> {
  // Only our own names: settings.json may share this folder when XDG_CONFIG_HOME = XDG_DATA_HOME.
  return removeStaleTemps(dir, { ownerGone: true, isTarget: (n) => n === 'index.json' || n === 'journal.json' });
}
