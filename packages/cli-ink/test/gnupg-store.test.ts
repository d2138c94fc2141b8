/**
 * The built CLI on a GnuPG home (`--store gnupg`, KEYPORT_STORE, the setting `store`): what it
 * lists agrees with gpg's own listing, export/show/delete go through gpg, and a disabled gnupg
 * module falls back to the embedded store with a warning. Homes are temporary; their agents are
 * stopped (removeGnupgHomes in helpers' afterAll).
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPackets, serializeCertificate, splitCertificates } from '@keyport/core';
import { ErrorCodes } from '@keyport/core';
import {
  DEBIAN_KEYRING,
  KEYS_DIR,
  fixturePath,
  gpg,
  gpgShowOnly,
  hasGpg,
  manifest,
  parseColons,
  startHagridFixture,
  startHkpFixture,
  tempGnupgHome,
  type RunningHagridFixture,
  type RunningHkpFixture,
} from '@keyport/test-fixtures';
import { homeWith, keyport, keyportAsync, keyportJson, keyportJsonAsync, tempHome } from './helpers.js';

interface ListedKey {
  fingerprint: string;
  userIds: string[];
  created: string;
  expires: string | null;
  revoked: boolean;
  hasSecret: boolean;
  secretPrimary: string;
  subkeys: { fingerprint: string }[];
}

/** The first 30 Debian keys (binary) and every fixture public key: a few dozen keys of all kinds. */
function sampleKeys(): Uint8Array[] {
  const debian = splitCertificates(readPackets(new Uint8Array(readFileSync(DEBIAN_KEYRING)))).certificates.slice(0, 30);
  return [
    ...debian.map((c) => serializeCertificate(c.parts)),
    ...readdirSync(KEYS_DIR)
      .filter((n) => n.endsWith('.pub.asc'))
      .map((n) => new Uint8Array(readFileSync(fixturePath(n)))),
  ];
}

const seconds = (iso: string | null) => (iso === null ? null : Date.parse(iso) / 1000);

let gnupgHome: string;
beforeAll(() => {
  if (!hasGpg()) throw new Error('gnupg is required (apt-get install gnupg)');
  gnupgHome = tempGnupgHome();
  for (const key of sampleKeys()) gpg(['--import'], { home: gnupgHome, input: key });
  gpg(['--import'], { home: gnupgHome, input: readFileSync(fixturePath(manifest.secret.secretFile!)) });
}, 120_000);

const onGnupg = (home: string, extra: NodeJS.ProcessEnv = {}) => ({ home, env: { GNUPGHOME: gnupgHome, ...extra } });

describe('keyport --store gnupg', () => {
  it('lists what gpg lists: fingerprints, user IDs, creation, expiry, revocation, subkeys and secret state', () => {
    const theirs = parseColons(gpg(['--with-colons', '--fixed-list-mode', '--with-fingerprint', '--with-fingerprint', '--list-keys'], { home: gnupgHome }));
    // The fpr line that follows each sec line (parseColons reads pub lines only).
    const secret = [...gpg(['--with-colons', '--fixed-list-mode', '--with-fingerprint', '--list-secret-keys'], { home: gnupgHome }).matchAll(/^sec:.*\nfpr:(?:[^:]*:){8}([0-9A-F]{40}):/gm)].map((m) => m[1]);
    expect(secret).toContain(manifest.secret.fingerprint);
    expect(theirs.length).toBeGreaterThan(30);
    const ours = keyportJson<ListedKey[]>(['--store', 'gnupg', 'list'], onGnupg(tempHome()));
    expect(ours.map((k) => k.fingerprint).sort()).toEqual(theirs.map((k) => k.fingerprint).sort());
    const byFpr = new Map(theirs.map((k) => [k.fingerprint, k]));
    const problems: string[] = [];
    for (const k of ours) {
      const g = byFpr.get(k.fingerprint)!;
      if (seconds(k.created) !== g.created) problems.push(`${k.fingerprint}: created ${k.created} vs ${g.created}`);
      if (seconds(k.expires) !== g.expires) problems.push(`${k.fingerprint}: expires ${k.expires} vs ${g.expires}`);
      if (k.revoked !== (g.validity === 'r')) problems.push(`${k.fingerprint}: revoked ${k.revoked} vs ${g.validity}`);
      if (JSON.stringify([...k.userIds].sort()) !== JSON.stringify(g.userIds.map((u) => u.userId).sort())) problems.push(`${k.fingerprint}: user IDs differ`);
      if (JSON.stringify(k.subkeys.map((s) => s.fingerprint).sort()) !== JSON.stringify(g.subkeys.map((s) => s.fingerprint).sort())) problems.push(`${k.fingerprint}: subkeys differ`);
      if (k.hasSecret !== secret.includes(k.fingerprint)) problems.push(`${k.fingerprint}: hasSecret ${k.hasSecret}`);
    }
    expect(problems).toEqual([]);
    expect(ours.find((k) => k.fingerprint === manifest.secret.fingerprint)?.secretPrimary).toBe('present');
  });

  it('is chosen by KEYPORT_STORE and by the setting store; the embedded store stays the default', () => {
    const home = tempHome();
    expect(keyportJson<unknown[]>(['list'], onGnupg(home))).toEqual([]);
    const byEnv = keyportJson<ListedKey[]>(['list'], onGnupg(home, { KEYPORT_STORE: 'gnupg' }));
    expect(byEnv.some((k) => k.fingerprint === manifest.secret.fingerprint)).toBe(true);
    expect(keyport(['config', 'set', 'store', 'gnupg'], { home }).status).toBe(0);
    expect(keyportJson<ListedKey[]>(['list'], onGnupg(home)).length).toBe(byEnv.length);
    expect(keyportJson<unknown[]>(['--store', 'embedded', 'list'], onGnupg(home))).toEqual([]);
  });

  it('refuses an unknown store with a usage error and a next step', () => {
    const r = keyport(['--store', 'sq', 'list'], onGnupg(tempHome()));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/KP\d{4}.*store.*sq/);
    expect(r.stderr).toMatch(/embedded.*gnupg/);
  });

  it('exports and shows a key held only in GnuPG', () => {
    const home = tempHome();
    const exported = keyport(['--store', 'gnupg', 'export', manifest.rsa4096.fingerprint], onGnupg(home));
    expect(exported.status).toBe(0);
    expect(exported.stdout).toMatch(/^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
    // gpg reads back what keyport exported as the same key.
    const back = parseColons(gpg(['--with-colons', '--import-options', 'show-only', '--import'], { input: exported.stdout }));
    expect(back.map((k) => k.fingerprint)).toEqual([manifest.rsa4096.fingerprint]);
    const shown = keyportJson<{ fingerprint: string; hasSecret: boolean }>(['--store', 'gnupg', 'show', manifest.secret.fingerprint], onGnupg(home));
    expect(shown).toMatchObject({ fingerprint: manifest.secret.fingerprint, hasSecret: true });
  });

  it('deletes through gpg, and refuses a key with secret parts', () => {
    const home = tempHome();
    const fpr = manifest.ed25519.fingerprint;
    expect(keyport(['--store', 'gnupg', 'delete', fpr, '--yes'], onGnupg(home)).status).toBe(0);
    expect(gpg(['--with-colons', '--list-keys'], { home: gnupgHome })).not.toContain(fpr);
    const refused = keyport(['--store', 'gnupg', 'delete', manifest.secret.fingerprint, '--yes', '--secret'], onGnupg(home));
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/KP\d{4}/);
    expect(gpg(['--with-colons', '--list-keys'], { home: gnupgHome })).toContain(manifest.secret.fingerprint);
  });

  it('falls back to the embedded store, with a warning, when the gnupg module is disabled', () => {
    const home = tempHome();
    expect(keyport(['modules', 'disable', 'gnupg'], { home }).status).toBe(0);
    const r = keyport(['--store', 'gnupg', 'list', '--json'], onGnupg(home));
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
    expect(r.stderr).toMatch(/gnupg.*disabled.*embedded/i);
  });
});

interface Report {
  results: { fingerprint: string | null; status: string; notes?: string[] }[];
  summary: Record<string, number>;
}

/** gpg on `home` without blocking the event loop (the fixture servers run in this process). */
function gpgAsync(home: string, args: string[]): Promise<number> {
  const child = spawn('gpg', ['--batch', '--no-tty', '--quiet', ...args], { env: { ...process.env, GNUPGHOME: home, LC_ALL: 'C' }, stdio: ['ignore', 'ignore', 'ignore'] });
  return new Promise((resolve) => child.on('close', (code) => resolve(code ?? -1)));
}

/**
 * Where gpg says each key and user ID came from: colon fields 19 (last update) and 20 (origin:
 * a number, a space and the URL), per `pub` and `uid` line. The update time is kept only as
 * "set" and checked to be recent: the two homes are written seconds apart.
 */
function origins(home: string): string[] {
  return gpg(['--with-colons', '--list-keys'], { home })
    .split('\n')
    .filter((l) => /^(pub|uid):/.test(l))
    .map((l) => {
      const f = l.split(':');
      if (f[18]) expect(Math.abs(Number(f[18]) - Date.now() / 1000)).toBeLessThan(300);
      return [f[0], f[4] || f[9], f[18] ? 'updated' : '', f[19]].join(':');
    });
}

const gpgFingerprints = (home: string) => parseColons(gpg(['--with-colons', '--fixed-list-mode', '--with-fingerprint', '--list-keys'], { home })).map((k) => k.fingerprint);

describe('keyport --store gnupg import', () => {
  let hkp: RunningHkpFixture;
  beforeAll(async () => {
    hkp = await startHkpFixture({ dialect: 'sks', keys: [readFileSync(fixturePath(manifest.ed25519.file), 'utf8')] });
  });
  afterAll(() => hkp.stop());

  it('imports a file into GnuPG through the pipeline, and the embedded keyring stays empty', () => {
    const home = tempHome();
    const gnupg = tempGnupgHome();
    const env = { GNUPGHOME: gnupg };
    const report = keyportJson<Report>(['--store', 'gnupg', 'import', '--file', fixturePath(manifest.rsa4096.file)], { home, env });
    expect(report.results.map((r) => [r.fingerprint, r.status])).toEqual([[manifest.rsa4096.fingerprint, 'new']]);
    expect(gpgFingerprints(gnupg)).toEqual([manifest.rsa4096.fingerprint]);
    expect(keyportJson<unknown[]>(['list'], { home, env })).toEqual([]);
    const again = keyportJson<Report>(['--store', 'gnupg', 'import', '--file', fixturePath(manifest.rsa4096.file)], { home, env });
    expect(again.summary).toMatchObject({ new: 0, updated: 0, unchanged: 1, rejected: 0 });
  });

  it('imports the public part of a secret key file and says the secret part was left out', () => {
    const home = tempHome();
    const gnupg = tempGnupgHome();
    const report = keyportJson<Report>(['--store', 'gnupg', 'import', '--file', fixturePath(manifest.secret.secretFile!)], { home, env: { GNUPGHOME: gnupg } });
    expect(report.results).toMatchObject([{ fingerprint: manifest.secret.fingerprint, status: 'new' }]);
    expect(report.results[0]!.notes?.join(' ')).toMatch(/secret key material not imported/);
    expect(gpgFingerprints(gnupg)).toEqual([manifest.secret.fingerprint]);
    expect(gpg(['--with-colons', '--list-secret-keys'], { home: gnupg })).not.toContain('sec:');
  });

  it('imports from the HKP fixture into GnuPG; a second import changes no GnuPG file', async () => {
    const home = tempHome();
    const gnupg = tempGnupgHome();
    const env = { GNUPGHOME: gnupg };
    expect((await keyportAsync(['servers', 'add', hkp.url], { home })).status).toBe(0);
    expect((await keyportAsync(['servers', 'default', hkp.url], { home })).status).toBe(0);
    const report = await keyportJsonAsync<Report>(['--store', 'gnupg', 'import', manifest.ed25519.fingerprint], { home, env });
    expect(report.results.map((r) => [r.fingerprint, r.status])).toEqual([[manifest.ed25519.fingerprint, 'new']]);
    expect(gpgFingerprints(gnupg)).toEqual([manifest.ed25519.fingerprint]);
    const before = statSync(path.join(gnupg, 'pubring.kbx'));
    const again = await keyportJsonAsync<Report>(['--store', 'gnupg', 'import', manifest.ed25519.fingerprint], { home, env });
    expect(again.results.map((r) => r.status)).toEqual(['unchanged']);
    const after = statSync(path.join(gnupg, 'pubring.kbx'));
    expect([after.mtimeMs, after.size]).toEqual([before.mtimeMs, before.size]);
  });
});

describe('keyport --store gnupg sync and publish', () => {
  let hkp: RunningHkpFixture;
  let hagrid: RunningHagridFixture;
  beforeAll(async () => {
    hkp = await startHkpFixture({ dialect: 'sks', keys: [readFileSync(fixturePath(manifest['pair-new'].file), 'utf8')] });
    hagrid = await startHagridFixture();
  });
  afterAll(async () => {
    await hkp.stop();
    await hagrid.stop();
  });

  it('sync updates a key that is older in the GnuPG home from the HKP fixture; a second sync changes no GnuPG file', async () => {
    // Without KeyServerSync, sync goes to the default server (the HKP fixture).
    const home = await homeWith([
      ['modules', 'disable', 'keyserversync'],
      ['servers', 'add', hkp.url],
      ['servers', 'default', hkp.url],
    ]);
    const gnupg = tempGnupgHome();
    gpg(['--import'], { home: gnupg, input: readFileSync(fixturePath(manifest['pair-old'].file)) });
    const env = { GNUPGHOME: gnupg };
    const synced = await keyportJsonAsync<{ server: string; results: { fingerprint: string; status: string }[] }>(['--store', 'gnupg', 'sync', '--all', '--yes'], { home, env });
    expect(synced.results).toMatchObject([{ fingerprint: manifest['pair-new'].fingerprint, status: 'updated' }]);
    // gpg now lists every user ID and subkey of the server's copy.
    const held = parseColons(gpg(['--with-colons', '--fixed-list-mode', '--with-fingerprint', '--with-fingerprint', '--list-keys'], { home: gnupg }))[0]!;
    const served = gpgShowOnly(fixturePath(manifest['pair-new'].file))[0]!;
    expect(held.userIds.map((u) => u.userId)).toEqual(expect.arrayContaining(served.userIds.map((u) => u.userId)));
    expect(held.subkeys.map((k) => k.fingerprint)).toEqual(expect.arrayContaining(served.subkeys.map((k) => k.fingerprint)));
    const before = statSync(path.join(gnupg, 'pubring.kbx'));
    const again = await keyportJsonAsync<{ results: { status: string }[] }>(['--store', 'gnupg', 'sync', '--all', '--yes'], { home, env });
    expect(again.results.map((r) => r.status)).toEqual(['unchanged']);
    const after = statSync(path.join(gnupg, 'pubring.kbx'));
    expect([after.mtimeMs, after.size]).toEqual([before.mtimeMs, before.size]);
  });

  it('sync updates a key again after the user put an older copy back with gpg behind keyport\'s back (a remembered answer is skipped only while the local copy is the one it was merged into)', async () => {
    const home = await homeWith([
      ['modules', 'disable', 'keyserversync'],
      ['servers', 'add', hkp.url],
      ['servers', 'default', hkp.url],
    ]);
    const gnupg = tempGnupgHome();
    const fpr = manifest['pair-new'].fingerprint;
    const putOldCopyBack = () => {
      gpg(['--yes', '--delete-keys', fpr], { home: gnupg });
      gpg(['--import'], { home: gnupg, input: readFileSync(fixturePath(manifest['pair-old'].file)) });
    };
    gpg(['--import'], { home: gnupg, input: readFileSync(fixturePath(manifest['pair-old'].file)) });
    const env = { GNUPGHOME: gnupg };
    const served = gpgShowOnly(fixturePath(manifest['pair-new'].file))[0]!;
    const heldUserIds = () => parseColons(gpg(['--with-colons', '--list-keys'], { home: gnupg }))[0]!.userIds.map((u) => u.userId).sort();
    for (const round of [1, 2]) {
      const synced = await keyportJsonAsync<{ results: { fingerprint: string; status: string }[] }>(['--store', 'gnupg', 'sync', '--all', '--yes'], { home, env });
      expect(synced.results, `round ${round}`).toMatchObject([{ fingerprint: fpr, status: 'updated' }]);
      expect(heldUserIds(), `round ${round}`).toEqual(served.userIds.map((u) => u.userId).sort());
      // Unchanged on the server and here: nothing to do.
      const again = await keyportJsonAsync<{ results: { status: string }[] }>(['--store', 'gnupg', 'sync', '--all', '--yes'], { home, env });
      expect(again.results.map((r) => r.status)).toEqual(['unchanged']);
      putOldCopyBack();
    }
  });

  it('records key origins as gpg does: none for a file (gpg --import FILE), the key server for a server answer (gpg --recv-keys)', async () => {
    const home = await homeWith([
      ['modules', 'disable', 'keyserversync'],
      ['servers', 'add', hkp.url],
      ['servers', 'default', hkp.url],
    ]);
    const [ours, theirs] = [tempGnupgHome(), tempGnupgHome()];
    const env = { GNUPGHOME: ours };
    expect(keyport(['--store', 'gnupg', 'import', '--file', fixturePath(manifest.rsa4096.file)], { home, env }).status).toBe(0);
    gpg(['--import', fixturePath(manifest.rsa4096.file)], { home: theirs });
    expect((await keyportAsync(['--store', 'gnupg', 'import', manifest['pair-new'].fingerprint], { home, env })).status).toBe(0);
    expect(await gpgAsync(theirs, ['--keyserver', hkp.url.replace(/^http:/, 'hkp:'), '--recv-keys', manifest['pair-new'].fingerprint])).toBe(0);
    expect(origins(ours)).toEqual(origins(theirs));
    // The server's key: origin 1 (ks) and the server as dirmngr names it; the file's: origin 0.
    const port = new URL(hkp.url).port;
    expect(origins(ours)).toContain(`pub:${manifest['pair-new'].keyId}:updated:1 http\\x3a//127.0.0.1\\x3a${port}`);
    expect(origins(ours)).toContain(`pub:${manifest.rsa4096.keyId}::0`);
  });

  it('records where a synced update came from as gpg --refresh-keys does (origin ks and the server, colon fields 19-20)', async () => {
    const home = await homeWith([
      ['modules', 'disable', 'keyserversync'],
      ['servers', 'add', hkp.url],
      ['servers', 'default', hkp.url],
    ]);
    const [ours, theirs] = [tempGnupgHome(), tempGnupgHome()];
    for (const h of [ours, theirs]) gpg(['--import'], { home: h, input: readFileSync(fixturePath(manifest['pair-old'].file)) });
    const synced = await keyportJsonAsync<{ results: { status: string }[] }>(['--store', 'gnupg', 'sync', '--all', '--yes'], { home, env: { GNUPGHOME: ours } });
    expect(synced.results.map((r) => r.status)).toEqual(['updated']);
    expect(await gpgAsync(theirs, ['--keyserver', hkp.url.replace(/^http:/, 'hkp:'), '--refresh-keys'])).toBe(0);
    expect(origins(ours)).toEqual(origins(theirs));
    expect(origins(ours)[0]).toBe(`pub:${manifest['pair-new'].keyId}:updated:1 http\\x3a//127.0.0.1\\x3a${new URL(hkp.url).port}`);
  });

  it('publishes a key whose primary secret is in GnuPG to the Hagrid fixture, verifies, reads its status; a sec# key is refused', async () => {
    const home = await homeWith([['config', 'set', 'keyserversync.url', hagrid.url]]);
    const gnupg = tempGnupgHome();
    gpg(['--import'], { home: gnupg, input: readFileSync(fixturePath(manifest.secret.secretFile!)) });
    gpg(['--import'], { home: gnupg, input: readFileSync(fixturePath(manifest.stub.secretFile!)) });
    expect(gpg(['--with-colons', '--list-secret-keys', manifest.stub.fingerprint], { home: gnupg })).toMatch(/^sec:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:#/m);
    const env = { GNUPGHOME: gnupg };
    const fpr = manifest.secret.fingerprint;
    const published = await keyportJsonAsync<Record<string, unknown>>(['--store', 'gnupg', 'publish', fpr, '--no-verify', '--yes'], { home, env });
    expect(published).toEqual({
      fingerprint: fpr,
      server: hagrid.url,
      protocol: 'vks',
      addresses: { 'sam@example.org': 'unpublished', 'sam@work.example': 'unpublished' },
      // The copy check compares with the key as the GnuPG home holds it (the embedded keyring is empty).
      servers: [expect.objectContaining({ server: hagrid.url, protocol: 'vks', state: 'unverified' })],
    });
    // What went to the server is public packets only.
    const upload = hagrid.requests.find((r) => r.method === 'POST');
    expect(upload).toBeDefined();
    const verified = await keyportJsonAsync<{ addresses: Record<string, string> }>(['--store', 'gnupg', 'verify', fpr, 'sam@example.org'], { home, env });
    expect(verified.addresses).toEqual({ 'sam@example.org': 'pending', 'sam@work.example': 'unpublished' });
    hagrid.clickVerification('sam@example.org');
    const status = await keyportJsonAsync<{ state: string; addresses: string[] }[]>(['--store', 'gnupg', 'status', fpr], { home, env });
    expect(status[0]).toMatchObject({ state: 'published', addresses: ['sam@example.org'] });
    const shown = await keyportJsonAsync<{ publishStatus: { state: string } }>(['--store', 'gnupg', 'show', fpr], { home, env });
    expect(shown.publishStatus).toMatchObject({ state: 'published' });
    // Nothing was written to the embedded keyring.
    expect(await keyportJsonAsync<unknown[]>(['list'], { home, env })).toEqual([]);

    // Each server's copy, compared with the key as the GnuPG home holds it (not looked up in the empty embedded keyring).
    const onlyFixtures = await homeWith([
      ['config', 'set', 'keyserversync.url', hagrid.url],
      ['servers', 'add', hkp.url],
      ['servers', 'add', hagrid.url, '--protocol', 'vks'],
      ['servers', 'default', hkp.url],
      ['servers', 'remove', 'https://keyserver.ubuntu.com'],
      ['servers', 'remove', 'https://keys.openpgp.org'],
    ]);
    const copies = await keyportJsonAsync<{ keys: { fingerprint: string; servers: { server: string; state: string }[] }[] }>(['--store', 'gnupg', 'status', '--servers', fpr], { home: onlyFixtures, env });
    expect(copies.keys.map((k) => k.fingerprint)).toEqual([fpr]);
    // The HKP fixture never had it; the Hagrid fixture serves what was published (sam@example.org verified above).
    const bare = (url: string) => url.replace(/\/$/, '');
    expect(Object.fromEntries(copies.keys[0]!.servers.map((c) => [c.server, c.state]))).toEqual({ [bare(hkp.url)]: 'absent', [bare(hagrid.url)]: 'current' });
    // publish --to: the key as GnuPG holds it, to the named server over its own protocol.
    const toHkp = await keyportJsonAsync<{ fingerprint: string; published: { server: string }[]; servers: { server: string; state: string }[] }>(['--store', 'gnupg', 'publish', fpr, '--to', hkp.url, '--yes'], { home: onlyFixtures, env });
    expect(toHkp.fingerprint).toBe(fpr);
    expect(toHkp.servers).toMatchObject([{ state: 'current' }]);

    const refused = await keyportAsync(['--store', 'gnupg', 'publish', manifest.stub.fingerprint, '--no-verify', '--yes'], { home, env });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain(ErrorCodes.PublishNotAllowed);
    expect(refused.stderr).toMatch(/offline \(a stub\)/);
  });
});

describe('keyport import --from-store', () => {
  it('copies every key from GnuPG into the embedded store, and chosen keys back into another GnuPG home', () => {
    const home = tempHome();
    const source = tempGnupgHome();
    gpg(['--import'], { home: source, input: readFileSync(fixturePath(manifest.rsa4096.file)) });
    gpg(['--import'], { home: source, input: readFileSync(fixturePath(manifest.ed25519.file)) });
    const copied = keyportJson<Report>(['--store', 'embedded', 'import', '--from-store', 'gnupg'], { home, env: { GNUPGHOME: source } });
    expect(copied.results.map((r) => [r.fingerprint, r.status]).sort()).toEqual([
      [manifest.rsa4096.fingerprint, 'new'],
      [manifest.ed25519.fingerprint, 'new'],
    ].sort());
    expect(keyportJson<ListedKey[]>(['list'], { home }).map((k) => k.fingerprint).sort()).toEqual(gpgFingerprints(source).sort());
    const again = keyportJson<Report>(['import', '--from-store', 'gnupg'], { home, env: { GNUPGHOME: source } });
    expect(again.summary).toMatchObject({ new: 0, updated: 0, unchanged: 2, rejected: 0 });

    const target = tempGnupgHome();
    const back = keyportJson<Report>(['--store', 'gnupg', 'import', '--from-store', 'embedded', manifest.ed25519.fingerprint], { home, env: { GNUPGHOME: target } });
    expect(back.results.map((r) => [r.fingerprint, r.status])).toEqual([[manifest.ed25519.fingerprint, 'new']]);
    expect(gpgFingerprints(target)).toEqual([manifest.ed25519.fingerprint]);
  });

  it('refuses copying a store into itself, and an unknown store, with a next step', () => {
    const same = keyport(['import', '--from-store', 'embedded'], { home: tempHome() });
    expect(same.status).toBe(2);
    expect(same.stderr).toMatch(/KP\d{4}.*--from-store embedded is the store/);
    const unknown = keyport(['import', '--from-store', 'sq'], { home: tempHome() });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/KP\d{4}.*"sq"/);
  });
});

describe('keyport --store gnupg tui', () => {
  it('is no longer refused for its store: without a terminal it says what it needs, as on the embedded store', () => {
    for (const run of [keyport(['--store', 'gnupg', 'tui'], onGnupg(tempHome())), keyport(['tui'], onGnupg(tempHome(), { KEYPORT_STORE: 'gnupg' }))]) {
      expect(run.status).toBe(2);
      expect(run.stderr).toMatch(/^keyport: KP1002 the terminal UI needs a terminal/);
      expect(run.stderr).not.toMatch(/embedded store only/);
    }
  });
});
