import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dearmorAll, readPackets } from '@keyport/core';
import { fixturePath, gpg, hasGpg, hasSks, manifest, parseColons, startHagridFixture, startHkpFixture, startSks, tempGnupgHome, type RunningHagridFixture, type RunningHkpFixture, type RunningSks } from '@keyport/test-fixtures';
import { homeWith, keyportAsync as keyport, tempDir } from './helpers.js';

const BATCH = ['--batch', '--pinentry-mode', 'loopback', '--passphrase', ''];

interface Copy {
  server: string;
  protocol: string;
  state: string;
  missing: { userIds: string[]; subkeys: string[]; selfSignatures: { component: string; name: string }[]; revocations: { component: string; name: string }[] };
}

/** Subkey fingerprints as gpg lists them (the `fpr` row after each `sub`). */
function subkeyFingerprints(gnupg: string, fpr: string): string[] {
  const rows = gpg(['--with-colons', '--with-subkey-fingerprints', '--list-keys', fpr], { home: gnupg }).split('\n');
  return rows.flatMap((row, k) => (row.startsWith('sub:') ? [rows[k + 1]!.split(':')[9]!] : []));
}

describe.runIf(hasGpg() && hasSks())('publish --to: the Hagrid fixture and the real SKS as two targets', () => {
  let hagrid: RunningHagridFixture;
  let sks: RunningSks;
  const gnupg = tempGnupgHome();
  const files = tempDir('keyport-publish-targets-');
  beforeAll(async () => {
    // SKS needs a keyring to build its database from: one unrelated key.
    gpg([...BATCH, '--quick-gen-key', 'Filler <filler@example.org>', 'ed25519', 'cert', '1y'], { home: gnupg });
    const filler = path.join(files, 'filler.pgp');
    writeFileSync(filler, Buffer.from(gpg(['--export', 'filler@example.org'], { home: gnupg }), 'latin1'));
    [hagrid, sks] = await Promise.all([startHagridFixture(), startSks([filler])]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([hagrid?.stop(), sks?.stop()]);
  });

  it('publish to both; change the key; both stale with exactly what they lack; publish again; both current', async () => {
    gpg([...BATCH, '--quick-gen-key', 'Pia Publisher <pia@example.org>', 'ed25519', 'cert', '1y'], { home: gnupg });
    const fpr = parseColons(gpg(['--with-colons', '--list-keys', 'pia@example.org'], { home: gnupg }))[0]!.fingerprint;
    gpg([...BATCH, '--quick-add-uid', fpr, 'Pia Work <pia@work.example>'], { home: gnupg });
    gpg([...BATCH, '--quick-add-key', fpr, 'cv25519', 'encr', '1y'], { home: gnupg });
    const secret = (name: string) => {
      const file = path.join(files, name);
      writeFileSync(file, Buffer.from(gpg([...BATCH, '--export-secret-keys', fpr], { home: gnupg }), 'latin1'));
      return file;
    };
    const home = await homeWith([
      ['servers', 'add', sks.url, '--protocol', 'hkp'],
      ['servers', 'add', hagrid.url, '--protocol', 'vks'],
      ['servers', 'default', sks.url],
      ['servers', 'remove', 'https://keyserver.ubuntu.com'],
      ['servers', 'remove', 'https://keys.openpgp.org'],
    ]);
    expect((await keyport(['import', '--file', secret('first.gpg')], { home })).status).toBe(0);
    const publish = async () => {
      const r = await keyport(['publish', fpr, '--to', sks.url, '--to', hagrid.url, '--yes', '--json'], { home });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      return JSON.parse(r.stdout) as { fingerprint: string; published: { server: string; protocol: string }[]; servers: Copy[] };
    };
    const status = async () => {
      const r = await keyport(['status', fpr, '--servers', '--json'], { home });
      expect(r.stderr).toBe('');
      return new Map((JSON.parse(r.stdout) as { keys: { servers: Copy[] }[] }).keys[0]!.servers.map((c) => [c.server, c]));
    };

    // An HKP target gets today's confirmation (publishing cannot be undone): no terminal, no --yes, nothing sent.
    const unconfirmed = await keyport(['publish', fpr, '--to', sks.url, '--to', hagrid.url], { home });
    expect(unconfirmed.status).toBe(2);
    expect(unconfirmed.stderr).toMatch(/permanent/);
    expect(hagrid.requests.filter((r) => r.method === 'POST')).toEqual([]);

    const first = await publish();
    expect(first.published.map((p) => [p.server, p.protocol])).toEqual([
      [sks.url, 'hkp'],
      [hagrid.url, 'vks'],
    ]);
    // SKS has it all at once; Hagrid holds it but publishes nothing until an address is verified.
    expect(first.servers.map((c) => [c.server, c.state])).toEqual([
      [sks.url, 'current'],
      [hagrid.url, 'unverified'],
    ]);
    expect([...hagrid.mails].sort()).toEqual(['pia@example.org', 'pia@work.example']);
    hagrid.clickVerification('pia@example.org');
    hagrid.clickVerification('pia@work.example');
    expect([...(await status()).values()].map((c) => [c.server, c.state])).toEqual([
      [sks.url, 'current'],
      [hagrid.url, 'current'],
    ]);

    // The key changes locally, as gpg users change it: a new subkey, the expiry extended, a user ID revoked.
    const before = new Set(subkeyFingerprints(gnupg, fpr));
    gpg([...BATCH, '--quick-add-key', fpr, 'ed25519', 'sign', '1y'], { home: gnupg });
    gpg([...BATCH, '--quick-set-expire', fpr, '3y'], { home: gnupg });
    gpg([...BATCH, '--quick-revoke-uid', fpr, 'Pia Work <pia@work.example>'], { home: gnupg });
    const added = subkeyFingerprints(gnupg, fpr).filter((f) => !before.has(f));
    expect(added).toHaveLength(1);
    expect((await keyport(['import', '--file', secret('changed.gpg')], { home })).status).toBe(0);

    const stale = await status();
    for (const server of [sks.url, hagrid.url]) {
      const copy = stale.get(server)!;
      expect(copy.state).toBe('stale');
      expect(copy.missing.userIds).toEqual([]);
      expect(copy.missing.subkeys).toEqual(added);
      // gpg 2.2 extends the expiry with a new self-signature on each user ID.
      expect(copy.missing.selfSignatures.map((s) => [s.component, s.name]).sort()).toEqual([
        ['userId', 'Pia Publisher <pia@example.org>'],
        ['userId', 'Pia Work <pia@work.example>'],
      ]);
      expect(copy.missing.revocations.map((s) => [s.component, s.name])).toEqual([['userId', 'Pia Work <pia@work.example>']]);
    }

    const again = await publish();
    expect(again.servers.map((c) => [c.server, c.state])).toEqual([
      [sks.url, 'current'],
      [hagrid.url, 'current'],
    ]);
    expect([...(await status()).values()].map((c) => c.state)).toEqual(['current', 'current']);
  }, 120_000);
});

describe('publish --allow-offline-primary', () => {
  let hkp: RunningHkpFixture;
  beforeAll(async () => {
    hkp = await startHkpFixture({ dialect: 'sks', keys: [] });
  });
  afterAll(async () => {
    await hkp.stop();
  });

  it('a sec# key is refused with a next step naming the flag, and published with it (its certificate is complete)', async () => {
    const home = await homeWith([
      ['servers', 'add', hkp.url, '--protocol', 'hkp'],
      ['servers', 'default', hkp.url],
      ['servers', 'remove', 'https://keyserver.ubuntu.com'],
      ['servers', 'remove', 'https://keys.openpgp.org'],
      ['modules', 'disable', 'keyserversync'],
    ]);
    expect((await keyport(['import', '--file', fixturePath(manifest.stub.secretFile!)], { home })).status).toBe(0);
    const fpr = manifest.stub.fingerprint;

    const refused = await keyport(['publish', fpr, '--to', hkp.url, '--yes'], { home });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/^keyport: KP1700 .*offline.*\(next: .*--allow-offline-primary.*\)\n$/);
    const routed = await keyport(['publish', fpr, '--yes'], { home });
    expect(routed.stderr).toMatch(/^keyport: KP1700 .*--allow-offline-primary/);
    expect(hkp.requests.filter((r) => r.method === 'POST')).toEqual([]);

    const r = await keyport(['publish', fpr, '--to', hkp.url, '--yes', '--allow-offline-primary', '--json'], { home });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as { published: { server: string; protocol: string }[]; servers: Copy[] };
    expect(report.published).toEqual([{ server: hkp.url, protocol: 'hkp', addresses: {} }]);
    expect(report.servers.map((c) => [c.server, c.state])).toEqual([[hkp.url, 'current']]);
    // Only public packets went out: no secret key (5) or secret subkey (7) packet.
    const uploads = hkp.requests.filter((q) => q.method === 'POST');
    expect(uploads).toHaveLength(1);
    const keytext = new URLSearchParams(uploads[0]!.body).get('keytext')!;
    const tags = readPackets(dearmorAll(new TextEncoder().encode(keytext))).map((p) => p.tag);
    expect(tags).toContain(6);
    expect(tags.filter((t) => t === 5 || t === 7)).toEqual([]);

    // publish.targets: publish without --to goes there (a server not in the list), and status --servers asks it too.
    const target = await startHkpFixture({ dialect: 'sks', keys: [] });
    try {
      expect((await keyport(['config', 'set', 'publish.targets', JSON.stringify([target.url])], { home })).status).toBe(0);
      const before = await keyport(['status', fpr, '--servers', '--json'], { home });
      expect((JSON.parse(before.stdout) as { keys: { servers: Copy[] }[] }).keys[0]!.servers.map((c) => [c.server, c.state])).toEqual([
        [target.url, 'absent'],
        [hkp.url, 'current'],
      ]);
      const viaSetting = await keyport(['publish', fpr, '--yes', '--allow-offline-primary', '--json'], { home });
      expect(viaSetting.status).toBe(0);
      expect((JSON.parse(viaSetting.stdout) as { servers: Copy[] }).servers.map((c) => [c.server, c.state])).toEqual([[target.url, 'current']]);
      expect(hkp.requests.filter((q) => q.method === 'POST')).toHaveLength(1);
    } finally {
      await target.stop();
    }
  });
});

describe('plain publish (no --to, no publish.targets) checks the routed server copy', () => {
  let hkp: RunningHkpFixture;
  let hagrid: RunningHagridFixture;
  beforeAll(async () => {
    hkp = await startHkpFixture({ dialect: 'sks', keys: [] });
    hagrid = await startHagridFixture();
  });
  afterAll(async () => {
    await hkp.stop();
    await hagrid.stop();
  });
  const fpr = manifest.secret.fingerprint;

  it('HKP: the JSON keeps its fields and adds servers; the human report has one line per server', async () => {
    const home = await homeWith([
      ['servers', 'add', hkp.url, '--protocol', 'hkp'],
      ['servers', 'default', hkp.url],
      ['modules', 'disable', 'keyserversync'],
    ]);
    expect((await keyport(['import', '--file', fixturePath(manifest.secret.secretFile!)], { home })).status).toBe(0);
    const r = await keyport(['publish', fpr, '--yes', '--json'], { home });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as { fingerprint: string; server: string; protocol: string; addresses: object; servers: Copy[] };
    expect(report).toMatchObject({ fingerprint: fpr, server: hkp.url, protocol: 'hkp', addresses: {} });
    expect(report.servers.map((c) => [c.server, c.protocol, c.state])).toEqual([[hkp.url, 'hkp', 'current']]);
    expect(report.servers[0]!.missing).toEqual({ userIds: [], subkeys: [], selfSignatures: [], revocations: [] });

    const human = await keyport(['publish', fpr, '--yes'], { home });
    expect(human.status).toBe(0);
    const lines = human.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`published ${fpr} to ${hkp.url} (hkp)`);
    expect(lines.filter((l) => l.includes(`${hkp.url} (hkp)`) && /^ {2}current +/.test(l))).toEqual([`  current    ${hkp.url} (hkp)`]);
    // The check is a look-up by fingerprint, after the upload.
    const last = hkp.requests.at(-1)!;
    expect(last.method).toBe('GET');
    expect(last.url).toContain(fpr);
    expect(hkp.requests.findLastIndex((q) => q.method === 'POST')).toBeLessThan(hkp.requests.length - 1);
  });

  it('VKS: a copy with no verified address is reported unverified', async () => {
    const home = await homeWith([['config', 'set', 'keyserversync.url', hagrid.url]]);
    expect((await keyport(['import', '--file', fixturePath(manifest.secret.secretFile!)], { home })).status).toBe(0);
    const r = await keyport(['publish', fpr, '--no-verify', '--yes', '--json'], { home });
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as { server: string; protocol: string; servers: Copy[] };
    expect(report).toMatchObject({ server: hagrid.url, protocol: 'vks' });
    expect(report.servers.map((c) => [c.server, c.protocol, c.state])).toEqual([[hagrid.url, 'vks', 'unverified']]);
  });
});
