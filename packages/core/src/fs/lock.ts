import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import { ErrorCodes, KeyringError } from '../errors.js';
import { isAlive } from './atomic.js';

/** How old a lock file without a holder must be before it is taken for stale. */
const UNNAMED_LOCK_GRACE_MS = 5_000;

export interface LockOptions {
  /** How long to wait for another holder before giving up. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * An exclusive lock that holds across processes and within one process.
 *
 * The lock file is created with O_EXCL and names its holder (host, pid, nonce). A holder that
 * died (SIGKILL, power loss) leaves the file behind; a waiter breaks it only after checking the
 * pid is gone, and only while holding a short-lived `.break` file so two waiters cannot both
 * break it and then delete each other's fresh lock.
 */
export class FileLock {
  private queue: Promise<void> = Promise.resolve();
  private readonly breakPath: string;

  constructor(private readonly lockPath: string) {
    this.breakPath = `${lockPath}.break`;
  }

  /** Runs `fn` while holding the lock; the lock is released whatever happens. */
  async withLock<T>(fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
    // In-process callers queue up first, so only one of them contends for the file.
    const previous = this.queue;
    let release!: () => void;
    this.queue = new Promise<void>((r) => (release = r));
    await previous;
    try {
      const token = await this.acquire(options);
      try {
        return await fn();
      } finally {
        await this.releaseFile(token);
      }
    } finally {
      release();
    }
  }

  private async acquire(options: LockOptions): Promise<string> {
    const token = `${os.hostname()} ${process.pid} ${randomBytes(8).toString('hex')}`;
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    let delay = 5;
    for (;;) {
      options.signal?.throwIfAborted();
      if (await this.tryCreate(token)) return token;
      await this.breakIfStale();
      if (Date.now() > deadline) {
        const holder = await fs.readFile(this.lockPath, 'utf8').catch(() => 'unknown');
        throw new KeyringError(ErrorCodes.KeyringLocked, `the keyring is locked by another keyport (${holder.split(' ').slice(0, 2).join(' pid ')})`, {
          retryable: true,
          nextStep: 'wait for the other keyport to finish, then try again',
        });
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 100);
    }
  }

  /**
   * Creates the lock file with its content in one step: the token goes to a private file first,
   * which is then hard-linked to the lock path (fails if it exists). A holder killed at any
   * moment leaves either no lock or a lock that names it, never an empty one. File systems
   * without hard links fall back to O_EXCL create-then-write.
   */
  private async tryCreate(token: string): Promise<boolean> {
    const staging = `${this.lockPath}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await fs.writeFile(staging, token, { flag: 'wx', mode: 0o600 });
      try {
        await fs.link(staging, this.lockPath);
        return true;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') return false;
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw e;
      }
    } finally {
      await fs.rm(staging, { force: true });
    }
    try {
      await fs.writeFile(this.lockPath, token, { flag: 'wx', mode: 0o600 });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      return false;
    }
  }

  private async breakIfStale(): Promise<void> {
    const content = await fs.readFile(this.lockPath, 'utf8').catch(() => undefined);
    if (content === undefined) return;
    const [host, pidText] = content.split(' ');
    const pid = Number(pidText);
    // A lock without a holder (left by the create-then-write fallback, or an older keyport,
    // killed in between) is stale once it is clearly not being written any more.
    const unnamed = !host || !Number.isInteger(pid);
    if (unnamed) {
      const age = await fs.stat(this.lockPath).then((st) => Date.now() - st.mtimeMs, () => 0);
      if (age < UNNAMED_LOCK_GRACE_MS) return;
    } else if (host !== os.hostname() || isAlive(pid)) {
      // A lock from another host (shared home over NFS) is never broken automatically.
      return;
    }
    try {
      await fs.writeFile(this.breakPath, String(process.pid), { flag: 'wx' });
    } catch {
      await this.clearStaleBreaker();
      return;
    }
    try {
      const again = await fs.readFile(this.lockPath, 'utf8').catch(() => undefined);
      if (again === content) await fs.rm(this.lockPath, { force: true });
    } finally {
      await fs.rm(this.breakPath, { force: true });
    }
  }

  private async clearStaleBreaker(): Promise<void> {
    const pid = Number(await fs.readFile(this.breakPath, 'utf8').catch(() => 'x'));
    if (Number.isInteger(pid) && !isAlive(pid)) await fs.rm(this.breakPath, { force: true });
  }

  private async releaseFile(token: string): Promise<void> {
    const content = await fs.readFile(this.lockPath, 'utf8').catch(() => undefined);
    if (content === token) await fs.rm(this.lockPath, { force: true });
  }
}
