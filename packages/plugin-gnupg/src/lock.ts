import { mkdirSync, openSync, closeSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ErrorCodes, KeyringError } from '@keyport/core';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * keyport's own lock for one store: a file created with O_EXCL holding the owner's pid. A lock
 * whose owner is gone is taken over. gpg keeps its own dot-lock on the keybox; this one only
 * keeps two keyport processes from interleaving their read-compare-import steps and metadata writes.
 */
export async function withFileLock<T>(file: string, work: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  mkdirSync(path.dirname(file), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let fd: number | undefined;
  while (fd === undefined) {
    try {
      fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let owner = NaN;
      try {
        owner = Number(readFileSync(file, 'utf8'));
      } catch {}
      if (Number.isInteger(owner) && owner > 0 && !alive(owner)) {
        try {
          unlinkSync(file);
        } catch {}
        continue;
      }
      if (Date.now() > deadline) {
        throw new KeyringError(ErrorCodes.KeyringLocked, `another keyport process (pid ${owner}) is writing to this key store`, {
          retryable: true,
          nextStep: 'wait for it to finish, then retry',
        });
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    return await work();
  } finally {
    closeSync(fd);
    try {
      unlinkSync(file);
    } catch {}
  }
}
