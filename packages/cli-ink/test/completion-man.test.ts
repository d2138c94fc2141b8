import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { keyport, tempDir, tempHome } from './helpers.js';
import { bashCompletions } from './bash-complete.js';

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('keyport completion', () => {
  const home = tempHome();
  const dir = tempDir('keyport-completion-');
  const script = path.join(dir, 'keyport.bash');
  const generated = keyport(['completion', 'bash'], { home });
  writeFileSync(script, generated.stdout);
  writeFileSync(path.join(dir, 'pubring.asc'), '');

  const complete = (...words: string[]): string[] => bashCompletions(script, dir, words);

  it('prints a bash script that registers itself when sourced', () => {
    expect(generated.status).toBe(0);
    expect(generated.stderr).toBe('');
    const r = spawnSync('bash', ['--norc', '--noprofile', '-c', `source ${JSON.stringify(script)} && complete -p keyport`], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('complete -F _keyport keyport');
  });

  it('completes the real commands, their options and values', () => {
    const top = complete('');
    for (const command of ['completion', 'config', 'delete', 'export', 'import', 'list', 'publish', 'search', 'servers', 'show', 'status', 'sync', 'verify']) expect(top).toContain(command);
    // Internal commands are not offered.
    expect(top).not.toContain('man-page');
    expect(complete('ex')).toEqual(['export']);
    expect(complete('servers', '')).toEqual(['add', 'default', 'edit', 'list', 'remove', 'test']);
    expect(complete('export', '--m')).toEqual(['--minimal', '--modules']);
    expect(complete('--home', 'x', 'export', '--b')).toEqual(['--binary']);
    expect(complete('import', '--file', 'pu')).toEqual(['pubring.asc']);
    expect(complete('completion', '')).toEqual(['bash', 'fish', 'zsh']);
  });

  it('prints zsh and fish scripts, and refuses another shell with a usage error', () => {
    const zsh = keyport(['completion', 'zsh'], { home });
    expect(zsh.status).toBe(0);
    expect(zsh.stdout.startsWith('#compdef keyport\n')).toBe(true);
    const fish = keyport(['completion', 'fish'], { home });
    expect(fish.status).toBe(0);
    expect(fish.stdout).toContain("complete -c keyport -n '__keyport_path_is' -a 'export'");
    const bad = keyport(['completion', 'tcsh'], { home });
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^keyport: KP1002 .*tcsh.*\(next: see `keyport completion --help`\)\n$/);
  });
});

describe('the shipped man page', () => {
  const manifest = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { man?: string[]; files?: string[] };

  it('is named in package.json and renders with man -l without warnings', () => {
    expect(manifest.man).toEqual(['./dist/man/keyport.1']);
    const file = path.join(pkgDir, manifest.man![0]!);
    const r = spawnSync('man', ['--warnings', '-l', file], { encoding: 'utf8', env: { ...process.env, MANPAGER: 'cat', MANWIDTH: '100', LC_ALL: 'C.UTF-8' } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^NAME\n\s+keyport - /m);
    for (const heading of ['SYNOPSIS', 'OPTIONS', 'COMMANDS']) expect(r.stdout).toMatch(new RegExp(`^${heading}$`, 'm'));
    for (const command of ['keyport export', 'keyport publish', 'keyport servers add', 'keyport completion']) expect(r.stdout).toContain(command);
    expect(r.stdout).toContain('--output FILE');
    expect(r.stdout).not.toContain('man-page');
  });
});
