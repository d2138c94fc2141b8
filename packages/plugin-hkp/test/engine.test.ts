import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes, KeyportError, createKeyport, readPackets, dearmorAll, type Keyport } from '@keyport/core';
import { fixtureArmored, fixturePath, manifest, startAnsweringServer, startHkpFixture, type HkpDialect, type HostileMode, type RunningHkpFixture } from '@keyport/test-fixtures';
import { hkpPlugin } from '../src/index.js';

const running: RunningHkpFixture[] = [];
afterEach(async () => {
  for (const f of running.splice(0)) await f.stop();
});

async function setup(dialect: HkpDialect, hostile?: HostileMode, network: Record<string, number> = {}) {
  const fixture = await startHkpFixture({
    dialect,
    hostile,
    keys: [fixtureArmored('ed25519'), fixtureArmored('rsa4096'), fixtureArmored('revoked'), fixtureArmored('expired')],
    secretKey: readFileSync(fixturePath(manifest.secret.secretFile!), 'utf8'),
  });
  running.push(fixture);
  const home = mkdtempSync(path.join(os.tmpdir(), 'kp-hkp-'));
  const kp: Keyport = await createKeyport({ home, plugins: [hkpPlugin] });
  for (const [k, v] of Object.entries(network)) await kp.settings.set(k, v);
  const fresh = Object.keys(network).length ? await createKeyport({ home, plugins: [hkpPlugin] }) : kp;
  return { fixture, kp: fresh };
}

describe.each(['sks', 'hockeypuck-2.2', 'hockeypuck-2.4', 'hagrid'] as const)('HKP engine against a %s-like server', (dialect) => {
  it('finds a key by fingerprint with its user IDs, algorithm and dates', async () => {
    const { fixture, kp } = await setup(dialect);
    const { hits } = await kp.keyservers.search(manifest.rsa4096.fingerprint, fixture.url);
    expect(hits).toHaveLength(1);
    const hit = hits[0]!;
    // Hockeypuck 2.2 sends fingerprints only with fingerprint=on, which we always send.
    expect(hit.fingerprint).toBe(manifest.rsa4096.fingerprint);
    expect(hit.keyId).toBe(manifest.rsa4096.keyId);
    expect([hit.algorithm, hit.bits]).toEqual(['rsa4096', 4096]);
    expect(hit.created).toBe(manifest.rsa4096.created);
    expect(hit.userIds.sort()).toEqual([...manifest.rsa4096.userIds].sort());
    const sent = new URL(fixture.requests.at(-1)!.url, 'http://x');
    expect(Object.fromEntries(sent.searchParams)).toMatchObject({ op: 'index', options: 'mr', fingerprint: 'on', search: `0x${manifest.rsa4096.fingerprint}` });
  });

  it('finds by exact email, reports not found as an empty list, and marks revoked and expired keys', async () => {
    const { fixture, kp } = await setup(dialect);
    const byMail = await kp.keyservers.search('eddie@example.org', fixture.url);
    expect(byMail.hits.map((h) => h.fingerprint)).toEqual([manifest.ed25519.fingerprint]);
    expect(new URL(fixture.requests.at(-1)!.url, 'http://x').searchParams.get('exact')).toBe('on');
    expect((await kp.keyservers.search('nobody@example.org', fixture.url)).hits).toEqual([]);
    const revoked = (await kp.keyservers.search(manifest.revoked.fingerprint, fixture.url)).hits[0]!;
    expect(revoked.revoked).toBe(dialect !== 'hockeypuck-2.2'); // 2.2 never sends the r flag
    if (dialect !== 'hagrid') {
      const expired = (await kp.keyservers.search(manifest.expired.fingerprint, fixture.url)).hits[0]!;
      expect(expired.expired).toBe(true); // computed locally from the expiry date
    }
  });

  it('imports exactly the requested key, by fingerprint and by a subkey fingerprint', async () => {
    const { fixture, kp } = await setup(dialect);
    const r = await kp.keyservers.importFromServer([manifest.ed25519.fingerprint], fixture.url);
    expect(r.results.map((x) => [x.fingerprint, x.status])).toEqual([[manifest.ed25519.fingerprint, 'new']]);
    const again = await kp.keyservers.importFromServer([`0x${manifest.ed25519.keyId}`], fixture.url);
    expect(again.results.map((x) => x.status)).toEqual(['unchanged']);
    if (dialect !== 'hagrid') {
      const sub = await kp.keyservers.importFromServer([manifest.rsa4096.subkeys[0]!], fixture.url);
      expect(sub.results.map((x) => [x.fingerprint, x.status])).toEqual([[manifest.rsa4096.fingerprint, 'new']]);
    }
    expect((await kp.keyservers.importFromServer(['nobody@example.org'], fixture.url)).results[0]!.status).toBe('not-found');
  });
});

describe('HKP engine against hostile servers', () => {
  it.each([
    ['wrong-key', /does not match the requested fingerprint/],
    ['extra-key', /does not match the requested fingerprint/],
    ['secret-key', /secret key material/],
  ] as const)('%s: the unwanted key is rejected with the reason and only what was asked is kept', async (mode, reason) => {
    const { fixture, kp } = await setup('sks', mode);
    const r = await kp.keyservers.importFromServer([manifest.ed25519.fingerprint], fixture.url);
    const rejected = r.results.filter((x) => x.status === 'rejected');
    expect(rejected.length).toBeGreaterThan(0);
    for (const x of rejected) expect(x.reason).toMatch(reason);
    const kept = (await kp.keyring.list()).map((k) => k.summary.fingerprint);
    expect(kept.every((f) => f === manifest.ed25519.fingerprint)).toBe(true);
    if (mode === 'extra-key') expect(kept).toEqual([manifest.ed25519.fingerprint]);
    await expect(kp.keyring.list('secret')).resolves.toEqual([]);
  });

  it.each([
    ['endless', ErrorCodes.ResponseTooLarge],
    ['drip', ErrorCodes.NetworkTimeout],
    ['reset', ErrorCodes.NetworkUnreachable],
    ['html-200', ErrorCodes.NotAKeyserver],
  ] as const)('%s: a clear coded error within the limits, nothing imported', async (mode, code) => {
    const { fixture, kp } = await setup('sks', mode, { 'network.timeoutMs': 1500, 'network.maxResponseBytes': 1024 * 1024 });
    for (const call of [() => kp.keyservers.importFromServer([manifest.ed25519.fingerprint], fixture.url), () => kp.keyservers.search('eddie@example.org', fixture.url)]) {
      const e = await call().then(() => undefined, (err: unknown) => err);
      expect(e).toBeInstanceOf(KeyportError);
      expect((e as KeyportError).code).toBe(code);
      expect((e as KeyportError).message).toContain('127.0.0.1');
    }
    expect(await kp.keyring.count()).toBe(0);
  });
});

describe('publishing over HKP', () => {
  it('from a keyring that holds the secret key, uploads public packets only', async () => {
    const fixture = await startHkpFixture({ dialect: 'sks', keys: [] });
    running.push(fixture);
    const kp = await createKeyport({ home: mkdtempSync(path.join(os.tmpdir(), 'kp-pub-')), plugins: [hkpPlugin], env: {} });
    await kp.keyservers.add(fixture.url);
    await kp.keyservers.setDefault(fixture.url);
    const imported = await kp.importer.import(new Uint8Array(readFileSync(fixturePath(manifest.secret.secretFile!))), { origin: { kind: 'file', name: 'secret' } });
    // The check means something only if there is secret material to leak.
    expect(imported.results[0]).toMatchObject({ status: 'new', secretKeysStored: 2 });
    await kp.publishing.publish(manifest.secret.fingerprint, { verify: 'none' });
    const body = fixture.requests.find((r) => r.method === 'POST')!.body;
    const tags = readPackets(dearmorAll(new TextEncoder().encode(decodeURIComponent(body.slice('keytext='.length))))).map((p) => p.tag);
    expect(tags).toContain(6);
    expect(tags.filter((t) => t === 5 || t === 7)).toEqual([]);
  });

  it.each(['sks', 'hockeypuck-2.4', 'hagrid'] as const)('%s: sends keytext first, GnuPG-encoded, public packets only', async (dialect) => {
    const fixture = await startHkpFixture({ dialect, keys: [] });
    running.push(fixture);
    const kp = await createKeyport({ home: mkdtempSync(path.join(os.tmpdir(), 'kp-pub-')), plugins: [hkpPlugin] });
    const engine = kp.engines.all().find((e) => e.id === 'hkp')!;
    const outcome = await engine.upload!(new URL(fixture.url), fixtureArmored('pair-new'));
    expect(outcome.accepted).toEqual([manifest['pair-new'].fingerprint]);
    expect(outcome.failed).toEqual([]);
    const body = fixture.requests.find((r) => r.method === 'POST')!.body;
    expect(body.startsWith('keytext=')).toBe(true);
    expect(body.slice('keytext='.length)).not.toMatch(/[+/=\n ]/);
    const sent = decodeURIComponent(body.slice('keytext='.length));
    const tags = readPackets(dearmorAll(new TextEncoder().encode(sent))).map((p) => p.tag);
    expect(tags).not.toContain(5);
    expect(tags).not.toContain(7);
    // The server now serves the key.
    const r = await kp.keyservers.importFromServer([manifest['pair-new'].fingerprint], fixture.url);
    expect(r.results[0]!.status).toBe('new');
  });
});

describe('probe', () => {
  it('tells a key server from a web page', async () => {
    const good = await startHkpFixture({ dialect: 'sks', keys: [] });
    const portal = await startHkpFixture({ dialect: 'sks', keys: [], hostile: 'html-200' });
    running.push(good, portal);
    const kp = await createKeyport({ home: mkdtempSync(path.join(os.tmpdir(), 'kp-probe-')), plugins: [hkpPlugin] });
    expect(await kp.keyservers.test(good.url)).toMatchObject({ reachable: true, speaksProtocol: true, engine: 'hkp' });
    expect(await kp.keyservers.test(portal.url)).toMatchObject({ reachable: true, speaksProtocol: false });
    const closed = await kp.keyservers.test('http://127.0.0.1:1');
    expect(closed).toMatchObject({ reachable: false, speaksProtocol: false });
  });
});

describe('Hockeypuck quirks', () => {
  it('a hard-revoked key served as a lone revocation signature revokes the local copy', async () => {
    const openpgp = await import('openpgp');
    const key = await openpgp.readKey({ armoredKey: fixtureArmored('to-revoke') });
    const { publicKey: revoked } = await openpgp.revokeKey({
      key: key as never,
      revocationCertificate: readFileSync(fixturePath('to-revoke.rev.asc'), 'utf8'),
      format: 'armored',
    });
    const fixture = await startHkpFixture({ dialect: 'hockeypuck-2.4', keys: [revoked] });
    running.push(fixture);
    const kp = await createKeyport({ home: mkdtempSync(path.join(os.tmpdir(), 'kp-hp-')), plugins: [hkpPlugin] });
    const fpr = manifest['to-revoke'].fingerprint;
    // Without the key locally there is nothing to attach the signature to.
    const lone = await kp.keyservers.importFromServer([fpr], fixture.url);
    expect(lone.results.map((r) => r.status)).toEqual(['rejected']);
    await kp.importer.import(new TextEncoder().encode(fixtureArmored('to-revoke')), { origin: { kind: 'file', name: 'k' } });
    const r = await kp.keyservers.importFromServer([fpr], fixture.url);
    expect(r.results[0]).toMatchObject({ fingerprint: fpr, status: 'updated', added: { revocations: 1 } });
    expect((await kp.keyring.get(fpr))!.summary.revoked).toBe(true);
  });
});

describe('HKP error answers', () => {
  it('maps 400/501 to "not supported" and SKS 500 "too many" to "query too broad"', async () => {
    const hagrid = await startHkpFixture({ dialect: 'hagrid', keys: [fixtureArmored('ed25519')] });
    const sks = await startHkpFixture({ dialect: 'sks', keys: [fixtureArmored('pair-old'), fixtureArmored('pair-new'), fixtureArmored('ed25519')], maxHits: 1 });
    running.push(hagrid, sks);
    const kp = await createKeyport({ home: mkdtempSync(path.join(os.tmpdir(), 'kp-err-')), plugins: [hkpPlugin] });
    const unsupported = await kp.keyservers.search('Eddie Ed', hagrid.url).catch((e: unknown) => e);
    expect(unsupported).toMatchObject({ code: ErrorCodes.QueryUnsupported });
    const broad = await kp.keyservers.search('Paula', sks.url).catch((e: unknown) => e);
    expect(broad).toMatchObject({ code: ErrorCodes.QueryTooBroad });
  });
});

describe('telling an HKP server from other web servers', () => {
  const page = '<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1><hr>nginx</body></html>';
  const engine = async () => (await createKeyport({ home: mkdtempSync(path.join(os.tmpdir(), 'kp-web-')), plugins: [hkpPlugin] })).engines.get('hkp')!;

  it.each([
    ['an HTML 404 page', 404, 'text/html', page],
    ['a bare 404', 404, undefined, ''],
    ['"Not Found" to every path', 404, 'text/plain; charset=utf-8', 'Not Found\n'],
    ['a short 400', 400, 'text/plain', 'Bad Request'],
    ['an empty 200', 200, 'text/plain', ''],
  ] as const)('neither the probe nor a search takes %s for HKP', async (_, status, type, body) => {
    const web = await startAnsweringServer(status, type, body);
    try {
      const hkp = await engine();
      expect(await hkp.probe!(web.url)).toMatchObject({ reachable: true, speaksProtocol: false });
      // Hockeypuck's own "Not Found" is still "no keys" to a search: only the probe can afford
      // the second request that shows a server says it to everything.
      if (status === 404 && body !== 'Not Found\n') {
        const e = await hkp.search!(web.url, { kind: 'email', value: 'eddie@example.org' }).catch((err: unknown) => err);
        expect((e as KeyportError).code).toBe(ErrorCodes.NotAKeyserver);
        const l = await hkp.lookup!(web.url, { kind: 'fingerprint', value: manifest.ed25519.fingerprint }).catch((err: unknown) => err);
        expect((l as KeyportError).code).toBe(ErrorCodes.NotAKeyserver);
      }
    } finally {
      await web.stop();
    }
  });

  it.each(['sks', 'hockeypuck-2.2', 'hockeypuck-2.4', 'hagrid'] as const)('a %s-like server is HKP and its "not found" is no keys', async (dialect) => {
    const fixture = await startHkpFixture({ dialect, keys: [] });
    running.push(fixture);
    const hkp = await engine();
    expect(await hkp.probe!(new URL(fixture.url))).toMatchObject({ reachable: true, speaksProtocol: true });
    expect(await hkp.search!(new URL(fixture.url), { kind: 'email', value: 'nobody@example.org' })).toEqual([]);
    expect(await hkp.lookup!(new URL(fixture.url), { kind: 'fingerprint', value: manifest.ed25519.fingerprint })).toBeNull();
  });
});
