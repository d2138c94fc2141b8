import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { keyport, keyportJson } from './helpers.js';

const homes: string[] = [];
afterAll(() => {
  for (const h of homes) rmSync(h, { recursive: true, force: true });
});
/** A home whose settings file holds `settings` as written by hand. */
function homeWithSettings(settings: unknown): { home: string; file: string } {
  const home = mkdtempSync(path.join(os.tmpdir(), 'keyport-settings-'));
  homes.push(home);
  const file = path.join(home, 'settings.json');
  if (settings !== undefined) writeFileSync(file, JSON.stringify(settings));
  return { home, file };
}

describe('settings are checked together', () => {
  it('refuses to load a default server that is not in the list, naming the file and the fix', () => {
    const { home, file } = homeWithSettings({ keyservers: { list: ['https://keys.openpgp.org'], default: 'https://keyserver.ubuntu.com' } });
    const before = readFileSync(file, 'utf8');
    const r = keyport(['config', 'get', 'keyservers.default'], { home });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      `keyport: KP1101 ${file}: the default server https://keyserver.ubuntu.com is not in "keyservers.list" (https://keys.openpgp.org) ` +
        `(next: set "keyservers.default" to one of the listed servers, or add https://keyserver.ubuntu.com to "keyservers.list" in ${file})\n`,
    );
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('refuses to load an empty server list', () => {
    const { home, file } = homeWithSettings({ keyservers: { list: [] } });
    const r = keyport(['servers', 'list'], { home });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`KP1101 ${file}: "keyservers.list" is empty`);
    expect(r.stderr).toContain(`(next: put at least one server in "keyservers.list", e.g. ["https://keyserver.ubuntu.com"] in ${file})`);
  });

  it('config set refuses a default outside the list, and an empty list, with the servers commands to use', () => {
    const { home, file } = homeWithSettings(undefined);
    const def = keyport(['config', 'set', 'keyservers.default', 'https://keys.example.org'], { home });
    expect(def.status).toBe(2);
    expect(def.stderr).toContain('KP1103 refused: the default server https://keys.example.org is not in "keyservers.list"');
    expect(def.stderr).toContain('next: use `keyport servers add https://keys.example.org`, then `keyport servers default https://keys.example.org`');
    const empty = keyport(['config', 'set', 'keyservers.list', '[]'], { home });
    expect(empty.status).toBe(2);
    expect(empty.stderr).toContain('KP1103 refused: "keyservers.list" is empty');
    expect(empty.stderr).toContain('`keyport servers add URL`');
    // Dropping the default from the list through config set is the same disagreement.
    expect(keyport(['config', 'set', 'keyservers.list', '["https://keys.openpgp.org"]'], { home }).stderr).toContain('KP1103 refused: the default server https://keyserver.ubuntu.com');
    expect(() => readFileSync(file)).toThrow();
    // The servers commands keep both in step: removing the default hands the role on in one write.
    expect(keyportJson<{ url: string; isDefault: boolean }[]>(['servers', 'remove', 'https://keyserver.ubuntu.com'], { home })).toEqual([expect.objectContaining({ url: 'https://keys.openpgp.org', isDefault: true })]);
    const last = keyport(['servers', 'remove', 'https://keys.openpgp.org'], { home });
    expect(last.status).toBe(2);
    expect(last.stderr).toContain('is the only key server');
  });

  it('warns about unknown keys with the nearest known key, and goes on', () => {
    const { home, file } = homeWithSettings({ netwrk: { timeoutMs: 5000 }, network: { timeoutMS: 5000 } });
    const r = keyport(['config', 'get', 'network.timeoutMs'], { home });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('30000\n');
    expect(r.stderr).toContain(`keyport: warning: ${file}: unknown setting "netwrk" is ignored (next: did you mean "network"?`);
    expect(r.stderr).toContain(`unknown setting "network.timeoutMS" is ignored (next: did you mean "network.timeoutMs"?`);
  });

  it('a disabled module\'s settings are not unknown', () => {
    const { home } = homeWithSettings({ modules: { wkd: false }, wkd: { connectTo: {} } });
    expect(keyport(['config', 'list'], { home }).stderr).toBe('');
  });

  it('one endpoint under two schemes is one server: refused on add, warned about on load', () => {
    const { home, file } = homeWithSettings(undefined);
    const r = keyport(['servers', 'add', 'hkps://keys.openpgp.org'], { home });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('KP1601 hkps://keys.openpgp.org is already in the list as https://keys.openpgp.org (the same server)');
    writeFileSync(file, JSON.stringify({ keyservers: { list: ['https://keys.openpgp.org', 'hkps://keys.openpgp.org:443'], default: 'hkps://keys.openpgp.org:443' } }));
    const listed = keyport(['servers', 'list', '--json'], { home });
    expect(listed.stderr).toContain('hkps://keys.openpgp.org:443 and https://keys.openpgp.org in "keyservers.list" are the same server');
    expect((JSON.parse(listed.stdout) as { isDefault: boolean }[]).map((s) => s.isDefault)).toEqual([false, true]); // only the entry requests go to
  });

  it('config list hides internal state and shows each setting\'s type, allowed values and default', () => {
    const { home } = homeWithSettings({ keyservers: { lastTest: { 'https://keys.openpgp.org': { ok: false, latencyMs: null, detail: 'x', at: '2026-01-01T00:00:00.000Z' } } } });
    const rows = keyportJson<{ key: string; type: string; allowed: string | null; default: unknown }[]>(['config', 'list'], { home });
    expect(rows.map((r) => r.key)).not.toContain('keyservers.lastTest');
    expect(rows.find((r) => r.key === 'network.timeoutMs')).toMatchObject({ type: 'integer', allowed: '100..600000', default: 30000 });
    expect(rows.find((r) => r.key === 'keyservers.list')).toMatchObject({ type: 'list of URLs', allowed: null });
    expect(keyport(['config', 'list'], { home }).stdout).toContain('network.timeoutMs = 30000\n    Total time one HTTP request may take, body included (integer, 100..600000; default 30000)\n');
  });
});

describe('next steps that work in the current state', () => {
  it('with HKP disabled, next steps name only what an enabled module takes', () => {
    const { home } = homeWithSettings(undefined);
    // An hkp:// server is an HKP server whatever is enabled: the next step is the module.
    const r = keyport(['--modules', '-hkp', 'servers', 'add', 'hkp://keys.example.org'], { home });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^keyport: KP1701 hkp:\/\/keys\.example\.org is an HKP server and the module for HKP is disabled \(next: enable it with `keyport modules enable hkp`\)\n$/);
    const f = keyport(['--modules', '-hkp', 'servers', 'add', 'ftp://keys.example.org'], { home });
    expect(f.status).toBe(2);
    expect(f.stderr).toMatch(/^keyport: KP1600 no enabled module speaks to ftp:\/\/ servers \(next: use https:\/\/, http:\/\/, or enable the module for ftp:\/\//);
    expect(f.stderr).not.toContain('hkps://');
    expect(f.stderr).not.toContain('hkp://');
    const none = keyport(['--modules', '-hkp,-keyserversync', 'servers', 'add', 'ftp://keys.example.org'], { home });
    expect(none.stderr).toContain('next: no enabled module speaks to key servers: enable one');
  });

  it('an unreachable default server names --server and `keyport servers default`; servers list shows why a test failed', () => {
    const { home } = homeWithSettings({ keyservers: { list: ['http://127.0.0.1:1', 'https://keys.openpgp.org'], default: 'http://127.0.0.1:1' } });
    const s = keyport(['--modules', '-wkd', 'search', 'alice@example.org'], { home });
    expect(s.status).toBe(1);
    expect(s.stderr).toMatch(/^keyport: KP1500 127\.0\.0\.1:1 .*\(next: .*or ask another server: `--server URL` for this command, or `keyport servers default https:\/\/keys\.openpgp\.org`\)\n$/);
    expect(keyport(['servers', 'test', 'http://127.0.0.1:1'], { home }).status).toBe(1);
    const listed = keyport(['servers', 'list'], { home }).stdout.split('\n')[0]!;
    expect(listed).toMatch(/^\* http:\/\/127\.0\.0\.1:1 +hkp +PLAIN {2}failed \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\): \S/);
    expect(listed).not.toContain('- ms');
  });
});
