import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bashCompletion, fishCompletion, manPage, zshCompletion, type CommandSpec } from '../src/docs-gen/index.js';
import { bashCompletions } from './bash-complete.js';

// A sample of the command tree: global options, a command with a variadic argument and options
// with values (a path, a closed set), nested subcommands and an argument with choices.
const spec: CommandSpec = {
  name: 'keyport',
  summary: 'a key-server client for OpenPGP power users',
  description: ['keyport looks up, imports, exports and publishes OpenPGP keys.', '.A line that starts with a dot, and a back\\slash.'],
  options: [
    { long: '--json', description: 'Print JSON.' },
    { long: '--proxy', valueName: 'URL', description: 'Send every request through this proxy (http://, socks5://, socks5h://).' },
  ],
  subcommands: [
    {
      name: 'export',
      summary: 'Write keys to a file or standard output',
      arguments: [{ name: 'IDS', optional: true, variadic: true, description: 'Fingerprints, key IDs or addresses.' }],
      options: [
        { long: '--output', short: '-o', valueName: 'FILE', valueIsPath: true, description: 'Write to FILE.' },
        { long: '--minimal', description: "Only the newest self-signature per component; no third-party [signatures]: it's smaller." },
        { long: '--format', valueName: 'FORMAT', choices: ['armor', 'binary'], description: 'Output format.' },
      ],
    },
    {
      name: 'keyserver',
      summary: 'Manage the server list',
      subcommands: [
        { name: 'add', summary: 'Add a key server', arguments: [{ name: 'URL' }] },
        { name: 'list', summary: 'Show the server list' },
      ],
    },
    { name: 'completion', summary: 'Print a shell completion script', arguments: [{ name: 'SHELL', choices: ['bash', 'zsh', 'fish'] }] },
  ],
};

const dirs: string[] = [];
const tempFile = (name: string, text: string) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keyport-docs-gen-'));
  dirs.push(dir);
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return { dir, file };
};
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('bash completion', () => {
  const { dir, file } = tempFile('keyport.bash', bashCompletion(spec));
  writeFileSync(path.join(dir, 'a-file.asc'), '');

  const complete = (...words: string[]): string[] => bashCompletions(file, dir, words);

  it('is registered by sourcing the script', () => {
    const r = spawnSync('bash', ['--norc', '--noprofile', '-c', `source ${JSON.stringify(file)} && complete -p keyport`], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('complete -F _keyport keyport');
  });

  it('offers the commands, options and values of the command reached', () => {
    expect(complete('')).toEqual(['completion', 'export', 'keyserver']);
    expect(complete('ex')).toEqual(['export']);
    expect(complete('--json', 'k')).toEqual(['keyserver']);
    expect(complete('--proxy', 'socks5h://x', 'keyserver', '')).toEqual(['add', 'list']);
    expect(complete('export', '--')).toEqual(['--format', '--json', '--minimal', '--output', '--proxy']);
    expect(complete('export', '--format', '')).toEqual(['armor', 'binary']);
    expect(complete('export', '-o', 'a-')).toEqual(['a-file.asc']);
    expect(complete('export', 'ABCD', '--m')).toEqual(['--minimal']);
    expect(complete('completion', '')).toEqual(['bash', 'fish', 'zsh']);
    expect(complete('--')).toEqual(['--json', '--proxy']);
  });
});

describe('man page', () => {
  it('renders with man -l, without warnings, with every command and option', () => {
    const { file } = tempFile('keyport.1', manPage(spec, { version: '0.1.0', date: '2026-11-29', seeAlso: ['gpg(1)'] }));
    const r = spawnSync('man', ['--warnings', '-l', file], { encoding: 'utf8', env: { ...process.env, MANPAGER: 'cat', MANWIDTH: '100', LC_ALL: 'C.UTF-8' } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // Not a terminal: man-db prints plain text, no overstriking.
    const text = r.stdout;
    for (const heading of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'COMMANDS', 'SEE ALSO']) expect(text).toMatch(new RegExp(`^${heading}$`, 'm'));
    expect(text).toContain('keyport - a key-server client for OpenPGP power users');
    expect(text).toContain('keyport keyserver add');
    expect(text).toContain('-o, --output FILE');
    expect(text).toContain('One of: armor, binary.');
    // Text that roff would otherwise read as a request or an escape comes through as written.
    expect(text).toContain('.A line that starts with a dot, and a back\\slash.');
    expect(text.replace(/\s+/g, ' ')).toContain("no third-party [signatures]: it's smaller.");
  });
});

describe('zsh and fish completion', () => {
  // Neither shell is part of the test environment: the scripts are checked for what they must
  // contain (bash, which is, runs its script above).
  it('name every command and option', () => {
    const zsh = zshCompletion(spec);
    expect(zsh.startsWith('#compdef keyport\n')).toBe(true);
    expect(zsh).toContain("'(-o --output)'{-o,--output}'[Write to FILE.]:FILE:_files'");
    expect(zsh).toContain("'--format[Output format.]:FORMAT:(armor binary)'");
    expect(zsh).toContain("'--minimal[Only the newest self-signature per component; no third-party \\[signatures\\]\\: it'\\''s smaller.]'");
    expect(zsh).toContain("commands=('add:Add a key server' 'list:Show the server list')");
    expect(zsh).toContain("':SHELL:(bash zsh fish)'");
    const fish = fishCompletion(spec);
    expect(fish).toContain("complete -c keyport -n '__keyport_path_is' -a 'export' -d 'Write keys to a file or standard output'");
    expect(fish).toContain("complete -c keyport -n '__keyport_path_is export' -l output -s o -r -F -d 'Write to FILE.'");
    expect(fish).toContain("complete -c keyport -n '__keyport_path_is keyserver' -a 'add' -d 'Add a key server'");
    expect(fish).toContain("complete -c keyport -n '__keyport_path_is completion' -a 'bash zsh fish'");
  });
});
