import { promises as fs } from 'node:fs';
import { ErrorCodes, KeyringError } from '../errors.js';
import type { KeyRecord } from './types.js';

/** index.json: every key's summary and metadata, so listing parses nothing. */
export interface IndexFile {
  version: 1;
  keys: Record<string, KeyRecord>;
}

/** Reads the keyring's index file, with a cache keyed by the file's mtime and size. */
export class IndexFileReader {
  private cache?: { mtimeMs: number; size: number; index: IndexFile };

  constructor(
    readonly dir: string,
    readonly path: string,
  ) {}

  /** The committed index, read again only when the file changed (mtime and size). */
  async load(): Promise<IndexFile> {
    let stat;
    let text: string;
    try {
      stat = await fs.stat(this.path);
      if (this.cache && this.cache.mtimeMs === stat.mtimeMs && this.cache.size === stat.size) return this.cache.index;
      text = await fs.readFile(this.path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { version: 1, keys: {} };
      // Not "empty": a writer would then commit an index without the keys it cannot see.
      throw new KeyringError(ErrorCodes.KeyringCorrupt, `cannot read the keyring index ${this.path} (${code ?? (e as Error).message})`, {
        nextStep: `check that ${this.dir} and its index are readable by you; \`keyport keyring rebuild-index\` rebuilds the index from the certificate files`,
      });
    }
    let index: IndexFile;
    try {
      index = JSON.parse(text) as IndexFile;
      if (index.version !== 1 || typeof index.keys !== 'object' || index.keys === null) throw new Error('bad shape');
    } catch {
      throw new KeyringError(ErrorCodes.KeyringCorrupt, `the keyring index ${this.path} is damaged`, {
        nextStep: 'run `keyport keyring rebuild-index` to rebuild it from the certificate files',
      });
    }
    this.cache = { mtimeMs: stat.mtimeMs, size: stat.size, index };
    return index;
  }
}
