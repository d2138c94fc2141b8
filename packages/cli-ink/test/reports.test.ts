import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureArmored, manifest, startHkpFixture, startWkdFixture, type RunningHkpFixture, type RunningWkdFixture } from '@keyport/test-fixtures';
import { homeWith, keyport, keyportAsync, keyportJson, keyportJsonAsync, tempHome } from './helpers.js';

const homes: string[] = [];
const track = (home: string) => (homes.push(home), home);
afterAll(() => {
  for (const h of homes) rmSync(h, { recursive: true, force: true });
});

type Hit = { fingerprint: string; algorithm: string; bits: number | null; curve: string | null; source: string; sources: string[] };
type Report = { server: string; results: { fingerprint: string | null; status: string; query?: string; source?: string; sources?: string[] }[]; summary: Record<string, number> };

describe('one key is reported once, wherever it came from', () => {
  let wkd: RunningWkdFixture;
  let hkp: RunningHkpFixture;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    wkd = await startWkdFixture({ 'example.org': { method: 'advanced', policy: '', keys: { rita: [fixtureArmored('rsa4096')] } } });
    hkp = await startHkpFixture({ dialect: 'sks', keys: [fixtureArmored('rsa4096')] });
    env = { NODE_EXTRA_CA_CERTS: wkd.pki.caFile };
  });
  afterAll(async () => {
    await wkd.stop();
    await hkp.stop();
  });
  const home = async () =>
    track(await homeWith([['config', 'set', 'wkd.connectTo', JSON.stringify(wkd.connectTo)], ['servers', 'add', hkp.url], ['servers', 'default', hkp.url]], env));

  it('HKP and WKD answering one email look-up give one hit with two sources and 1 new', async () => {
    const h = await home();
    const hits = await keyportJsonAsync<Hit[]>(['search', 'rita@example.org'], { home: h, env });
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({ fingerprint: manifest.rsa4096.fingerprint, algorithm: 'rsa4096', bits: 4096, curve: null });
    expect(hits[0]!.sources).toEqual([hkp.url, expect.stringMatching(/^wkd \(advanced\) https:\/\/openpgpkey\.example\.org\//)]);
    const human = await keyportAsync(['search', 'rita@example.org'], { home: h, env });
    expect(human.stdout).toContain(`${manifest.rsa4096.fingerprint}  rsa4096  created`);
    expect(human.stdout).toMatch(new RegExp(`from ${hkp.url.replace(/[.]/g, '\\.')} and wkd \\(advanced\\)`));
    expect(human.stdout).toMatch(/\n1 key found\n$/);

    const report = await keyportJsonAsync<Report>(['import', 'rita@example.org'], { home: h, env });
    expect(report.results).toEqual([expect.objectContaining({ fingerprint: manifest.rsa4096.fingerprint, status: 'new', query: 'rita@example.org', sources: [hkp.url, 'wkd'] })]);
    expect(report.summary).toEqual({ new: 1, updated: 0, unchanged: 0, rejected: 0, notFound: 0 });
    expect(report.server).toBe(hkp.url);
    const again = await keyportAsync(['import', 'rita@example.org'], { home: h, env });
    expect(again.stdout).toBe(`unchanged  ${manifest.rsa4096.fingerprint}  Rita RSA <rita@example.org>  from ${hkp.url} and wkd (for rita@example.org)\n           note: found by email address only: a key server does not prove that an address belongs to a key (HKP servers check nothing), so compare the fingerprint with its owner before relying on it\n0 new, 0 updated, 1 unchanged, 0 rejected\n`);
  });

  it('a not-found line names the query and the reason', async () => {
    const h = await home();
    const r = await keyportAsync(['import', 'nobody@example.org', '--server', hkp.url], { home: h, env });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(`not-found  nobody@example.org: ${new URL(hkp.url).host} has no key for nobody@example.org\n0 new, 0 updated, 0 unchanged, 0 rejected, 1 not found\n`);
  });
});

describe('the same key several times in one input', () => {
  it('a file with one key three times gives 1 new', () => {
    const h = track(tempHome());
    const file = path.join(h, 'thrice.asc');
    writeFileSync(file, fixtureArmored('ed25519').repeat(3));
    const report = keyportJson<Report>(['import', '--file', file], { home: h });
    expect(report.results).toHaveLength(1);
    expect(report.summary).toEqual({ new: 1, updated: 0, unchanged: 0, rejected: 0 });
    expect(keyport(['import', '--file', file], { home: h }).stdout).toMatch(/^unchanged {2}[0-9A-F]{40} {2}.*\n0 new, 0 updated, 1 unchanged, 0 rejected\n$/);
  });

  it('a secret key import says a secret key was stored', () => {
    const h = track(tempHome());
    const r = keyport(['import', '--file', path.join(__dirname, '..', '..', 'test-fixtures', 'keys', 'secret.sec.asc')], { home: h });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^new {8}[0-9A-F]{40} {2}.* \(\d+ secret keys? stored\)\n1 new/);
  });
});
