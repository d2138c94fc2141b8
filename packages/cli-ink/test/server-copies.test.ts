import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gpg, hasGpg, parseColons, startHagridFixture, startHkpFixture, tempGnupgHome, type RunningHagridFixture, type RunningHkpFixture } from '@keyport/test-fixtures';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { homeWith, keyportAsync as keyport, tempDir } from './helpers.js';

const BATCH = ['--batch', '--pinentry-mode', 'loopback', '--passphrase', ''];

/**
 * A key as gpg makes it (two user IDs, a subkey), and the same key changed the ways the issue
 * names: one more subkey, the expiry extended, the second user ID revoked.
 */
function oldAndNewKey() {
  const gnupg = tempGnupgHome();
  gpg([...BATCH, '--quick-gen-key', 'Olga Old <olga@example.org>', 'ed25519', 'cert', '1y'], { home: gnupg });
  const fpr = parseColons(gpg(['--with-colons', '--list-keys', 'olga@example.org'], { home: gnupg }))[0]!.fingerprint;
  gpg([...BATCH, '--quick-add-uid', fpr, 'Olga Work <olga@work.example>'], { home: gnupg });
  gpg([...BATCH, '--quick-add-key', fpr, 'cv25519', 'encr', '1y'], { home: gnupg });
  const old = Buffer.from(gpg(['--armor', '--export', fpr], { home: gnupg }), 'latin1').toString('utf8');
  const subkeysBefore = new Set(subkeyFingerprints(gnupg, fpr));
  gpg([...BATCH, '--quick-add-key', fpr, 'ed25519', 'sign', '1y'], { home: gnupg });
  gpg([...BATCH, '--quick-set-expire', fpr, '3y'], { home: gnupg });
  gpg([...BATCH, '--quick-revoke-uid', fpr, 'Olga Work <olga@work.example>'], { home: gnupg });
  const added = subkeyFingerprints(gnupg, fpr).filter((f) => !subkeysBefore.has(f));
  const current = Buffer.from(gpg(['--export', fpr], { home: gnupg }), 'latin1');
  const currentArmored = Buffer.from(gpg(['--armor', '--export', fpr], { home: gnupg }), 'latin1').toString('utf8');
  return { fpr, old, current, currentArmored, added };
}

/** Subkey fingerprints as gpg lists them (the `fpr` rows after each `sub`). */
function subkeyFingerprints(gnupg: string, fpr: string): string[] {
  const rows = gpg(['--with-colons', '--with-subkey-fingerprints', '--list-keys', fpr], { home: gnupg }).split('\n');
  const out: string[] = [];
  for (const [k, row] of rows.entries()) if (row.startsWith('sub:')) out.push(rows[k + 1]!.split(':')[9]!);
  return out;
}

/** The list holds only loopback fixtures: the default public servers go (no test reaches the network). */
const loopbackOnly = (defaultServer: string) => [
  ['servers', 'default', defaultServer],
  ['servers', 'remove', 'https://keyserver.ubuntu.com'],
  ['servers', 'remove', 'https://keys.openpgp.org'],
];

interface Report {
  keys: { fingerprint: string; servers: { server: string; protocol: string; state: string; missing: { userIds: string[]; subkeys: string[]; selfSignatures: { component: string; name: string }[]; revocations: { component: string; name: string }[] }; reason: string }[] }[];
}

describe.runIf(hasGpg())('status --servers', () => {
  let stale: RunningHkpFixture;
  let empty: RunningHkpFixture;
  let hagrid: RunningHagridFixture;
  const key = oldAndNewKey();
  const currentFile = path.join(tempDir('keyport-server-copies-'), 'current.gpg');
  writeFileSync(currentFile, key.current);
  beforeAll(async () => {
    stale = await startHkpFixture({ dialect: 'sks', keys: [key.old] });
    empty = await startHkpFixture({ dialect: 'sks', keys: [] });
    hagrid = await startHagridFixture();
  });
  afterAll(async () => {
    await Promise.all([stale.stop(), empty.stop(), hagrid.stop()]);
  });

  it('reports a server with an older copy stale with exactly what it lacks, one without the key absent', async () => {
    const home = await homeWith([
      ['servers', 'add', stale.url, '--protocol', 'hkp'],
      ['servers', 'add', empty.url, '--protocol', 'hkp'],
      ['servers', 'add', hagrid.url, '--protocol', 'vks'],
      ...loopbackOnly(stale.url),
    ]);
    expect((await keyport(['import', '--file', currentFile], { home })).status).toBe(0);
    const raw = await keyport(['status', key.fpr, '--servers', '--json'], { home });
    expect(raw.stderr).toBe('');
    expect(raw.status).toBe(0);
    const report = JSON.parse(raw.stdout) as Report;
    expect(report.keys).toHaveLength(1);
    expect(report.keys[0]!.fingerprint).toBe(key.fpr);
    const byServer = new Map(report.keys[0]!.servers.map((s) => [s.server, s]));
    const old = byServer.get(stale.url)!;
    expect(old).toMatchObject({ protocol: 'hkp', state: 'stale' });
    expect(old.missing.userIds).toEqual([]);
    expect(old.missing.subkeys).toEqual(key.added);
    // gpg 2.2 extends the expiry with a new self-signature on each user ID (both were valid then).
    expect(old.missing.selfSignatures.map((s) => [s.component, s.name]).sort()).toEqual([
      ['userId', 'Olga Old <olga@example.org>'],
      ['userId', 'Olga Work <olga@work.example>'],
    ]);
    expect(old.missing.revocations.map((s) => [s.component, s.name])).toEqual([['userId', 'Olga Work <olga@work.example>']]);
    expect(byServer.get(empty.url)).toMatchObject({ protocol: 'hkp', state: 'absent', missing: { userIds: [], subkeys: [], selfSignatures: [], revocations: [] } });
    expect(byServer.get(hagrid.url)).toMatchObject({ protocol: 'vks', state: 'absent' });
    // Only look-ups were made: nothing was uploaded anywhere.
    for (const f of [stale, empty]) expect(f.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    expect(hagrid.requests.filter((r) => r.method !== 'GET')).toEqual([]);

    const human = await keyport(['status', key.fpr, '--servers'], { home });
    expect(human.stderr).toBe('');
    expect(human.status).toBe(0);
    expect(human.stdout).toContain(`  stale      ${stale.url} (hkp)  lacks 1 subkey (${key.added[0]}), 2 newer self-signatures (Olga Work <olga@work.example> `);
    expect(human.stdout).toContain('1 revocation (Olga Work <olga@work.example>)');
    expect(human.stdout).toContain(`  absent     ${empty.url} (hkp)`);
  });

  it('a VKS server is judged on what it publishes: unverified without a verified address, then current; an older verified copy is stale', async () => {
    const holding = await startHagridFixture();
    const older = await startHagridFixture();
    try {
      // Copies are uploaded to the Hagrid fixtures as a client would (VKS JSON API).
      const post = async (server: string, p: string, body: unknown) =>
        (await (await fetch(`${server}${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as { token: string };
      const home = await homeWith([['servers', 'add', holding.url, '--protocol', 'vks'], ['servers', 'add', older.url, '--protocol', 'vks'], ...loopbackOnly(holding.url)]);
      expect((await keyport(['import', '--file', currentFile], { home })).status).toBe(0);
      const check = async () => {
        const r = await keyport(['status', key.fpr, '--servers', '--json'], { home });
        expect(r.stderr).toBe('');
        return new Map((JSON.parse(r.stdout) as Report).keys[0]!.servers.map((c) => [c.server, c]));
      };

      const current = await post(holding.url, '/vks/v1/upload', { keytext: key.currentArmored });
      expect((await check()).get(holding.url)).toMatchObject({ protocol: 'vks', state: 'unverified' });
      await post(holding.url, '/vks/v1/request-verify', { token: current.token, addresses: ['olga@example.org'] });
      holding.clickVerification('olga@example.org');
      expect((await check()).get(holding.url)).toMatchObject({ protocol: 'vks', state: 'current' });

      const old = await post(older.url, '/vks/v1/upload', { keytext: key.old });
      await post(older.url, '/vks/v1/request-verify', { token: old.token, addresses: ['olga@example.org'] });
      older.clickVerification('olga@example.org');
      const copy = (await check()).get(older.url)!;
      expect(copy).toMatchObject({ protocol: 'vks', state: 'stale' });
      // It publishes only the verified user ID: the other one's signatures are not its to lack.
      expect(copy.missing.userIds).toEqual([]);
      expect(copy.missing.subkeys).toEqual(key.added);
      expect(copy.missing.selfSignatures.map((s) => [s.component, s.name])).toEqual([['userId', 'Olga Old <olga@example.org>']]);
      expect(copy.missing.revocations).toEqual([]);
    } finally {
      await Promise.all([holding.stop(), older.stop()]);
    }
  });

  it('a server that cannot be asked is failed with the reason, and the exit code says so', async () => {
    const unreachable = await startHkpFixture({ dialect: 'sks', keys: [] });
    const url = unreachable.url;
    await unreachable.stop();
    const home = await homeWith([['servers', 'add', url, '--protocol', 'hkp'], ...loopbackOnly(url)]);
    expect((await keyport(['import', '--file', currentFile], { home })).status).toBe(0);
    const r = await keyport(['status', key.fpr, '--servers', '--json'], { home });
    expect(r.status).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.keys[0]!.servers.find((s) => s.server === url)).toMatchObject({ state: 'failed', reason: expect.stringMatching(/^KP\d{4} /) });
  });
});
