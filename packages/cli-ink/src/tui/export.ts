import { constants } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCodes, KeyportError, armorPublicKey } from '@keyport/core';
import type { TuiStore } from './store.js';

/** The file to export to exists and the user has not said to replace it. */
export class ExportTargetExists extends Error {
  constructor(readonly path: string) {
    super(`${path} exists`);
  }
}

/**
 * Writes the public keys of `fingerprints` as one armored block (as `gpg --export --armor`
 * does) to `file`. Never replaces an existing file unless `overwrite`; the file appears whole or
 * not at all (written beside it, then renamed).
 */
export async function exportKeys(
  store: Pick<TuiStore, 'readPublic'>,
  fingerprints: readonly string[],
  file: string,
  options: { overwrite: boolean },
): Promise<{ path: string; count: number }> {
  const target = path.resolve(file.replace(/^~(?=$|\/)/, process.env.HOME ?? '~'));
  const parts: Uint8Array[] = [];
  for (const f of fingerprints) parts.push(await store.readPublic(f));
  const armored = armorPublicKey(Buffer.concat(parts));
  const temp = `${target}.${process.pid}.tmp`;
  try {
    const handle = await open(temp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o644);
    try {
      await handle.writeFile(armored);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (e) {
    await rm(temp, { force: true });
    throw cannotWrite(target, e);
  }
  try {
    if (!options.overwrite) {
      // Claim the name first: a file created meanwhile is not replaced either.
      try {
        const claim = await open(target, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o644);
        await claim.close();
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new ExportTargetExists(target);
        throw e;
      }
    }
    await rename(temp, target);
  } catch (e) {
    await rm(temp, { force: true });
    throw e instanceof ExportTargetExists ? e : cannotWrite(target, e);
  }
  return { path: target, count: fingerprints.length };
}

function cannotWrite(target: string, e: unknown): KeyportError {
  const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
  return new KeyportError(code === 'ENOSPC' || code === 'EDQUOT' ? ErrorCodes.StorageFull : ErrorCodes.StorageFailed, `cannot write ${target} (${code})`, {
    cause: e,
    nextStep: code === 'ENOENT' ? 'name a file in a folder that exists' : 'choose another file or folder you can write to',
  });
}
