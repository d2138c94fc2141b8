import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';

/**
 * What bash offers after `keyport WORDS...` (the last word being completed), sorted: `script` is
 * sourced in a clean bash whose working folder is `dir` (so file names complete from there).
 */
export function bashCompletions(script: string, dir: string, words: string[]): string[] {
  const lines = [
    `source ${JSON.stringify(script)}`,
    `cd ${JSON.stringify(dir)}`,
    `COMP_WORDS=(keyport ${words.map((w) => `'${w}'`).join(' ')})`,
    `COMP_CWORD=${words.length}`,
    '_keyport',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', lines], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return r.stdout.split('\n').filter(Boolean).sort();
}
