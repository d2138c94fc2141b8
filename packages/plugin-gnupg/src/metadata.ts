import { readFileSync } from 'node:fs';
import { ErrorCodes, KeyringError, type KeyStoreMetadata, type MetaUpdate } from '@keyport/core';
import { fileStamp, replaceFile } from './files.js';

/**
 * Plugins' per-key metadata for a store that cannot hold it (GnuPG): one JSON file in keyport's
 * data folder, written whole to a temporary file and renamed, so a crash leaves the old or the
 * new file, never half of one. Callers serialise writers with the store's lock.
 */
export class JsonFileMetadata implements KeyStoreMetadata {
  constructor(readonly file: string) {}

  /**
   * The file as last parsed, by its size, time and inode: a listing reads every key's metadata,
   * and parsing the whole file once per key made listing 905 keys cost a third of a second.
   * Writers (here or in another process) replace the file, which changes the inode.
   */
  private parsed: { version: string; all: Record<string, Record<string, unknown>> } | undefined;

  private readShared(): Readonly<Record<string, Readonly<Record<string, unknown>>>> {
    const version = fileStamp(this.file);
    if (version === undefined) return {};
    if (this.parsed?.version !== version) this.parsed = { version, all: this.read() };
    return this.parsed.all;
  }

  private read(): Record<string, Record<string, unknown>> {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return {};
    }
    try {
      return JSON.parse(text) as Record<string, Record<string, unknown>>;
    } catch (error) {
      throw new KeyringError(ErrorCodes.KeyringCorrupt, `the key store metadata ${this.file} is not valid JSON`, {
        cause: error,
        nextStep: `move ${this.file} aside; keyport then starts with no publish status or tokens for this store`,
      });
    }
  }

  private write(all: Record<string, Record<string, unknown>>): void {
    replaceFile(this.file, JSON.stringify(all));
  }

  async get(fingerprint: string): Promise<Record<string, unknown>> {
    // A copy: the parsed file is shared by every read until the file changes.
    return structuredClone(this.readShared()[fingerprint.toUpperCase()] ?? {}) as Record<string, unknown>;
  }

  async set(fingerprint: string, namespace: string, value: unknown): Promise<void> {
    await this.setMany([{ fingerprint, namespace, value }]);
  }

  async setMany(updates: readonly MetaUpdate[]): Promise<void> {
    if (updates.length === 0) return;
    const all = this.read();
    for (const u of updates) {
      const fpr = u.fingerprint.toUpperCase();
      const meta = (all[fpr] ??= {});
      if (u.value === undefined) delete meta[u.namespace];
      else meta[u.namespace] = u.value;
      if (Object.keys(meta).length === 0) delete all[fpr];
    }
    this.write(all);
  }

  async forget(fingerprint: string): Promise<void> {
    const all = this.read();
    if (!(fingerprint.toUpperCase() in all)) return;
    delete all[fingerprint.toUpperCase()];
    this.write(all);
  }
}
