import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { attackerCertificate, fixturePath, manifest, splitPackets, v4Fingerprint, hostileBinary, type HostileKey } from '@keyport/test-fixtures';
import { homeWith, keyportAsync as keyport, tempDir } from './helpers.js';

// Findings of the outside review of issue 10 (import pipeline), against the built CLI.

const victim = manifest.ed25519;
const toRevoke = manifest['to-revoke'];

interface Listed {
  fingerprint: string;
  revoked: boolean;
}

async function listed(home: string): Promise<Listed[]> {
  const r = await keyport(['list', '--json'], { home });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Listed[];
}

/** A loopback HKP server that answers every key look-up with `answer` (and records the requests). */
const servers: http.Server[] = [];
async function hkpAnswering(answer: Uint8Array | string): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url?.startsWith('/pks/lookup') && req.url.includes('op=get')) {
      res.writeHead(200, { 'content-type': 'application/pgp-keys' }).end(Buffer.from(answer));
    } else res.writeHead(404, { 'content-type': 'text/plain' }).end('No results found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

describe('a revocation certificate after its key in one file', () => {
  it.each([
    ['key then revocation', [toRevoke.file, 'to-revoke.rev.asc']],
    ['another key, the key, its revocation', [victim.file, toRevoke.file, 'to-revoke.rev.asc']],
  ])('import --file revokes the key: %s', async (_, files) => {
    const dir = tempDir('keyport-review-');
    const input = path.join(dir, 'tr.asc');
    writeFileSync(input, Buffer.concat(files.map((f) => readFileSync(fixturePath(f)))));
    const home = await homeWith([]);
    const r = await keyport(['import', '--file', input, '--json'], { home });
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { results: { fingerprint: string; status: string; added: { revocations: number } }[] };
    expect(report.results.find((x) => x.fingerprint === toRevoke.fingerprint)).toMatchObject({ status: 'new', added: { revocations: 1 } });
    expect((await listed(home)).find((k) => k.fingerprint === toRevoke.fingerprint)!.revoked).toBe(true);
    const again = await keyport(['import', '--file', input, '--json'], { home });
    expect((JSON.parse(again.stdout) as typeof report).results.find((x) => x.fingerprint === toRevoke.fingerprint)!.status).toBe('unchanged');
  });
});

describe('sync answered with a lone revocation of another key', () => {
  it('reports one result, under the key asked about, naming the revocation\'s issuer; nothing changes', async () => {
    const server = await hkpAnswering(readFileSync(fixturePath('to-revoke.rev.asc')));
    const home = await homeWith([
      ['import', '--file', fixturePath(victim.file)],
      ['import', '--file', fixturePath(toRevoke.file)],
      ['servers', 'add', server.url, '--protocol', 'hkp'],
      ['servers', 'default', server.url],
    ]);
    const r = await keyport(['--modules', '-keyserversync', 'sync', victim.fingerprint, '--json'], { home });
    expect(server.requests.some((u) => u.includes('op=get'))).toBe(true);
    expect(r.status, r.stdout + r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as { results: { fingerprint: string; status: string; reason: string }[] };
    expect(report.results).toEqual([
      expect.objectContaining({ fingerprint: victim.fingerprint, status: 'rejected', reason: expect.stringContaining(`issued by key ${toRevoke.fingerprint}, not by the requested key`) }),
    ]);
    expect((await listed(home)).every((k) => !k.revoked)).toBe(true);
  });
});

describe('look-up by a subkey the keyring already holds', () => {
  it('import of the subkey fingerprint refuses another certificate carrying it; the owner stays the only holder', async () => {
    const subkeyFpr = victim.subkeys[0]!;
    const body = splitPackets(await hostileBinary(readFileSync(fixturePath(victim.file), 'utf8')))
      .map((p) => Buffer.from(p.body))
      .find((b) => b[0] === 4 && v4Fingerprint(b) === subkeyFpr)!;
    const subkey: HostileKey = { body, fingerprint: subkeyFpr, keyId: subkeyFpr.slice(-16) };
    const mallory = attackerCertificate({ subkey, binding: 'attacker-encrypt' });
    const server = await hkpAnswering(mallory.bytes);
    const home = await homeWith([['import', '--file', fixturePath(victim.file)], ['servers', 'add', server.url, '--protocol', 'hkp']]);
    const r = await keyport(['--modules', '-keyserversync', 'import', subkeyFpr, '--server', server.url], { home });
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stdout + r.stderr).toContain(`already holds ${subkeyFpr} as a subkey of ${victim.fingerprint}`);
    expect((await listed(home)).map((k) => k.fingerprint)).toEqual([victim.fingerprint]);
    const shown = await keyport(['show', subkeyFpr, '--json'], { home });
    expect(shown.status, shown.stderr).toBe(0);
  });
});
