import path from 'node:path';
import { ErrorCodes, KeyportError, armorPublicKey } from '@keyport/core';
import type { TuiStore } from './store.js';
import { writeFileAtomically } from '../commands/output-file.js';

/** The file to export to exists and the user has not said to replace it. */
export class ExportTargetExists extends Error {
  constructor(readonly path: string) {
    super(`${path} exists`);
  }
}

/**
 * Writes the public keys of `fingerprints` as one armored block (as `gpg --export --armor`
 * does) to `file`. Never replaces an existing file unless `overwrite`; the file appears whole or
 * not at all (as `export --output` writes it: {@link writeFileAtomically}).
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
  try {
    await writeFileAtomically(target, Buffer.from(armored, 'ascii'), { force: options.overwrite });
  } catch (e) {
    if (!options.overwrite && (e as NodeJS.ErrnoException).code === 'EEXIST') throw new ExportTargetExists(target);
    throw cannotWrite(target, e);
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
