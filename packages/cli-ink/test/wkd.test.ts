import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureArmored, manifest, startHkpFixture, startWkdFixture, type RunningHkpFixture, type RunningWkdFixture } from '@keyport/test-fixtures';
import { keyportAsync as keyport, keyportJsonAsync as keyportJson, homeWith } from './helpers.js';

let wkd: RunningWkdFixture;
let hkp: RunningHkpFixture;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  wkd = await startWkdFixture({
    'example.org': { method: 'advanced', policy: '', keys: { rita: [fixtureArmored('rsa4096')], nobody: [fixtureArmored('ed25519')] } },
    'work.example': { method: 'direct', keys: { rita: [fixtureArmored('rsa4096')] } },
  });
  // An empty key server as the default: whatever keyport finds here comes from WKD.
  hkp = await startHkpFixture({ dialect: 'sks', keys: [] });
  // The fixture's CA is trusted the way a user would trust a private CA: NODE_EXTRA_CA_CERTS.
  env = { NODE_EXTRA_CA_CERTS: wkd.pki.caFile };
});
afterAll(async () => {
  await wkd.stop();
  await hkp.stop();
});

function home(): Promise<string> {
  return homeWith(
    [
      ['config', 'set', 'wkd.connectTo', JSON.stringify(wkd.connectTo)],
      ['servers', 'add', hkp.url],
      ['servers', 'default', hkp.url],
    ],
    env,
  );
}

type ImportReport = { results: { fingerprint: string | null; status: string; reason: string | null; userIds?: string[]; source?: string }[] };

describe('WKD through the CLI (TLS fixture, CA trusted through NODE_EXTRA_CA_CERTS)', () => {
  it('imports by email through the advanced method, keeping only the queried user ID', async () => {
    const h = await home();
    const r = await keyportJson<ImportReport>(['import', 'rita@example.org', '--source', 'wkd'], { home: h, env });
    expect(r.results).toMatchObject([{ fingerprint: manifest.rsa4096.fingerprint, status: 'new', userIds: ['Rita RSA <rita@example.org>'], source: 'wkd' }]);
    const shown = await keyportJson<{ pluginDetails: { label: string; value: string }[] }>(['show', 'rita@example.org'], { home: h, env });
    expect(shown.pluginDetails).toEqual([{ label: 'WKD', value: expect.stringMatching(/^rita@example\.org \(advanced method, \d{4}-\d\d-\d\d\)$/), pluginId: 'wkd' }]);
  });

  it('imports through the direct method when openpgpkey.<domain> does not exist', async () => {
    const h = await home();
    const r = await keyportJson<ImportReport>(['import', 'rita@work.example', '--source', 'wkd'], { home: h, env });
    expect(r.results).toMatchObject([{ status: 'new', userIds: ['Rita at work <rita@work.example>'] }]);
    expect(wkd.requests.some((q) => q.startsWith('work.example /.well-known/openpgpkey/hu/'))).toBe(true);
  });

  it('rejects a certificate that does not carry the queried address', async () => {
    const h = await home();
    const r = await keyport(['import', 'nobody@example.org', '--source', 'wkd', '--json'], { home: h, env });
    expect(r.status).toBe(1);
    const report = JSON.parse(r.stdout) as ImportReport;
    expect(report.results).toMatchObject([{ fingerprint: manifest.ed25519.fingerprint, status: 'rejected', reason: expect.stringContaining('no user ID with the address nobody@example.org') }]);
    expect(JSON.parse((await keyport(['list', '--json'], { home: h, env })).stdout)).toEqual([]);
  });

  it('an email import without --source asks the default server and WKD; search marks where hits came from', async () => {
    const h = await home();
    const hits = await keyportJson<{ fingerprint: string; source: string }[]>(['search', 'rita@example.org'], { home: h, env });
    expect(hits).toEqual([expect.objectContaining({ fingerprint: manifest.rsa4096.fingerprint, source: expect.stringMatching(/^wkd \(advanced\) https:\/\/openpgpkey\.example\.org\//) })]);
    const r = await keyportJson<ImportReport>(['import', 'rita@example.org'], { home: h, env });
    expect(r.results).toMatchObject([{ status: 'new', source: 'wkd' }]);
    // Naming a server asks that server only.
    const onlyServer = await keyport(['import', 'rita@example.org', '--server', hkp.url, '--json'], { home: h, env });
    expect((JSON.parse(onlyServer.stdout) as ImportReport).results).toMatchObject([{ status: 'not-found' }]);
  });

  it('sync refreshes keys that came from WKD from WKD, even when the key server lacks them', async () => {
    const h = await home();
    await keyportJson(['import', 'rita@example.org', '--source', 'wkd'], { home: h, env });
    const before = wkd.requests.length;
    const r = await keyportJson<{ results: { fingerprint: string; status: string }[] }>(['--modules', '-keyserversync', 'sync', '--all', '--yes'], { home: h, env });
    expect(r.results).toEqual([expect.objectContaining({ fingerprint: manifest.rsa4096.fingerprint, status: 'unchanged' })]);
    expect(wkd.requests.slice(before).some((q) => q.startsWith('openpgpkey.example.org /.well-known/openpgpkey/example.org/hu/'))).toBe(true);
  });

  it('without the CA, the TLS check fails with a clear error and nothing is imported', async () => {
    const h = await home();
    const r = await keyport(['import', 'rita@example.org', '--source', 'wkd'], { home: h, env: { NODE_EXTRA_CA_CERTS: '' } });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/KP1500 .*failed the TLS check/);
    expect(JSON.parse((await keyport(['list', '--json'], { home: h })).stdout)).toEqual([]);
  });
});
