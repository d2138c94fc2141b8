import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { armorPublicKey, createKeyport, readPackets, type Keyport } from '@keyport/core';
import { DEBIAN_KEYRING, fixturePath, gpgShowOnly, manifest, startSks, tempGnupgHome, type RunningSks } from '@keyport/test-fixtures';
import { hkpPlugin } from '../src/index.js';

let sks: RunningSks;
const newKeyport = () => createKeyport({ home: mkdtempSync(path.join(os.tmpdir(), 'kp-sks-')), plugins: [hkpPlugin] });

beforeAll(async () => {
  if (!existsSync(DEBIAN_KEYRING)) throw new Error(`${DEBIAN_KEYRING} is missing (apt-get install debian-keyring)`);
  sks = await startSks([DEBIAN_KEYRING]);
}, 120_000);
afterAll(async () => {
  await sks?.stop();
});

/** GnuPG's own search against the same server: the oracle. Parsed independently of keyport. */
function gpgSearch(query: string): Map<string, string[]> {
  const home = tempGnupgHome();
  const r = spawnSync('gpg', ['--batch', '--with-colons', '--keyserver', `hkp://127.0.0.1:${sks.port}`, '--search-keys', query], {
    env: { ...process.env, GNUPGHOME: home },
    encoding: 'latin1',
    timeout: 60_000,
  });
  spawnSync('gpgconf', ['--kill', 'dirmngr'], { env: { ...process.env, GNUPGHOME: home } });
  const keys = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of r.stdout.split('\n')) {
    const f = line.split(':');
    if (f[0] === 'pub') {
      current = [];
      keys.set(f[1]!.toUpperCase(), current);
    } else if (f[0] === 'uid' && current) {
      current.push(Buffer.from(f[1]!.replace(/%([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'));
    }
  }
  return keys;
}

describe('HKP against a real SKS loaded with the Debian keyring', () => {
  it.each(['vainikainen', 'stefano', 'thv@iki.fi', 'Debian Project Leader'])('search "%s" returns the keys gpg --search-keys returns', async (query) => {
    const kp: Keyport = await newKeyport();
    const oracle = gpgSearch(query);
    const { hits } = await kp.keyservers.search(query, sks.url);
    expect(new Set(hits.map((h) => h.fingerprint))).toEqual(new Set(oracle.keys()));
    for (const h of hits) expect([...h.userIds].sort()).toEqual([...oracle.get(h.fingerprint!)!].sort());
  }, 90_000);

  it('imports exactly the requested key, its primary for a signing-subkey fingerprint, and nothing twice', async () => {
    const kp = await newKeyport();
    const debian = gpgShowOnly(DEBIAN_KEYRING);
    const withSigningSub = debian.find((k) => k.validity !== 'r' && k.subkeys.some((s) => s.capabilities.includes('s') && s.validity !== 'r' && s.validity !== 'e'))!;
    const sub = withSigningSub.subkeys.find((s) => s.capabilities.includes('s'))!;
    const bySub = await kp.keyservers.importFromServer([sub.fingerprint], sks.url);
    expect(bySub.results.map((r) => [r.fingerprint, r.status])).toEqual([[withSigningSub.fingerprint, 'new']]);

    const some = debian.filter((k) => k.fingerprint !== withSigningSub.fingerprint).slice(0, 25).map((k) => k.fingerprint);
    const first = await kp.keyservers.importFromServer(some.map((f) => `0x${f}`), sks.url);
    expect(first.results.map((r) => r.fingerprint)).toEqual(some);
    expect(first.summary).toMatchObject({ new: 25, rejected: 0, notFound: 0 });
    expect((await kp.keyring.list()).map((k) => k.summary.fingerprint).sort()).toEqual([withSigningSub.fingerprint, ...some].sort());
    const again = await kp.keyservers.importFromServer(some, sks.url);
    expect(again.summary).toMatchObject({ unchanged: 25, new: 0, updated: 0 });
  }, 120_000);

  it('publishes a key and fetches back the same public certificate; the upload held no secret packet', async () => {
    const kp = await newKeyport();
    await kp.importer.import(new Uint8Array(readFileSync(fixturePath(manifest.rsa4096.file))), { origin: { kind: 'file', name: 'rsa' } });
    const local = await kp.keyring.readPublic(manifest.rsa4096.fingerprint);
    const engine = kp.engines.all().find((e) => e.id === 'hkp')!;
    const outcome = await engine.upload!(new URL(sks.url), armorPublicKey(local));
    expect(outcome.failed).toEqual([]);
    expect(outcome.accepted).toEqual([manifest.rsa4096.fingerprint]);
    expect(outcome.message).toMatch(/added/i);

    const other = await newKeyport();
    const fetched = await other.keyservers.importFromServer([manifest.rsa4096.fingerprint], sks.url);
    expect(fetched.results.map((r) => r.status)).toEqual(['new']);
    const back = await other.keyring.readPublic(manifest.rsa4096.fingerprint);
    const set = (b: Uint8Array) => new Set(readPackets(b).map((p) => `${p.tag}:${Buffer.from(p.body).toString('hex')}`));
    expect(set(back)).toEqual(set(local));
  }, 60_000);
});

describe('sync over HKP against the real SKS', () => {
  it('cancelling keeps what finished and loses nothing', async () => {
    const kp = await newKeyport();
    await kp.importer.import(new Uint8Array(readFileSync(DEBIAN_KEYRING)), { origin: { kind: 'file', name: 'debian' } });
    await kp.keyservers.add(sks.url);
    await kp.keyservers.setDefault(sks.url);
    const before = (await kp.keyring.list()).map((k) => k.summary.fingerprint);
    const abort = new AbortController();
    kp.bus.on('progress', (p) => {
      if (p.operation === 'sync' && p.done >= 100) abort.abort();
    });
    const report = await kp.publishing.sync('all', { signal: abort.signal });
    expect(report.cancelled).toBe(true);
    const finished = report.results.filter((r) => r.status === 'unchanged' || r.status === 'updated');
    expect(finished.length).toBeGreaterThanOrEqual(64);
    expect(finished.length).toBeLessThan(before.length);
    expect((await kp.keyring.list()).map((k) => k.summary.fingerprint)).toEqual(before);
  }, 120_000);
});
