import { promises as fs } from 'node:fs';
import path from 'node:path';
import { storageError } from '../fs/atomic.js';
import { FileLock, type LockOptions } from '../fs/lock.js';

/** The keyring's writer lock: one file lock in the keyring folder, held by every writer. */
export class KeyringLock {
  private readonly lock: FileLock;

  constructor(readonly dir: string) {
    this.lock = new FileLock(path.join(dir, 'lock'));
  }

  /** Runs `fn` under the keyring lock; the lock lives in the keyring folder, so a first write creates it. */
  async run<T>(fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 }).catch((e: unknown) => {
      throw storageError(e, this.dir);
    });
    return this.lock.withLock(fn, options);
  }
}
