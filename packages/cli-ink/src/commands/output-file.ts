import { randomBytes } from 'node:crypto';
import { link, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCodes, InputError, KeyringError } from '@keyport/core';

/**
 * Writes `data` to `file` so that a reader sees either nothing (or the old file) or all of it:
 * a temporary file beside it, synced, then linked into place (refused if the name exists) or,
 * with `force`, renamed over it. A failure leaves no temporary file behind.
 */
export async function writeOutputFile(file: string, data: Uint8Array, options: { force?: boolean } = {}): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  const temp = path.join(dir, `.${path.basename(file)}.keyport-${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    // link() refuses an existing name in one step: no window in which another file could be clobbered.
    if (options.force) await rename(temp, file);
    else await link(temp, file);
  } catch (e) {
    throw outputError(e, file);
  } finally {
    await unlink(temp).catch(() => {});
  }
}

function outputError(e: unknown, file: string): unknown {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'EEXIST':
      return new InputError(ErrorCodes.Usage, `${file} already exists`, { nextStep: 'add --force to replace it, or give another --output file' });
    case 'ENOENT':
    case 'ENOTDIR':
      return new InputError(ErrorCodes.Usage, `cannot write ${file}: its folder does not exist`, { nextStep: 'create the folder first, or give another --output file' });
    case 'EISDIR':
      return new InputError(ErrorCodes.Usage, `cannot write ${file}: it is a folder`, { nextStep: 'give a file name, not a folder, to --output' });
    case 'ENOSPC':
    case 'EDQUOT':
    case 'EFBIG':
      return new KeyringError(ErrorCodes.StorageFull, `no space to write ${file} (${code})`, { cause: e, nextStep: 'free some disk space, then run the command again; nothing was written' });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
    case 'EIO':
      return new KeyringError(ErrorCodes.StorageFailed, `cannot write ${file} (${code})`, { cause: e, nextStep: `check that ${path.dirname(path.resolve(file))} is writable by you, or give another --output file` });
    default:
      return e;
  }
}
