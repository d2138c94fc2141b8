import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath, manifest, startHkpFixture, type RunningHkpFixture } from '@keyport/test-fixtures';
import { keyportAsync as keyport, keyportJsonAsync as keyportJson, tempHome } from './helpers.js';

let server: RunningHkpFixture;
beforeAll(async () => {
  server = await startHkpFixture({
    dialect: 'hockeypuck-2.4',
    keys: ['ed25519', 'rsa4096', 'expired'].map((n) => readFileSync(fixturePath(manifest[n as 'ed25519'].file), 'utf8')),
  });
});
afterAll(async () => {
  await server.stop();
});

describe('key server commands', () => {
  it('search --json prints the documented objects', async () => {
    const hits = await keyportJson<Record<string, unknown>[]>(['search', 'eddie@example.org', '--server', server.url], { home: tempHome() });
    expect(hits).toHaveLength(1);
    expect(Object.keys(hits[0]!).sort()).toEqual(['algorithm', 'bits', 'created', 'curve', 'disabled', 'expired', 'expires', 'fingerprint', 'keyId', 'revoked', 'source', 'sources', 'userIds']);
    expect(hits[0]).toMatchObject({ fingerprint: manifest.ed25519.fingerprint, keyId: manifest.ed25519.keyId, revoked: false, expired: false });
    // One algorithm naming everywhere: the search hit names the key as `list` does.
    expect(hits[0]).toMatchObject({ algorithm: 'ed25519', bits: 255, curve: 'ed25519' });
    const home = tempHome();
    await keyportJson(['import', manifest.ed25519.fingerprint, '--server', server.url], { home });
    expect((await keyportJson<Record<string, unknown>[]>(['list'], { home }))[0]).toMatchObject({ algorithm: 'ed25519', bits: 255, curve: 'ed25519' });
    const expired = await keyportJson<{ expired: boolean }[]>(['search', manifest.expired.fingerprint, '--server', server.url], { home: tempHome() });
    expect(expired[0]!.expired).toBe(true);
  });

  it('refuses short key IDs and says why', async () => {
    const r = await keyport(['search', '0xCC6578BE', '--server', server.url], { home: tempHome() });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^keyport: KP1204 .*short key ID/);
  });

  it('imports by fingerprint and email with the import schema, not-found marked', async () => {
    const home = tempHome();
    const report = await keyportJson<{ results: { status: string; fingerprint: string | null; query: string }[]; summary: Record<string, number> }>(
      ['import', manifest.rsa4096.fingerprint, 'eddie@example.org', '--server', server.url],
      { home },
    );
    expect(report.results.map((r) => [r.status, r.fingerprint])).toEqual([
      ['new', manifest.rsa4096.fingerprint],
      ['new', manifest.ed25519.fingerprint],
    ]);
    const missing = await keyport(['import', 'nobody@example.org', '--server', server.url, '--json'], { home });
    expect(missing.status).toBe(1);
    expect(JSON.parse(missing.stdout).results[0]).toMatchObject({ status: 'not-found', fingerprint: null, query: 'nobody@example.org' });
    const both = await keyport(['import', 'x@y.org', '--file', fixturePath(manifest.rsa4096.file)], { home });
    expect(both.status).toBe(2);
  });

  it('manages the server list: add, default, edit, test, remove', async () => {
    const home = tempHome();
    const initial = await keyportJson<{ url: string; isDefault: boolean }[]>(['servers', 'list'], { home });
    expect(initial.map((s) => [s.url, s.isDefault])).toEqual([
      ['https://keyserver.ubuntu.com', true],
      ['https://keys.openpgp.org', false],
    ]);
    const add = await keyport(['servers', 'add', `  ${server.url}/  `], { home });
    expect(add.status).toBe(0);
    expect(add.stderr).toMatch(/warning: .*plain HTTP/);
    expect((await keyport(['servers', 'add', server.url], { home })).stderr).toMatch(/^keyport: KP1601 /);
    expect((await keyport(['servers', 'add', 'gopher://keys.example.org'], { home })).stderr).toMatch(/^keyport: KP1600 /);
    expect((await keyport(['servers', 'default', server.url], { home })).status).toBe(0);
    // The default server answers searches without --server.
    expect(await keyportJson<unknown[]>(['search', 'eddie@example.org'], { home })).toHaveLength(1);
    const tested = await keyportJson<{ speaksProtocol: boolean; latencyMs: number }[]>(['servers', 'test', server.url], { home });
    expect(tested[0]).toMatchObject({ speaksProtocol: true });
    const listed = await keyportJson<{ url: string; lastTest: { ok: boolean } | null }[]>(['servers', 'list'], { home });
    expect(listed.find((s) => s.url === server.url)!.lastTest).toMatchObject({ ok: true });
    expect((await keyport(['servers', 'edit', server.url, server.url.replace('http://', 'hkp://')], { home })).status).toBe(0);
    expect((await keyport(['servers', 'remove', server.url.replace('http://', 'hkp://')], { home })).status).toBe(0);
    const after = await keyportJson<{ url: string; isDefault: boolean }[]>(['servers', 'list'], { home });
    expect(after.map((s) => [s.url, s.isDefault])).toEqual([
      ['https://keyserver.ubuntu.com', true],
      ['https://keys.openpgp.org', false],
    ]);
    expect((await keyport(['servers', 'remove', 'https://nowhere.example'], { home })).stderr).toMatch(/^keyport: KP1602 /);
  });

  it('without the HKP module, searching says no module can do it', async () => {
    // VKS still speaks to http(s) servers but has no search verb.
    const r = await keyport(['search', 'eddie@example.org', '--server', server.url, '--modules', '-hkp'], { home: tempHome() });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^keyport: KP1603 no enabled module can search on http:/);
    const none = await keyport(['search', 'eddie@example.org', '--server', server.url, '--modules', '-hkp,-keyserversync'], { home: tempHome() });
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/^keyport: KP1600 no enabled module speaks to http:/);
  });
});
