import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { dearmorAll, type KeyportError } from '@keyport/core';
import { DEBIAN_KEYRING, fixtureBytes, fixturePath, gpg, gpgShowOnly, manifest, parseColons, removeGnupgHomes, tempGnupgHome } from '@keyport/test-fixtures';
import { GnupgKeyStore, gpgKeyServerOrigin, parseImportStatus, parseSecretListing } from '../src/index.js';

const dataDirs: string[] = [];
function dataDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keyport-gnupg-data-'));
  dataDirs.push(dir);
  return dir;
}
afterEach(() => {
  removeGnupgHomes();
  for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
afterAll(() => removeGnupgHomes());

const binary = (name: string) => dearmorAll(fixtureBytes(name));
const open = (home: string, data = dataDir(), extra: { program?: string; lockTimeoutMs?: number } = {}) =>
  GnupgKeyStore.open({ dataDir: data, env: { ...process.env, GNUPGHOME: home }, ...extra });

/** A script that says it is gpg `version` and fails at everything else. */
function fakeGpg(version: string): string {
  const dir = dataDir();
  const file = path.join(dir, 'gpg');
  writeFileSync(file, `#!/bin/sh\nfor a in "$@"; do [ "$a" = --version ] && { echo "gpg (GnuPG) ${version}"; exit 0; }; done\necho "gpg: fake gpg refuses" >&2\nexit 2\n`);
  chmodSync(file, 0o755);
  return file;
}

async function codeOf(promise: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    return (error as KeyportError).code;
  }
  return undefined;
}

describe('GnuPG key store: listing agrees with gpg', () => {
  it('on the 905 Debian keys: fingerprints, user ID sets, creation, expiry, validity and capabilities', async () => {
    if (!existsSync(DEBIAN_KEYRING)) throw new Error(`${DEBIAN_KEYRING} is missing (apt-get install debian-keyring)`);
    const home = tempGnupgHome();
    // A legacy pubring.gpg home: gpg reads it as it is (a keybox import of 905 keys takes minutes here).
    copyFileSync(DEBIAN_KEYRING, path.join(home, 'pubring.gpg'));
    const theirs = parseColons(gpg(['--with-colons', '--fixed-list-mode', '--with-fingerprint', '--with-fingerprint', '--list-keys'], { home }));
    expect(theirs.length).toBe(905);
    const store = open(home);
    const ours = await store.list();
    const byFpr = new Map(theirs.map((k) => [k.fingerprint, k]));
    const problems: string[] = [];
    expect(ours.length).toBe(byFpr.size);
    const seconds = (iso: string | null) => (iso === null ? null : Date.parse(iso) / 1000);
    for (const { summary: k, secret } of ours) {
      const g = byFpr.get(k.fingerprint);
      if (!g) {
        problems.push(`${k.fingerprint}: not listed by gpg`);
        continue;
      }
      if (seconds(k.created) !== g.created) problems.push(`${k.fingerprint}: created`);
      if (seconds(k.expires) !== g.expires) problems.push(`${k.fingerprint}: expires`);
      if (k.revoked !== (g.validity === 'r')) problems.push(`${k.fingerprint}: revoked`);
      if (secret.primary !== 'absent') problems.push(`${k.fingerprint}: secret ${secret.primary}`);
      const a = k.userIds.map((u) => `${u.revoked ? 'r' : u.expired ? 'e' : '-'} ${u.userId}`).sort();
      const b = g.userIds.map((u) => `${u.validity === 'r' ? 'r' : u.validity === 'e' ? 'e' : '-'} ${u.userId}`).sort();
      if (JSON.stringify(a) !== JSON.stringify(b)) problems.push(`${k.fingerprint}: user IDs ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
      const sa = k.subkeys.map((s) => `${s.fingerprint} ${seconds(s.created)} ${seconds(s.expires)} ${s.usage.map((u) => u[0]).sort().join('')}`).sort();
      const sb = g.subkeys.map((s) => `${s.fingerprint} ${s.created} ${s.expires} ${[...s.capabilities.replace(/[^a-z]/g, '')].sort().join('')}`).sort();
      if (JSON.stringify(sa) !== JSON.stringify(sb)) problems.push(`${k.fingerprint}: subkeys ${JSON.stringify(sa)} vs ${JSON.stringify(sb)}`);
    }
    expect(problems).toEqual([]);
    // The same keys as the embedded store's oracle sees in the file (gpg's show-only import).
    const inFile = gpgShowOnly(DEBIAN_KEYRING);
    expect(ours.map((e) => `${e.summary.fingerprint} ${e.summary.userIds.map((u) => u.userId).sort().join('|')}`).sort()).toEqual(
      inFile.map((k) => `${k.fingerprint} ${k.userIds.map((u) => u.userId).sort().join('|')}`).sort(),
    );
    // gpg's keyring was only read.
    expect(readFileSync(path.join(home, 'pubring.gpg')).equals(readFileSync(DEBIAN_KEYRING))).toBe(true);
  }, 300_000);
});

describe('GnuPG key store: cached index', () => {
  it('serves list from the cache while the keyring is unchanged, and re-reads after a gpg --import behind its back', async () => {
    const home = tempGnupgHome();
    gpg(['--import'], { home, input: binary(manifest.rsa4096.file) });
    const data = dataDir();
    expect((await open(home, data).list()).map((e) => e.summary.fingerprint)).toEqual([manifest.rsa4096.fingerprint]);
    // A store whose gpg fails at everything can only answer from the cache.
    const cachedOnly = open(home, data, { program: fakeGpg('2.2.40') });
    expect((await cachedOnly.list()).map((e) => e.summary.fingerprint)).toEqual([manifest.rsa4096.fingerprint]);
    gpg(['--import'], { home, input: binary(manifest.ed25519.file) });
    expect(await codeOf(cachedOnly.list())).toBe('KP1804');
    const fresh = await open(home, data).list();
    expect(fresh.map((e) => e.summary.fingerprint).sort()).toEqual([manifest.rsa4096.fingerprint, manifest.ed25519.fingerprint].sort());
  }, 120_000);
});

describe('GnuPG key store: secret states', () => {
  it('reads sec (present) and sec# (offline stub made with --export-secret-subkeys) from gpg', async () => {
    const home = tempGnupgHome();
    gpg(['--import'], { home, input: binary('secret.sec.asc') });
    const fpr = manifest.secret.fingerprint;
    const store = open(home);
    const state = await store.secretState(fpr);
    expect(state.primary).toBe('present');
    expect(Object.values(state.subkeys).every((s) => s === 'present')).toBe(true);
    const subkeysOnly = gpg(['--pinentry-mode', 'loopback', '--passphrase', manifest.secret.passphrase!, '--export-secret-subkeys', fpr], { home });
    const offline = tempGnupgHome();
    gpg(['--import'], { home: offline, input: Buffer.from(subkeysOnly, 'latin1') });
    const stub = await open(offline).secretState(fpr);
    expect(stub.primary).toBe('stub');
    expect(Object.keys(stub.subkeys).length).toBeGreaterThan(0);
    expect(Object.values(stub.subkeys).every((s) => s === 'present')).toBe(true);
    expect((await open(offline).secretState(manifest.rsa4096.fingerprint)).primary).toBe('absent');
    // A key with a secret part is never deleted through the store.
    expect(await codeOf(store.delete(fpr))).toBe('KP1002');
    expect(await codeOf(store.delete(fpr, { secret: true }))).toBe('KP1002');
    expect(gpg(['--with-colons', '--list-secret-keys'], { home })).toContain(fpr);
  }, 120_000);

  it('reads sec> (a card serial number in field 15) from a colon listing', () => {
    // No smartcard here, and gpg-agent makes no card stub without one: this checks the parsing only.
    const listing = [
      'sec:u:255:22:9777995843EF1A44:1577836800:::u:::cESC:::D2760001240103040006123456780000:::ed25519:::0:',
      'fpr:::::::::FE15B9EFC66328DCC34F2E1D9777995843EF1A44:',
      'ssb:u:255:18:AAAAAAAAAAAAAAAA:1577836800::::::e:::#:::cv25519::',
      'fpr:::::::::11111111111111111111AAAAAAAAAAAAAAAA:',
    ].join('\n');
    expect(parseSecretListing(listing).get('FE15B9EFC66328DCC34F2E1D9777995843EF1A44')).toEqual({
      primary: 'card',
      subkeys: { '11111111111111111111AAAAAAAAAAAAAAAA': 'stub' },
    });
  });
});

describe('GnuPG key store: import and delete', () => {
  it('maps gpg import status lines to the per-key report, skips no-op imports and reports updates', async () => {
    const home = tempGnupgHome();
    const store = open(home);
    const changes: string[][] = [];
    store.onChange((c) => changes.push(c.fingerprints ?? []));
    const first = await store.importCertificates(Buffer.concat([binary(manifest.rsa4096.file), binary(manifest['pair-old'].file)]), { source: 'local' });
    expect(first.results.map((r) => [r.fingerprint, r.status])).toEqual([
      [manifest.rsa4096.fingerprint, 'new'],
      [manifest['pair-old'].fingerprint, 'new'],
    ]);
    expect(first.summary).toEqual({ new: 2, updated: 0, unchanged: 0, rejected: 0 });
    const kbx = statSync(path.join(home, 'pubring.kbx'));
    const again = await store.importCertificates(binary(manifest.rsa4096.file), { source: 'keyserver' });
    expect(again.results[0]).toMatchObject({ fingerprint: manifest.rsa4096.fingerprint, status: 'unchanged' });
    // Nothing to add: gpg was not asked to import, its keyring file is untouched.
    const kbxAfter = statSync(path.join(home, 'pubring.kbx'));
    expect([kbxAfter.size, kbxAfter.mtimeMs]).toEqual([kbx.size, kbx.mtimeMs]);
    // Key-server data is screened as gpg cleans it; what the newer copy adds still gets in.
    expect([...(await store.changesOf(binary(manifest['pair-new'].file), 'keyserver')).values()][0]!.counts).not.toEqual({ userIds: 0, subkeys: 0, signatures: 0, revocations: 0 });
    const update = await store.importCertificates(binary(manifest['pair-new'].file), { source: 'keyserver' });
    expect(update.results[0]!.status).toBe('updated');
    const added = update.results[0]!.added;
    expect(added.userIds + added.subkeys + added.signatures + added.revocations).toBeGreaterThan(0);
    const held = parseColons(gpg(['--with-colons', '--with-fingerprint', '--list-keys', manifest['pair-new'].fingerprint], { home }));
    const expected = parseColons(gpg(['--with-colons', '--import-options', 'show-only', '--import'], { input: binary(manifest['pair-new'].file) }));
    expect(held[0]!.userIds.map((u) => u.userId).sort()).toEqual(expected[0]!.userIds.map((u) => u.userId).sort());
    expect((await store.list()).length).toBe(2);
    await store.delete(manifest.rsa4096.fingerprint);
    expect(gpg(['--with-colons', '--list-keys'], { home })).not.toContain(manifest.rsa4096.fingerprint);
    expect(await codeOf(store.delete(manifest.rsa4096.fingerprint))).toBe('KP1202');
    await new Promise((r) => setImmediate(r));
    expect(changes.length).toBeGreaterThanOrEqual(3);
  }, 120_000);

  it('sees a key-server copy that only adds third-party certifications as no change, as gpg would clean it', async () => {
    if (!existsSync(DEBIAN_KEYRING)) throw new Error(`${DEBIAN_KEYRING} is missing (apt-get install debian-keyring)`);
    const debian = tempGnupgHome();
    copyFileSync(DEBIAN_KEYRING, path.join(debian, 'pubring.gpg'));
    const certified = parseColons(gpg(['--with-colons', '--with-sig-list', '--list-keys'], { home: debian }))
      .slice(0, 40)
      .map((k) => k.fingerprint);
    const serverCopy = Buffer.from(gpg(['--export', ...certified], { home: debian }), 'latin1');
    const home = tempGnupgHome();
    gpg(['--import-options', 'import-clean,self-sigs-only', '--import'], { home, input: serverCopy });
    const store = open(home);
    // The server copy carries certifications by other keys: a local file would add them ...
    const asFile = [...(await store.changesOf(serverCopy, 'local')).values()];
    expect(asFile.some((c) => c.counts.signatures > 0)).toBe(true);
    // ... but gpg drops them from key-server data, so importing it as such changes nothing.
    const asServer = await store.changesOf(serverCopy, 'keyserver');
    expect(asServer.size).toBe(certified.length);
    expect([...asServer.values()].filter((c) => !c.present || c.counts.userIds + c.counts.subkeys + c.counts.signatures + c.counts.revocations > 0)).toEqual([]);
    const report = await store.importCertificates(serverCopy, { source: 'keyserver' });
    expect(report.summary).toEqual({ new: 0, updated: 0, unchanged: certified.length, rejected: 0 });
  }, 180_000);

  it('refuses secret key material and bad data with coded errors, writing nothing', async () => {
    const home = tempGnupgHome();
    const store = open(home);
    const report = await store.importCertificates(binary('secret.sec.asc'), { source: 'local' });
    expect(report.results[0]).toMatchObject({ fingerprint: manifest.secret.fingerprint, status: 'rejected' });
    expect(report.results[0]!.reason).toMatch(/secret/);
    expect(await codeOf(store.importCertificates(new Uint8Array([0x00, 0x01, 0x02]), { source: 'local' }))).toBe('KP1300');
    expect(await codeOf(store.importCertificates(new Uint8Array(0), { source: 'local' }))).toBe('KP1302');
    expect(gpg(['--with-colons', '--list-secret-keys'], { home })).not.toContain(manifest.secret.fingerprint);
    expect(await store.list()).toEqual([]);
  }, 60_000);

  it('parses IMPORT_OK, IMPORT_PROBLEM and IMPORT_RES', () => {
    const parsed = parseImportStatus(
      ['[GNUPG:] IMPORT_OK 1 F168A44255147241FC23A4F7DD79805772E91EA9', '[GNUPG:] IMPORT_OK 6 90c79b28691d2fb61d4d22b4192b0027b6de5935', '[GNUPG:] IMPORT_PROBLEM 1 25A5E22BE72D2E1EACEFA536A8F80B09FBCD8481', '[GNUPG:] IMPORT_RES 3 1 1 0 0 2 0 5 0 0 0 0 0 0 0'].join('\n'),
    );
    expect(parsed.lines).toEqual([
      { kind: 'ok', flags: 1, reason: 0, fingerprint: 'F168A44255147241FC23A4F7DD79805772E91EA9' },
      { kind: 'ok', flags: 6, reason: 0, fingerprint: '90C79B28691D2FB61D4D22B4192B0027B6DE5935' },
      { kind: 'problem', flags: 0, reason: 1, fingerprint: '25A5E22BE72D2E1EACEFA536A8F80B09FBCD8481' },
    ]);
    expect(parsed.totals).toMatchObject({ count: 3, noUserId: 1, imported: 1, unchanged: 0, userIds: 2, subkeys: 0, signatures: 5 });
  });

  it('loses nothing of its own when a gpg --import runs in the same home during a store import', async () => {
    // gpg 2.2.40 itself can lose keys of one of two concurrent imports (that gpg exits 2, "General
    // error"): the store checks what gpg stored and imports again what it did not. Several rounds,
    // because the overlap is a matter of timing.
    const names = ['rsa4096', 'ed25519', 'expired', 'revoked', 'expired-subkey', 'revoked-uid'] as const;
    const ours = names.slice(0, 3);
    const theirs = names.slice(3);
    for (let round = 0; round < 6; round++) {
      const home = tempGnupgHome();
      gpg(['--import'], { home, input: binary(manifest['to-revoke'].file) });
      const store = open(home);
      const outside = new Promise<number | null>((resolve) => {
        const child = spawn('gpg', ['--batch', '--no-tty', '--quiet', '--import'], { env: { ...process.env, GNUPGHOME: home, LC_ALL: 'C' }, stdio: ['pipe', 'ignore', 'ignore'] });
        child.on('close', resolve);
        child.stdin.end(Buffer.concat(theirs.map((n) => binary(manifest[n].file))));
      });
      const report = await store.importCertificates(Buffer.concat(ours.map((n) => binary(manifest[n].file))), { source: 'local' });
      const outsideStatus = await outside;
      expect(report.results.map((r) => [r.fingerprint, r.status])).toEqual(ours.map((n) => [manifest[n].fingerprint, 'new']));
      const listed = new Set(parseColons(gpg(['--with-colons', '--with-fingerprint', '--list-keys'], { home })).map((k) => k.fingerprint));
      for (const n of ours) expect(listed.has(manifest[n].fingerprint), `round ${round}: ${n}`).toBe(true);
      // The user's gpg either stored everything or said it failed; never a silent loss.
      if (outsideStatus === 0) for (const n of theirs) expect(listed.has(manifest[n].fingerprint), `round ${round}: ${n}`).toBe(true);
      expect(new Set((await store.list()).map((e) => e.summary.fingerprint))).toEqual(listed);
    }
  }, 180_000);
});

describe('GnuPG key store: an update while another gpg replaces the keyring', () => {
  it('gives gpg an update of a held key with merge-only, and again when gpg could not read the stored copy', async () => {
    const home = tempGnupgHome();
    gpg(['--import'], { home, input: binary(manifest['pair-old'].file) });
    const { program, imports } = gpgWithKeyboxAway(home, 1);
    const store = open(home, dataDir(), { program });
    await store.list();
    const report = await store.importCertificates(binary(manifest['pair-new'].file), { source: 'keyserver' });
    expect(report.results.map((r) => [r.fingerprint, r.status])).toEqual([[manifest['pair-new'].fingerprint, 'updated']]);
    expect(imports()).toHaveLength(2);
    for (const args of imports()) expect(args).toMatch(/--import-options \S*merge-only/);
    const held = parseColons(gpg(['--with-colons', '--with-fingerprint', '--list-keys'], { home }));
    const served = gpgShowOnly(fixturePath(manifest['pair-new'].file))[0]!;
    expect(held.map((k) => k.fingerprint)).toEqual([served.fingerprint]);
    expect(held[0]!.userIds.map((u) => u.userId).sort()).toEqual(served.userIds.map((u) => u.userId).sort());
    // What the update added, not the whole key: the old copy's user ID is not counted again.
    expect(report.results[0]!.added.userIds).toBe(served.userIds.length - 1);
  }, 60_000);

  it('keeps giving gpg the update while other programs keep replacing the keyring, and says so when it never gets in', async () => {
    // Two users importing in a loop next to a sync replaced pubring.kbx during keyport's gpg
    // three times in a row (seen in the CLI concurrency test): five misses are still an update.
    const home = tempGnupgHome();
    gpg(['--import'], { home, input: binary(manifest['pair-old'].file) });
    const five = gpgWithKeyboxAway(home, 5);
    const store = open(home, dataDir(), { program: five.program });
    await store.list();
    const report = await store.importCertificates(binary(manifest['pair-new'].file), { source: 'keyserver' });
    expect(report.results.map((r) => r.status)).toEqual(['updated']);
    expect(five.imports()).toHaveLength(6);
    // A keyring that never holds still: the key is reported, with what to do, and nothing is lost.
    const other = tempGnupgHome();
    gpg(['--import'], { home: other, input: binary(manifest['pair-old'].file) });
    const always = gpgWithKeyboxAway(other, 1000);
    const stuck = await open(other, dataDir(), { program: always.program }).importCertificates(binary(manifest['pair-new'].file), { source: 'keyserver' });
    expect(stuck.results).toMatchObject([{ fingerprint: manifest['pair-new'].fingerprint, status: 'rejected' }]);
    expect(stuck.results[0]!.reason).toMatch(/another program.*run it again/);
    expect(parseColons(gpg(['--with-colons', '--with-fingerprint', '--list-keys'], { home: other })).map((k) => k.userIds.length)).toEqual([1]);
  }, 60_000);

  it('reads the stored copy again when an export misses a key the listing showed', async () => {
    const home = tempGnupgHome();
    gpg(['--import'], { home, input: binary(manifest['pair-old'].file) });
    // The first export finds nothing, as one that reads while another gpg replaces the keybox can.
    const { log, program } = gpgScript('imports', (dir, log) =>
      `#!/bin/sh
case " $* " in
  *" --export "*) if [ ! -e '${dir}/missed-once' ]; then touch '${dir}/missed-once'; echo 'gpg: WARNING: nothing exported' >&2; exit 0; fi;;
  *" --import "*) echo "$*" >> '${log}';;
esac
exec gpg "$@"
`,
    );
    const store = open(home, dataDir(), { program });
    await store.list();
    const report = await store.importCertificates(binary(manifest['pair-new'].file), { source: 'keyserver' });
    expect(report.results[0]).toMatchObject({ fingerprint: manifest['pair-new'].fingerprint, status: 'updated' });
    expect(report.results[0]!.added.userIds).toBe(1);
    expect(readFileSync(log, 'utf8')).toMatch(/--import-options \S*merge-only/);
  }, 60_000);
});

describe('GnuPG key store: key origin', () => {
  it('names a key server as dirmngr does in the origin gpg records: http or https, the host, always a port', () => {
    // gpg --keyserver hkp://127.0.0.1:33275 --refresh-keys records http://127.0.0.1:33275 (gpg 2.2.40).
    expect(gpgKeyServerOrigin('hkp://127.0.0.1:33275')).toBe('http://127.0.0.1:33275');
    expect(gpgKeyServerOrigin('http://127.0.0.1:33275/')).toBe('http://127.0.0.1:33275');
    expect(gpgKeyServerOrigin('hkps://keys.openpgp.org')).toBe('https://keys.openpgp.org:443');
    expect(gpgKeyServerOrigin('https://keyserver.ubuntu.com/')).toBe('https://keyserver.ubuntu.com:443');
    expect(gpgKeyServerOrigin('hkp://keys.example.org')).toBe('http://keys.example.org:11371');
    expect(gpgKeyServerOrigin('http://[::1]:8080/')).toBe('http://[::1]:8080');
    expect(gpgKeyServerOrigin('keydir:///srv/keys')).toBe('keydir:///srv/keys');
    expect(gpgKeyServerOrigin('not a url')).toBeUndefined();
  });

  it('passes the key server of key-server data to gpg as its key origin, and nothing for files', async () => {
    const home = tempGnupgHome();
    const store = open(home);
    await store.importCertificates(binary(manifest.rsa4096.file), { source: 'local', origin: { url: 'hkp://127.0.0.1:9' } });
    await store.importCertificates(binary(manifest.ed25519.file), { source: 'keyserver', origin: { url: 'hkps://keys.example.org' } });
    const origin = (fpr: string) => gpg(['--with-colons', '--list-keys', fpr], { home }).split('\n').find((l) => l.startsWith('pub:'))!.split(':')[19];
    expect(origin(manifest.rsa4096.fingerprint)).toBe('0');
    expect(origin(manifest.ed25519.fingerprint)).toBe('1 https\\x3a//keys.example.org\\x3a443');
  }, 60_000);
});

describe('GnuPG key store: metadata and lock', () => {
  it('keeps plugins\' per-key metadata in keyport\'s data folder by GnuPG home and fingerprint', async () => {
    const home = tempGnupgHome();
    const other = tempGnupgHome();
    gpg(['--import'], { home, input: binary(manifest.rsa4096.file) });
    const data = dataDir();
    const fpr = manifest.rsa4096.fingerprint;
    await open(home, data).metadata.setMany([
      { fingerprint: fpr, namespace: 'keyserversync', value: { token: 't' } },
      { fingerprint: fpr.toLowerCase(), namespace: 'publish', value: 'published' },
    ]);
    expect(await open(home, data).metadata.get(fpr)).toEqual({ keyserversync: { token: 't' }, publish: 'published' });
    expect(await open(other, data).metadata.get(fpr)).toEqual({});
    await open(home, data).metadata.set(fpr, 'publish', undefined);
    expect(await open(home, data).metadata.get(fpr)).toEqual({ keyserversync: { token: 't' } });
    const store = open(home, data);
    await store.delete(fpr);
    expect(await open(home, data).metadata.get(fpr)).toEqual({});
    // Nothing of keyport's is written into the GnuPG home.
    expect(readFileSync(path.join(store.stateDir, 'meta.json'), 'utf8')).toBe('{}');
    expect(store.stateDir.startsWith(data)).toBe(true);
    writeFileSync(path.join(store.stateDir, 'meta.json'), '{"broken');
    expect(await codeOf(store.metadata.get(fpr))).toBe('KP1201');
  }, 60_000);

  it('reads the metadata file once while it is unchanged, and sees what another keyport wrote', async () => {
    const home = tempGnupgHome();
    const data = dataDir();
    const fpr = manifest.rsa4096.fingerprint;
    const reader = open(home, data);
    const writer = open(home, data);
    await writer.metadata.set(fpr, 'syncAnswers', { server: 'a' });
    const first = await reader.metadata.get(fpr);
    expect(first).toEqual({ syncAnswers: { server: 'a' } });
    // What a caller does with its copy is not what the next reader gets.
    (first.syncAnswers as Record<string, string>).server = 'changed by a caller';
    expect(await reader.metadata.get(fpr)).toEqual({ syncAnswers: { server: 'a' } });
    // Another process (here another store object) replaces the file: the next read sees it.
    await writer.metadata.set(fpr, 'syncAnswers', { server: 'b' });
    expect(await reader.metadata.get(fpr)).toEqual({ syncAnswers: { server: 'b' } });
  });

  it('withLock keeps two stores on the same home from running their steps at once', async () => {
    const home = tempGnupgHome();
    const data = dataDir();
    const a = open(home, data);
    const b = open(home, data);
    const trace: string[] = [];
    // Each step runs gpg while it holds the lock, so unlocked steps would interleave.
    const step = (name: string, store: GnupgKeyStore) => async () => {
      trace.push(`${name} in`);
      await store.readCertificate(manifest.rsa4096.fingerprint);
      trace.push(`${name} out`);
    };
    await Promise.all([a.withLock(step('a', a)), b.withLock(step('b', b))]);
    expect(['a in,a out,b in,b out', 'b in,b out,a in,a out']).toContain(trace.join(','));
  }, 60_000);
});

describe('GnuPG key store: coded errors', () => {
  it('gpg missing, too old, home missing, and a keyring lock in the way', async () => {
    const home = tempGnupgHome();
    expect(await codeOf(() => open(home, dataDir(), { program: path.join(home, 'no-such-gpg') }))).toBe('KP1800');
    expect(await codeOf(() => open(home, dataDir(), { program: fakeGpg('2.0.30') }))).toBe('KP1801');
    expect(await codeOf(() => open(path.join(home, 'missing')))).toBe('KP1802');
    expect(await codeOf(() => GnupgKeyStore.open({ dataDir: dataDir(), env: { ...process.env, GNUPGHOME: path.join(home, 'missing') } }))).toBe('KP1802');
    const store = open(home, dataDir(), { lockTimeoutMs: 1_000 });
    await store.importCertificates(binary(manifest.rsa4096.file), { source: 'local' });
    // gpg's dot-lock, held by a live process on this host: gpg waits for it, the store gives up with KP1803.
    const holder = spawn('sleep', ['60']);
    writeFileSync(path.join(home, 'pubring.kbx.lock'), `${String(holder.pid).padStart(10)}\n${os.hostname()}\n`);
    try {
      expect(await codeOf(store.importCertificates(binary(manifest.ed25519.file), { source: 'local' }))).toBe('KP1803');
    } finally {
      holder.kill();
      rmSync(path.join(home, 'pubring.kbx.lock'), { force: true });
    }
    expect(gpg(['--with-colons', '--list-keys'], { home })).toContain(manifest.rsa4096.fingerprint);
  }, 60_000);
});

describe('reading certificates in bulk', () => {
  it('answers reads asked for together with one gpg --export, each with its own key', async () => {
    const home = tempGnupgHome();
    for (const key of [manifest.rsa4096, manifest.ed25519]) gpg(['--import'], { home, input: fixtureBytes(key.file) });
    const { program, exports } = gpgNotingExports();
    const store = await open(home, dataDir(), { program });
    const [rsa, ed, none] = await Promise.all([store.readCertificate(manifest.rsa4096.fingerprint), store.readCertificate(manifest.ed25519.fingerprint), store.readCertificate('0'.repeat(40))]);
    expect(exports()).toHaveLength(1);
    expect(gpgShowOnly(writeTemp(rsa!)).map((k) => k.fingerprint)).toEqual([manifest.rsa4096.fingerprint]);
    expect(gpgShowOnly(writeTemp(ed!)).map((k) => k.fingerprint)).toEqual([manifest.ed25519.fingerprint]);
    expect(none).toBeUndefined();
  });

  it('reads ahead with one gpg --export, answers later reads from it, and reads again after gpg changed the keyring behind its back', async () => {
    const home = tempGnupgHome();
    for (const key of [manifest.rsa4096, manifest.ed25519, manifest['pair-old']]) gpg(['--import'], { home, input: fixtureBytes(key.file) });
    const { program, exports } = gpgNotingExports();
    const store = await open(home, dataDir(), { program });
    const all = [manifest.rsa4096.fingerprint, manifest.ed25519.fingerprint, manifest['pair-old'].fingerprint];
    store.readAhead(all);
    // Reads in later turns of the event loop, as a sync's chunks come: none starts gpg again.
    for (const fpr of all) {
      await new Promise((resolve) => setImmediate(resolve));
      expect(gpgShowOnly(writeTemp((await store.readCertificate(fpr))!)).map((k) => k.fingerprint)).toEqual([fpr]);
    }
    expect(exports()).toHaveLength(1);
    expect(exports()[0]).toContain(manifest['pair-old'].fingerprint);
    // The user's gpg updates one key: keyport's reads give the keyring's copy, not the one read ahead.
    gpg(['--import'], { home, input: fixtureBytes(manifest['pair-new'].file) });
    const served = gpgShowOnly(fixturePath(manifest['pair-new'].file))[0]!;
    const now = gpgShowOnly(writeTemp((await store.readCertificate(manifest['pair-old'].fingerprint))!))[0]!;
    expect(now.userIds.map((u) => u.userId).sort()).toEqual(served.userIds.map((u) => u.userId).sort());
    expect(exports()).toHaveLength(2);
  });
});

/**
 * gpg behind a script whose first `times` imports run while pubring.kbx is away: what such a gpg
 * sees when another gpg replaces the keybox just as it reads the stored copy (gpg 2.2.40 then
 * takes the key for a new one). Every import's arguments are noted.
 */
function gpgWithKeyboxAway(home: string, times: number): { program: string; imports: () => string[] } {
  const { log, program } = gpgScript('imports', (dir, log) =>
    `#!/bin/sh
case " $* " in *" --import "*)
  echo "$*" >> '${log}'
  if [ "$(wc -l < '${log}')" -le ${times} ]; then
    mv '${home}/pubring.kbx' '${dir}/pubring.kbx'
    gpg "$@"; status=$?
    mv '${dir}/pubring.kbx' '${home}/pubring.kbx'
    exit $status
  fi;;
esac
exec gpg "$@"
`,
  );
  return { program, imports: () => readFileSync(log, 'utf8').trim().split('\n') };
}

/** An executable script standing in for gpg (its text made from its folder and a log file there). */
function gpgScript(logName: string, text: (dir: string, log: string) => string): { dir: string; log: string; program: string } {
  const dir = dataDir();
  const log = path.join(dir, logName);
  const program = path.join(dir, 'gpg');
  writeFileSync(program, text(dir, log));
  chmodSync(program, 0o755);
  return { dir, log, program };
}

/** gpg behind a script that notes the arguments of every export it runs. */
function gpgNotingExports(): { program: string; exports: () => string[] } {
  const { log, program } = gpgScript('exports', (_dir, log) =>
    `#!/bin/sh\nfor a in "$@"; do [ "$a" = --export ] && echo "$*" >> '${log}'; done\nexec gpg "$@"\n`,
  );
  return { program, exports: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []) };
}

function writeTemp(bytes: Uint8Array): string {
  const file = path.join(dataDir(), 'key.gpg');
  writeFileSync(file, bytes);
  return file;
}
