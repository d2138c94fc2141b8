import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ErrorCodes, KeyportError, KeyringError } from '../errors.js';

/** Our temp-file names: `.<name>.<pid>.<8 hex>.tmp` (writeFileAtomic) and `<name>.<pid>.<8 hex>.tmp` (lock staging). */
const ATOMIC_TEMP = /^\.(.+)\.(\d+)\.[0-9a-f]{8}\.tmp$/;
const LOCK_STAGING_TEMP = /^lock(?:\.break)?\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/**
 * Writes a file so that readers, and a crash at any moment, see either the old content or the
 * new one, never a mix: temp file in the same directory, fsync, rename, fsync of the directory.
 */
export async function writeFileAtomic(
  file: string,
  data: Uint8Array | string,
  options: { mode?: number; fsyncDir?: boolean } = {},
): Promise<void> {
  try {
    await writeFileAtomicRaw(file, data, options);
  } catch (e) {
    throw storageError(e, file);
  }
}

async function writeFileAtomicRaw(file: string, data: Uint8Array | string, options: { mode?: number; fsyncDir?: boolean }): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await fs.open(tmp, 'wx', options.mode ?? 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (e) {
    await handle.close().catch(() => undefined);
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await handle.close();
  try {
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  if (options.fsyncDir !== false) await fsyncDir(dir);
}

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Turns a failed write into a coded error that names the file: a full disk or quota
 * (ENOSPC, EDQUOT, EFBIG from a file size limit) or a file system that refuses the write
 * (permissions, read-only, I/O error). Anything else is left as it is.
 */
export function storageError(e: unknown, file: string): unknown {
  if (e instanceof KeyportError) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
    case 'EFBIG':
      return new KeyringError(ErrorCodes.StorageFull, `no space to write ${file} (${code === 'EFBIG' ? 'EFBIG: file size limit reached' : code === 'EDQUOT' ? 'EDQUOT: disk quota used up' : 'ENOSPC: the disk is full'})`, {
        cause: e,
        retryable: true,
        nextStep: 'free some disk space (or raise the quota or file size limit), then run the command again; files already stored were kept whole',
      });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
    case 'EIO':
      return new KeyringError(ErrorCodes.StorageFailed, `cannot write ${file} (${code})`, {
        cause: e,
        nextStep: `check that ${path.dirname(file)} is writable by you and on a healthy, writable file system`,
      });
    default:
      return e;
  }
}

/**
 * Removes temp files left by writers that died before their rename. Only names of our own
 * temp pattern are touched, and with `isTarget` only temps of the files it accepts. With
 * `ownerGone` (the caller holds the lock that every writer of those files holds), the writer is
 * known to be gone whatever its pid now names; otherwise a temp is kept while a process with
 * its pid lives.
 */
export async function removeStaleTemps(dir: string, options: { ownerGone?: boolean; isTarget?: (name: string) => boolean } = {}): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  await Promise.all(
    names.map(async (n) => {
      const atomic = ATOMIC_TEMP.exec(n);
      if (atomic && options.isTarget && !options.isTarget(atomic[1]!)) return;
      // Lock staging files are made before the lock is taken, so their pid is always checked.
      const staging = atomic ? undefined : LOCK_STAGING_TEMP.exec(n);
      if (!atomic && !staging) return;
      const pid = Number(atomic ? atomic[2] : staging![1]);
      if (pid === process.pid) return;
      if (!(atomic && options.ownerGone) && isAlive(pid)) return;
      await fs.rm(path.join(dir, n), { force: true });
    }),
  );
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
