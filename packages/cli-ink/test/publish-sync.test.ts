import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPackets, dearmorAll } from '@keyport/core';
import { fixturePath, manifest, startHagridFixture, startHkpFixture, type RunningHagridFixture, type RunningHkpFixture } from '@keyport/test-fixtures';
import { keyportAsync as keyport, keyportJsonAsync as keyportJson, homeWith, tempHome } from './helpers.js';

let hagrid: RunningHagridFixture;
let hkp: RunningHkpFixture;
beforeAll(async () => {
  hagrid = await startHagridFixture();
  hkp = await startHkpFixture({ dialect: 'sks', keys: [] });
});
afterAll(async () => {
  await hagrid.stop();
  await hkp.stop();
});

/** A home whose KeyServerSync points at the Hagrid fixture and whose default server is the HKP fixture. */
function home(): Promise<string> {
  return homeWith([
    ['config', 'set', 'keyserversync.url', hagrid.url],
    ['servers', 'add', hkp.url],
    ['servers', 'default', hkp.url],
  ]);
}

const fpr = manifest.secret.fingerprint;

describe('publish, verify, status and sync', () => {
  it('round trip: publish, no verified identity, verify one address, published with it only, a second home gets exactly that user ID', async () => {
    const a = await home();
    expect((await keyport(['import', '--file', fixturePath(manifest.secret.secretFile!)], { home: a })).status).toBe(0);

    const noConfirm = await keyport(['publish', fpr, '--no-verify'], { home: a });
    expect(noConfirm.status).toBe(2);
    expect(noConfirm.stderr).toMatch(/permanent/);

    const published = await keyportJson<Record<string, unknown>>(['publish', fpr, '--no-verify', '--yes'], { home: a });
    expect(published).toEqual({
      fingerprint: fpr,
      server: hagrid.url,
      protocol: 'vks',
      addresses: { 'sam@example.org': 'unpublished', 'sam@work.example': 'unpublished' },
      // publish checks the server's copy afterwards: held, but no address verified yet.
      servers: [expect.objectContaining({ server: hagrid.url, protocol: 'vks', state: 'unverified' })],
    });
    expect(await keyportJson(['status', fpr], { home: a })).toEqual([{ fingerprint: fpr, state: 'no-verified-identity', addresses: [], checkedAt: expect.any(String) }]);

    const verified = await keyportJson<{ addresses: Record<string, string> }>(['verify', fpr, 'sam@example.org'], { home: a });
    expect(verified.addresses).toEqual({ 'sam@example.org': 'pending', 'sam@work.example': 'unpublished' });
    expect(hagrid.mails).toEqual(['sam@example.org']);
    hagrid.clickVerification('sam@example.org');

    const status = await keyportJson<{ state: string; addresses: string[] }[]>(['status', 'sam@work.example'], { home: a });
    expect(status[0]).toMatchObject({ state: 'published', addresses: ['sam@example.org'] });
    const shown = await keyportJson<{ publishStatus: { state: string } }>(['show', fpr], { home: a });
    expect(shown.publishStatus).toMatchObject({ state: 'published' });

    const b = await home();
    const got = await keyportJson<{ results: { status: string; userIds: string[] }[] }>(['import', fpr, '--server', hagrid.url], { home: b });
    expect(got.results.map((r) => [r.status, r.userIds])).toEqual([['new', ['Sam Secret <sam@example.org>']]]);
    const synced = await keyportJson<{ protocol: string; results: { status: string }[] }>(['sync', '--all', '--yes'], { home: b });
    expect(synced.protocol).toBe('vks');
    expect(synced.results.map((r) => r.status)).toEqual(['unchanged']);

    // Every byte sent to the server parses as public packets only.
    const uploads = hagrid.requests.filter((r) => r.method === 'POST');
    expect(uploads.length).toBeGreaterThan(0);
    for (const r of uploads.filter((r) => r.url === '/vks/v1/upload')) {
      const tags = readPackets(dearmorAll(new TextEncoder().encode(JSON.parse(r.body).keytext))).map((p) => p.tag);
      expect(tags.filter((t) => t === 5 || t === 7)).toEqual([]);
    }
  });

  it('refuses to publish keys whose primary secret key is not here', async () => {
    const h = await home();
    await keyport(['import', '--file', fixturePath(manifest.stub.secretFile!)], { home: h });
    await keyport(['import', '--file', fixturePath(manifest.ed25519.file)], { home: h });
    for (const id of [manifest.stub.fingerprint, manifest.ed25519.fingerprint]) {
      const r = await keyport(['publish', id, '--yes'], { home: h });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^keyport: KP1700 /);
    }
  });

  it('with KeyServerSync disabled, publish and sync go to the default server over HKP and status says it needs the module', async () => {
    const h = await home();
    await keyport(['import', '--file', fixturePath(manifest.secret.secretFile!)], { home: h });
    expect((await keyport(['modules', 'disable', 'keyserversync'], { home: h })).status).toBe(0);
    const warned = await keyport(['publish', fpr], { home: h });
    expect(warned.stderr).toMatch(/HKP server: publication there has no email verification and cannot be undone/);
    const published = await keyportJson<{ protocol: string; server: string }>(['publish', fpr, '--yes'], { home: h });
    expect(published).toMatchObject({ protocol: 'hkp', server: hkp.url });
    expect(hkp.requests.some((r) => r.method === 'POST' && r.url === '/pks/add')).toBe(true);
    const status = await keyport(['status', fpr], { home: h });
    expect([status.status, status.stderr.slice(0, 16)]).toEqual([1, 'keyport: KP1701 ']);
    const synced = await keyportJson<{ protocol: string; server: string; results: { status: string }[] }>(['sync', '--all', '--yes', '--include-own'], { home: h });
    expect(synced).toMatchObject({ protocol: 'hkp', server: hkp.url });
    expect(synced.results.map((r) => r.status)).toEqual(['unchanged']);

    expect((await keyport(['modules', 'enable', 'keyserversync'], { home: h })).status).toBe(0);
    // Back on VKS: status asks the Hagrid fixture again (whatever it holds; this test does not
    // depend on what other tests published there).
    const asked = hagrid.requests.length;
    const back = await keyportJson<{ state: string; server: string }[]>(['status', fpr], { home: h });
    expect(back[0]!.state).toMatch(/^(published|no-verified-identity|not-published)$/);
    expect(hagrid.requests.slice(asked).some((r) => r.method === 'GET' && r.url.includes(fpr))).toBe(true);
  });

  it('sync needs IDs or --all, skips your own keys, and reports keys the server lacks', async () => {
    const h = await home();
    expect((await keyport(['sync'], { home: h })).status).toBe(2);
    await keyport(['import', '--file', fixturePath(manifest.secret.secretFile!)], { home: h });
    await keyport(['import', '--file', fixturePath(manifest.expired.file)], { home: h });
    const r = await keyportJson<{ results: { fingerprint: string; status: string; reason: string | null }[]; summary: Record<string, number> }>(['sync', '--all', '--yes'], { home: h });
    const byFpr = Object.fromEntries(r.results.map((x) => [x.fingerprint, x]));
    expect(byFpr[fpr]).toMatchObject({ status: 'skipped', reason: 'you own this key: publish it instead' });
    expect(byFpr[manifest.expired.fingerprint]).toMatchObject({ status: 'not-found' });
    expect(r.summary).toMatchObject({ skipped: 1, 'not-found': 1, failed: 0 });
  });
});

describe('repeat syncs', () => {
  it('recognise answers already merged and still pick up what changed on the server', async () => {
    const server = await startHkpFixture({ dialect: 'sks', keys: [readFileSync(fixturePath(manifest['to-revoke'].file), 'utf8')] });
    try {
      const h = tempHome();
      await keyport(['import', '--file', fixturePath(manifest['to-revoke'].file)], { home: h });
      await keyport(['servers', 'add', server.url], { home: h });
      await keyport(['servers', 'default', server.url], { home: h });
      type Report = { results: { fingerprint: string; status: string; added: { revocations: number } }[] };
      const sync = () => keyportJson<Report>(['--modules', '-keyserversync', 'sync', '--all', '--yes'], { home: h });
      expect((await sync()).results.map((r) => r.status)).toEqual(['unchanged']);
      expect((await sync()).results.map((r) => r.status)).toEqual(['unchanged']);

      // Someone uploads the revocation; the server merges it, so its answer changes.
      const other = tempHome();
      await keyport(['import', '--file', fixturePath(manifest['to-revoke'].file)], { home: other });
      await keyport(['import', '--file', fixturePath('to-revoke.rev.asc')], { home: other });
      const armored = (await keyport(['export', manifest['to-revoke'].fingerprint], { home: other })).stdout;
      const posted = await fetch(`${server.url}/pks/add`, { method: 'POST', body: `keytext=${encodeURIComponent(armored)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(posted.status).toBe(200);

      const changed = await sync();
      expect(changed.results).toMatchObject([{ status: 'updated', added: { revocations: 1 } }]);
      const shown = await keyportJson<{ revoked: boolean }>(['show', manifest['to-revoke'].fingerprint], { home: h });
      expect(shown.revoked).toBe(true);
      expect((await sync()).results.map((r) => r.status)).toEqual(['unchanged']);
    } finally {
      await server.stop();
    }
  });
});

describe('sync against a misbehaving server', () => {
  it('rejects a wrong key with the reason and changes nothing', async () => {
    const hostile = await startHkpFixture({
      dialect: 'sks',
      hostile: 'wrong-key',
      keys: ['rsa4096', 'ed25519'].map((n) => readFileSync(fixturePath(manifest[n as 'rsa4096'].file), 'utf8')),
    });
    try {
      const h = tempHome();
      await keyport(['import', '--file', fixturePath(manifest.ed25519.file)], { home: h });
      await keyport(['servers', 'add', hostile.url], { home: h });
      await keyport(['servers', 'default', hostile.url], { home: h });
      const before = (await keyport(['list', '--json'], { home: h })).stdout;
      const r = await keyport(['--modules', '-keyserversync', 'sync', '--all', '--yes', '--json'], { home: h });
      expect(r.status).toBe(1);
      const report = JSON.parse(r.stdout) as { results: { fingerprint: string; status: string; reason: string }[] };
      expect(report.results.map((x) => x.status)).toEqual(['rejected']);
      expect(report.results[0]!.reason).toMatch(/does not match the requested fingerprint/);
      expect((await keyport(['list', '--json'], { home: h })).stdout).toBe(before);
    } finally {
      await hostile.stop();
    }
  });
});

describe('sync and the armor checksum', () => {
  type Report = { results: { fingerprint: string; status: string; reason: string | null }[] };
  const toRevoke = manifest['to-revoke'];
  /** A home holding the to-revoke key, syncing against an SKS-like server that tampers with its answers. */
  async function syncAgainst(hostile: 'bad-checksum' | 'damaged', serverCopy: string) {
    const server = await startHkpFixture({ dialect: 'sks', hostile, keys: [serverCopy] });
    try {
      const h = await homeWith([
        ['import', '--file', fixturePath(toRevoke.file)],
        ['servers', 'add', server.url],
        ['servers', 'default', server.url],
      ]);
      const before = (await keyport(['list', '--json'], { home: h })).stdout;
      const r = await keyport(['--modules', '-keyserversync', 'sync', '--all', '--yes', '--json'], { home: h });
      const after = (await keyport(['list', '--json'], { home: h })).stdout;
      return { status: r.status, report: JSON.parse(r.stdout) as Report, keyringChanged: after !== before };
    } finally {
      await server.stop();
    }
  }

  it('an answer holding only packets the keyring has is unchanged even under a wrong checksum (nothing to protect)', async () => {
    const r = await syncAgainst('bad-checksum', readFileSync(fixturePath(toRevoke.file), 'utf8'));
    expect(r.report.results).toMatchObject([{ fingerprint: toRevoke.fingerprint, status: 'unchanged' }]);
    expect(r.keyringChanged).toBe(false);
  });

  it('an answer that would add something is refused under a wrong checksum, and nothing changes', async () => {
    // The server's copy carries the key's revocation, which would be new here.
    const other = await homeWith([
      ['import', '--file', fixturePath(toRevoke.file)],
      ['import', '--file', fixturePath('to-revoke.rev.asc')],
    ]);
    const revoked = (await keyport(['export', toRevoke.fingerprint], { home: other })).stdout;
    const r = await syncAgainst('bad-checksum', revoked);
    expect(r.status).toBe(1);
    expect(r.report.results).toMatchObject([{ fingerprint: toRevoke.fingerprint, status: 'rejected' }]);
    expect(r.report.results[0]!.reason).toMatch(/CRC-24/);
    expect(r.keyringChanged).toBe(false);
  });

  it('an answer damaged in transit is refused by its checksum, and nothing changes', async () => {
    const r = await syncAgainst('damaged', readFileSync(fixturePath(toRevoke.file), 'utf8'));
    expect(r.status).toBe(1);
    expect(r.report.results).toMatchObject([{ fingerprint: toRevoke.fingerprint, status: 'rejected' }]);
    expect(r.report.results[0]!.reason).toMatch(/CRC-24/);
    expect(r.keyringChanged).toBe(false);
  });
});

describe('KeyServerSync disabled, against the real SKS', () => {
  it('publish goes to the SKS over HKP and the key comes back from it; enabling the module brings VKS back', async () => {
    const { startSks, DEBIAN_KEYRING } = await import('@keyport/test-fixtures');
    const sks = await startSks([DEBIAN_KEYRING]);
    try {
      const h = tempHome();
      await keyport(['import', '--file', fixturePath(manifest.secret.secretFile!)], { home: h });
      await keyport(['config', 'set', 'keyserversync.url', hagrid.url], { home: h });
      await keyport(['servers', 'add', sks.url], { home: h });
      await keyport(['servers', 'default', sks.url], { home: h });
      await keyport(['modules', 'disable', 'keyserversync'], { home: h });
      expect(await keyportJson(['modules', 'list'], { home: h })).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'keyserversync', state: 'disabled' })]));
      const published = await keyportJson<{ protocol: string; server: string }>(['publish', fpr, '--yes'], { home: h });
      expect(published).toMatchObject({ protocol: 'hkp', server: sks.url });
      const other = tempHome();
      const fetched = await keyportJson<{ results: { status: string; userIds: string[] }[] }>(['import', fpr, '--server', sks.url], { home: other });
      expect(fetched.results[0]).toMatchObject({ status: 'new' });
      expect(fetched.results[0]!.userIds.sort()).toEqual([...manifest.secret.userIds].sort());
      const synced = await keyportJson<{ protocol: string; server: string }>(['sync', '--all', '--yes', '--include-own'], { home: h });
      expect(synced).toMatchObject({ protocol: 'hkp', server: sks.url });
      await keyport(['modules', 'enable', 'keyserversync'], { home: h });
      const again = await keyportJson<{ protocol: string; server: string }>(['sync', '--all', '--yes', '--include-own'], { home: h });
      expect(again).toMatchObject({ protocol: 'vks', server: hagrid.url });
    } finally {
      await sks.stop();
    }
  }, 60_000);
});

describe('verification sessions and automatic publish status', () => {
  it('verify re-uploads first when the session token has expired', async () => {
    const h = await home();
    await keyport(['import', '--file', fixturePath(manifest.secret.secretFile!)], { home: h });
    await keyportJson(['publish', fpr, '--no-verify', '--yes'], { home: h });
    hagrid.expireTokens();
    const uploadsBefore = hagrid.requests.filter((r) => r.url === '/vks/v1/upload').length;
    const r = await keyportJson<{ addresses: Record<string, string> }>(['verify', fpr, 'sam@work.example'], { home: h });
    expect(r.addresses['sam@work.example']).toBe('pending');
    expect(hagrid.requests.filter((x) => x.url === '/vks/v1/upload').length).toBe(uploadsBefore + 1);
  });

  it('show fetches the publish status only when the setting is on and KeyServerSync is enabled', async () => {
    const h = await home();
    await keyport(['import', '--file', fixturePath(manifest.ed25519.file)], { home: h });
    const lookups = () => hagrid.requests.filter((r) => r.url.startsWith('/vks/v1/by-fingerprint/')).length;
    const n0 = lookups();
    expect((await keyportJson<{ publishStatus: unknown }>(['show', manifest.ed25519.fingerprint], { home: h })).publishStatus).toBeNull();
    expect(lookups()).toBe(n0);
    await keyport(['config', 'set', 'keyserversync.autoStatus', 'true'], { home: h });
    const shown = await keyportJson<{ publishStatus: { state: string } }>(['show', manifest.ed25519.fingerprint], { home: h });
    expect(shown.publishStatus).toMatchObject({ state: 'not-published' });
    expect(lookups()).toBe(n0 + 1);
    await keyport(['modules', 'disable', 'keyserversync'], { home: h });
    await keyport(['show', manifest.ed25519.fingerprint, '--json'], { home: h });
    expect(lookups()).toBe(n0 + 1);
  });
});
