import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixturePath, manifest } from '@keyport/test-fixtures';
import { keyport, keyportAsync, tempHome } from './helpers.js';

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

describe('a search index line with a time out of range', () => {
  it('lists the key with that time unknown, never KP1000', async () => {
    const index = 'info:1:1\npub:FE15B9EFC66328DCC34F2E1D9777995843EF1A44:22:256:9000000000000::\nuid:Eddie:::\n';
    const server = createServer((_req, res) => res.end(index));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const h = tempHome();
      const human = await keyportAsync(['search', 'eddie', '--server', url], { home: h });
      expect(human.stderr).toBe('');
      expect(human.status).toBe(0);
      expect(human.stdout).toContain('FE15B9EFC66328DCC34F2E1D9777995843EF1A44  ed25519  created unknown  expires never');
      const json = await keyportAsync(['search', 'eddie', '--server', url, '--json'], { home: h });
      expect(JSON.parse(json.stdout)).toMatchObject([{ fingerprint: 'FE15B9EFC66328DCC34F2E1D9777995843EF1A44', created: null, expires: null, userIds: ['Eddie'] }]);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
