import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '@keyport/core';
import { fixturePath, listenOnLoopback, manifest, startHagridFixture, startHkpFixture, type RunningHkpFixture } from '@keyport/test-fixtures';
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

  it('without the HKP module, searching an HKP server is refused with the command that enables HKP', async () => {
    // An http(s) server not in the list is HKP, as GnuPG takes it; VKS is never tried instead.
    const r = await keyport(['search', 'eddie@example.org', '--server', server.url, '--modules', '-hkp'], { home: tempHome() });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^keyport: KP1701 .* is an HKP server and the module for HKP is disabled \(next: enable it with `keyport modules enable hkp`, or add the server/);
    const none = await keyport(['search', 'eddie@example.org', '--server', server.url, '--modules', '-hkp,-keyserversync'], { home: tempHome() });
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/^keyport: KP1600 no enabled module speaks to http:/);
  });
});

/** A loopback web server that is not a key server: `answer` decides every response. */
async function webServer(answer: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
  const requests: string[] = [];
  const { url, stop } = await listenOnLoopback(
    http.createServer((req, res) => {
      requests.push(req.url ?? '');
      answer(req, res);
    }),
  );
  return { url, requests, stop };
}
const NGINX_404 = '<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

describe('a web server is not taken for a key server', () => {
  for (const [name, answer] of [
    ['an HTML 404 page', (_: http.IncomingMessage, res: http.ServerResponse) => res.writeHead(404, { 'content-type': 'text/html' }).end(NGINX_404)],
    ['a bare 404', (_: http.IncomingMessage, res: http.ServerResponse) => res.writeHead(404).end()],
    // What Hockeypuck says for an unknown key, said here to every request.
    ['a plain "Not Found"', (_: http.IncomingMessage, res: http.ServerResponse) => res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not Found\n')],
  ] as const) {
    it(`servers test fails for a server answering ${name} to everything`, async () => {
      const web = await webServer(answer);
      try {
        const r = await keyport(['servers', 'test', web.url, '--json'], { home: tempHome() });
        expect(r.status).toBe(1);
        const [result] = JSON.parse(r.stdout) as { speaksProtocol: boolean; detail: string }[];
        expect(result).toMatchObject({ speaksProtocol: false });
        expect(result!.detail).not.toMatch(/speaks/);
        const added = await keyport(['servers', 'add', web.url], { home: tempHome() });
        expect(added.status).toBe(1);
        expect(added.stderr).toContain(ErrorCodes.NotAKeyserver);
      } finally {
        await web.stop();
      }
    });
  }

  it('a search that gets an HTML 404 is an error (exit 1), not "no keys found"', async () => {
    const web = await webServer((_, res) => res.writeHead(404, { 'content-type': 'text/html' }).end(NGINX_404));
    try {
      // Not in the list: taken for HKP, and its answer shows it is no key server.
      const unlisted = await keyport(['search', 'eddie@example.org', '--server', web.url], { home: tempHome() });
      expect(unlisted.status).toBe(1);
      expect(unlisted.stderr).toMatch(new RegExp(`^keyport: ${ErrorCodes.NotAKeyserver} `));
      // Listed as HKP (named by hand): the search answer itself is refused.
      const h = tempHome();
      expect((await keyport(['servers', 'add', web.url, '--protocol', 'hkp'], { home: h })).status).toBe(0);
      for (const args of [['search', 'eddie@example.org'], ['import', manifest.ed25519.fingerprint]]) {
        const r = await keyport([...args, '--server', web.url], { home: h });
        expect(r.status, args.join(' ')).toBe(1);
        expect(r.stderr).toMatch(new RegExp(`^keyport: ${ErrorCodes.NotAKeyserver} .*does not look like a key server`));
      }
    } finally {
      await web.stop();
    }
  });

  it('key servers answering "not found" in their own dialect still count', async () => {
    for (const dialect of ['sks', 'hockeypuck-2.2', 'hockeypuck-2.4', 'hagrid'] as const) {
      const hkp = await startHkpFixture({ dialect, keys: [] });
      try {
        const h = tempHome();
        const tested = await keyportJson<{ speaksProtocol: boolean; engine: string }[]>(['servers', 'test', hkp.url], { home: h });
        expect(tested[0], dialect).toMatchObject({ speaksProtocol: true, engine: 'hkp' });
        expect(await keyportJson<unknown[]>(['search', 'nobody@example.org', '--server', hkp.url], { home: h }), dialect).toEqual([]);
      } finally {
        await hkp.stop();
      }
    }
  });
});

describe('a server keeps the protocol it was added with', () => {
  it('from its scheme, its probe or --protocol; stored, listed, and not changed by toggling modules', async () => {
    const hagrid = await startHagridFixture();
    // Speaks VKS only: Hagrid's look-up answers, nothing under /pks.
    const vksOnly = await webServer((req, res) =>
      req.url?.startsWith('/vks/v1/by-fingerprint/') ? res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' }).end('No key found for this fingerprint.') : res.writeHead(404).end('not found'),
    );
    try {
      const h = tempHome();
      expect(await keyportJson(['servers', 'add', server.url], { home: h })).toMatchObject({ protocol: 'hkp' });
      expect(await keyportJson(['servers', 'add', server.url.replace('http://', 'hkps://')], { home: h })).toMatchObject({ protocol: 'hkp' });
      expect(await keyportJson(['servers', 'add', vksOnly.url], { home: h })).toMatchObject({ protocol: 'vks' });
      // Hagrid speaks both; a listed server answers searches, so HKP (which can search) wins.
      expect(await keyportJson(['servers', 'add', hagrid.url], { home: h })).toMatchObject({ protocol: 'hkp' });
      const listed = await keyportJson<{ url: string; protocol: string }[]>(['servers', 'list'], { home: h });
      expect(Object.fromEntries(listed.map((e) => [e.url, e.protocol]))).toMatchObject({ [server.url]: 'hkp', [vksOnly.url]: 'vks', [hagrid.url]: 'hkp' });
      const settings = JSON.parse(readFileSync(path.join(h, 'settings.json'), 'utf8')) as { keyservers: { protocols: Record<string, string> } };
      expect(settings.keyservers.protocols).toMatchObject({ [server.url]: 'hkp', [vksOnly.url]: 'vks', [hagrid.url]: 'hkp' });

      // Toggling modules changes nothing about them.
      expect((await keyport(['modules', 'disable', 'hkp'], { home: h })).status).toBe(0);
      const asked = server.requests.length;
      const refused = await keyport(['import', manifest.ed25519.fingerprint, '--server', server.url], { home: h });
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(new RegExp(`^keyport: ${ErrorCodes.ModuleRequired} ${server.url} is an HKP server and the module for HKP is disabled \\(next: enable it with \`keyport modules enable hkp\`\\)`));
      expect(server.requests.length).toBe(asked);
      expect((await keyport(['servers', 'add', 'hkps://keys.example.org'], { home: h })).stderr).toContain('keyport modules enable hkp');
      expect((await keyport(['modules', 'enable', 'hkp'], { home: h })).status).toBe(0);
      expect((await keyportJson<{ url: string; protocol: string }[]>(['servers', 'list'], { home: h })).map((e) => e.protocol)).toEqual(listed.map((e) => e.protocol));
      expect((await keyportJson<{ results: { status: string }[] }>(['import', manifest.ed25519.fingerprint, '--server', server.url], { home: h })).results).toMatchObject([{ status: 'new' }]);

      // Named by hand when it cannot be asked.
      expect(await keyportJson(['servers', 'add', 'https://unreachable.invalid', '--protocol', 'vks'], { home: h })).toMatchObject({ protocol: 'vks' });
      expect((await keyport(['servers', 'add', 'https://other.invalid', '--protocol', 'gopher'], { home: h })).stderr).toMatch(/^keyport: KP1002 no protocol "gopher"/);
    } finally {
      await hagrid.stop();
      await vksOnly.stop();
    }
  });

  it('settings from before protocols were stored: http(s) entries are HKP, as they always were used', async () => {
    const h = tempHome();
    writeFileSync(path.join(h, 'settings.json'), JSON.stringify({ keyservers: { list: [server.url, 'hkps://keys.example.org'], default: server.url } }));
    const listed = await keyportJson<{ url: string; protocol: string }[]>(['servers', 'list'], { home: h });
    expect(listed.map((e) => [e.url, e.protocol])).toEqual([
      [server.url, 'hkp'],
      ['hkps://keys.example.org', 'hkp'],
    ]);
    const r = await keyport(['--modules', '-hkp', 'search', 'eddie@example.org'], { home: h });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('keyport modules enable hkp');
    expect(await keyportJson<unknown[]>(['search', 'eddie@example.org'], { home: h })).toHaveLength(1);
  });
});
