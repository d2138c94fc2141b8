import { mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** A file's size, mtime and inode, which change whenever it is written or replaced; `undefined` when it cannot be read. */
export function fileStamp(file: string): string | undefined {
  try {
    const s = statSync(file);
    return `${s.size}:${s.mtimeMs}:${s.ino}`;
  } catch {
    return undefined;
  }
}

/** Writes `text` whole: to a temporary file beside `file`, then renamed over it, so a crash leaves the old or the new file. */
export function replaceFile(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, file);
}
