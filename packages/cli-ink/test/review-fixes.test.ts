import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixturePath, manifest } from '@keyport/test-fixtures';
import { keyport, tempHome } from './helpers.js';

describe('usage errors', () => {
  it('are one KP1002 line naming the help to read, and with --json also the error object on stdout', () => {
    const h = tempHome();
    const cases: [string[], string, string][] = [
      [['bogus'], "unknown command 'bogus'", '`keyport --help`'],
      [['show'], "missing required argument 'id'", '`keyport show --help`'],
      [['servers', 'list', '--bogus'], "unknown option '--bogus'", '`keyport servers list --help`'],
    ];
    for (const [args, message, help] of cases) {
      const human = keyport(args, { home: h });
      expect(human.status, args.join(' ')).toBe(2);
      expect(human.stderr).toBe(`keyport: KP1002 ${message} (next: see ${help})\n`);
      expect(human.stdout).toBe('');
      const json = keyport(['--json', ...args], { home: h });
      expect(json.status).toBe(2);
      expect(json.stderr).toBe(`keyport: KP1002 ${message} (next: see ${help})\n`);
      expect(JSON.parse(json.stdout)).toEqual({ error: expect.objectContaining({ code: 'KP1002', message, nextStep: `see ${help}` }) });
    }
  });
});

describe('servers list', () => {
  it('marks only the entry requests go to as the default when one server is listed under two schemes', () => {
    const h = tempHome();
    writeFileSync(path.join(h, 'settings.json'), JSON.stringify({ keyservers: { list: ['hkps://keys.openpgp.org', 'https://keys.openpgp.org'], default: 'https://keys.openpgp.org' } }));
    const json = keyport(['servers', 'list', '--json'], { home: h });
    expect(json.status).toBe(0);
    expect((JSON.parse(json.stdout) as { url: string; isDefault: boolean }[]).map((e) => [e.url, e.isDefault])).toEqual([
      ['hkps://keys.openpgp.org', false],
      ['https://keys.openpgp.org', true],
    ]);
    const human = keyport(['servers', 'list'], { home: h }).stdout.split('\n').filter((l) => l.startsWith('*'));
    expect(human).toHaveLength(1);
    expect(human[0]).toContain('https://keys.openpgp.org');
  });
});

describe('a lock path that is a directory', () => {
  it('is refused at once with its name and the fix; the keyring is untouched', () => {
    const h = tempHome();
    expect(keyport(['import', '--file', fixturePath(manifest.ed25519.file)], { home: h }).status).toBe(0);
    const lock = path.join(h, 'keyring', 'lock');
    mkdirSync(lock);
    const index = readFileSync(path.join(h, 'keyring', 'index.json'), 'utf8');
    const started = Date.now();
    const r = keyport(['import', '--file', fixturePath(manifest.rsa4096.file)], { home: h });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`KP1206 the lock ${lock} is a directory, not a lock file (next: remove it (rmdir '${lock}'), then run the command again)`);
    expect(readFileSync(path.join(h, 'keyring', 'index.json'), 'utf8')).toBe(index);
  });
});
