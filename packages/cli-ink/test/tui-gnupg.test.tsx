/**
 * The terminal UI on a GnuPG home (`--store gnupg`): it lists what gpg lists, says in its header
 * which store it works on and where, exports and deletes through gpg (gpg's own listing is the
 * oracle), and shows a key that a concurrent `gpg --import` adds. Homes are temporary; their
 * agents are stopped (removeGnupgHomes in helpers' afterAll).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import React from 'react';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyport, type KeyStore, type Keyport } from '@keyport/core';
import { fixtureArmored, fixturePath, gpg, gpgShowOnly, hasGpg, manifest, parseColons, startHagridFixture, startHkpFixture, tempGnupgHome, type RunningHagridFixture, type RunningHkpFixture } from '@keyport/test-fixtures';
import { App } from '../src/tui/App.js';
import { storeForTui, type TuiStore } from '../src/tui/store.js';
import { openStore } from '../src/store.js';
import { builtinPlugins } from '../src/plugins.js';
import { BIN, keyport, tempDir } from './helpers.js';
import { renderTui } from './tui-driver.js';

const KEY = { esc: '\u001B', enter: '\r', down: '\u001B[B' };
const PUBLIC = ['rsa4096', 'ed25519', 'expired', 'revoked', 'to-revoke'] as const;

/** What gpg lists in `home`: fingerprint to key. */
function gpgKeys(home: string) {
  return new Map(parseColons(gpg(['--with-colons', '--fixed-list-mode', '--with-fingerprint', '--list-keys'], { home })).map((k) => [k.fingerprint, k]));
}

/** A GnuPG home with the public fixture keys and one key with its secret key. */
function gnupgHomeWithKeys(): string {
  const home = tempGnupgHome();
  for (const name of PUBLIC) gpg(['--import'], { home, input: readFileSync(fixturePath(manifest[name].file)) });
  gpg(['--import'], { home, input: readFileSync(fixturePath(manifest.secret.secretFile!)) });
  return home;
}

/** keyport on its own temporary home, working on the GnuPG home `gnupgHome`. */
async function onGnupg(gnupgHome: string): Promise<{ kp: Keyport; store: KeyStore; tui: TuiStore }> {
  const env = { GNUPGHOME: gnupgHome };
  const kp = await createKeyport({ home: tempDir('keyport-tui-gnupg-'), plugins: builtinPlugins, env });
  const store = await openStore(kp, 'gnupg', env, (text) => {
    throw new Error(`unexpected fallback: ${text}`);
  });
  return { kp, store, tui: storeForTui(kp, store) };
}

async function open(kp: Keyport, tui: TuiStore, size = { columns: 200, rows: 50 }) {
  const initialKeys = await tui.list();
  const t = renderTui((onInputIdle) => <App kp={kp} store={tui} initialKeys={initialKeys} onQuit={() => {}} plain onInputIdle={onInputIdle} />, { size, waitMs: 10_000 });
  await t.fitted(size.columns);
  return t;
}

/** Filters the list to one key (its fingerprint), so the cursor is on it. */
async function filterTo(t: Awaited<ReturnType<typeof open>>, fingerprint: string) {
  await t.press('/', ...fingerprint, KEY.enter);
  await t.see('1 All (1)');
}

beforeAll(() => {
  if (!hasGpg()) throw new Error('gnupg is required (apt-get install gnupg)');
});

describe('the TUI on the GnuPG store', () => {
  it('lists every key gpg lists, with gpg\'s secret state, and the header names the store and its home', async () => {
    const home = gnupgHomeWithKeys();
    const { kp, tui } = await onGnupg(home);
    const theirs = gpgKeys(home);
    const t = await open(kp, tui);
    const f = await t.see(`${theirs.size} keys`);
    expect(f.split('\n')[0]).toMatch(new RegExp(`^keyport · gnupg · ${home.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} · ${theirs.size} keys`));
    for (const [fpr] of theirs) expect(f).toContain(fpr.slice(-16));
    // gpg --list-secret-keys marks the one key with a secret part: the list says sec for it only.
    expect(f).toContain(`] sec ${manifest.secret.fingerprint.slice(-16)}`);
    expect(f.match(/\] sec /g)?.length).toBe(1);
    t.app.unmount();
  });

  it('at 80 columns the header shortens the home and keeps the store and the key count', async () => {
    // A home with a long path, as deep as a real one can be.
    const deep = path.join(tempGnupgHome(), 'a-long-folder-name-for-a-home', 'gnupg');
    mkdirSync(deep, { recursive: true, mode: 0o700 });
    expect(`keyport · gnupg · ${deep} · 1 keys`.length).toBeGreaterThan(80);
    gpg(['--import'], { home: deep, input: readFileSync(fixturePath(manifest.rsa4096.file)) });
    try {
      const { kp, tui } = await onGnupg(deep);
      const t = await open(kp, tui, { columns: 80, rows: 24 });
      const header = (await t.see('1 keys')).split('\n')[0]!;
      expect([...header].length).toBeLessThanOrEqual(80);
      expect(header).toMatch(/^keyport · gnupg · …\S*\/gnupg · 1 keys$/);
      t.app.unmount();
    } finally {
      spawnSync('gpgconf', ['--homedir', deep, '--kill', 'all'], { stdio: 'ignore' });
    }
  });

  it('exports the selected keys to a file (gpg reads back the same keys) and deletes through gpg', async () => {
    const home = gnupgHomeWithKeys();
    const { kp, tui } = await onGnupg(home);
    const t = await open(kp, tui);
    const before = gpgKeys(home);
    await t.see(`${before.size} keys`);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'keyport-tui-gnupg-export-'));
    try {
      const out = path.join(dir, 'two.asc');
      // Select two keys, export them.
      await filterTo(t, manifest.rsa4096.fingerprint);
      await t.press(' ');
      await t.see('1 selected');
      // Esc in the filter field clears the filter and keeps the selection.
      await t.press('/', KEY.esc);
      await t.see(`All (${before.size})`);
      await filterTo(t, manifest.ed25519.fingerprint);
      await t.press(' ');
      await t.see('2 selected');
      await t.press('x');
      await t.see('Export 2 selected key(s) to:');
      // Replace the suggested name.
      await t.press(...'\u007F'.repeat(20), ...out, KEY.enter);
      await t.see('exported 2 public key(s)');
      expect(gpgShowOnly(out).map((k) => k.fingerprint).sort()).toEqual([manifest.rsa4096.fingerprint, manifest.ed25519.fingerprint].sort());

      // Delete the two selected public keys: gpg lists them no more, and the list follows.
      await t.press('D');
      await t.see('Delete the 2 selected key(s)?');
      await t.press('y');
      await t.see('deleted 2 key(s)');
      await t.see(`${before.size - 2} keys`);
      const after = gpgKeys(home);
      expect([...after.keys()].sort()).toEqual([...before.keys()].filter((f) => f !== manifest.rsa4096.fingerprint && f !== manifest.ed25519.fingerprint).sort());

      // Keys with secret keys in GnuPG stay (gpg deletes those): alone, D says so; with others,
      // the others are deleted.
      await t.press('/', KEY.esc);
      await filterTo(t, manifest.secret.fingerprint);
      await t.press(' ', 'D');
      await t.see('keyport does not delete secret keys from gnupg: use gpg --delete-secret-and-public-keys');
      await t.press('/', KEY.esc);
      await filterTo(t, manifest.expired.fingerprint);
      await t.press(' ', 'D');
      await t.see('Delete 1 of the 2 selected key(s)? 1 with secret keys stay: keyport does not delete secret keys from gnupg');
      await t.press('y');
      await t.see('deleted 1 key(s); the 1 with secret keys stay selected');
      const last = gpgKeys(home);
      expect(last.has(manifest.secret.fingerprint)).toBe(true);
      expect(last.has(manifest.expired.fingerprint)).toBe(false);
      expect(last.size).toBe(before.size - 3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      t.app.unmount();
    }
  });

  it('details export and delete go through gpg', async () => {
    const home = gnupgHomeWithKeys();
    const { kp, tui } = await onGnupg(home);
    const t = await open(kp, tui);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'keyport-tui-gnupg-details-'));
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      await filterTo(t, manifest['to-revoke'].fingerprint);
      await t.press(KEY.enter);
      await t.see('Operations');
      // Publish, verify, sync, export, delete: export is the fourth.
      await t.press(KEY.down, KEY.down, KEY.down, KEY.enter);
      await t.see('exported the public key');
      const file = path.join(dir, `${manifest['to-revoke'].fingerprint}.asc`);
      expect(gpgShowOnly(file).map((k) => k.fingerprint)).toEqual([manifest['to-revoke'].fingerprint]);
      await t.press(KEY.down, KEY.enter);
      await t.see('[y/N]');
      await t.press('y');
      await t.see(`deleted ${manifest['to-revoke'].fingerprint}`);
      expect(gpgKeys(home).has(manifest['to-revoke'].fingerprint)).toBe(false);

      // A key with its secret key: delete is offered as gpg's own command, not run.
      await t.press(KEY.esc);
      await t.see(`All (${gpgKeys(home).size})`);
      await filterTo(t, manifest.secret.fingerprint);
      await t.press(KEY.enter);
      await t.see('Delete (with its secret key) (keyport does not delete secret keys');
      await t.press(KEY.down, KEY.down, KEY.down, KEY.down, KEY.enter);
      await t.see(`keyport does not delete secret keys from GnuPG: gpg --delete-secret-and-public-keys ${manifest.secret.fingerprint}`);
      expect(gpgKeys(home).has(manifest.secret.fingerprint)).toBe(true);
    } finally {
      process.chdir(cwd);
      rmSync(dir, { recursive: true, force: true });
      t.app.unmount();
    }
  });

  it('a key imported by gpg in another process appears by itself, within a second', async () => {
    const home = tempGnupgHome();
    gpg(['--import'], { home, input: readFileSync(fixturePath(manifest.rsa4096.file)) });
    const { kp, tui } = await onGnupg(home);
    const t = await open(kp, tui);
    await t.see('1 keys');
    const imported = Date.now();
    gpg(['--import'], { home, input: readFileSync(fixturePath(manifest.ed25519.file)) });
    const f = await t.see('2 keys');
    const took = Date.now() - imported;
    expect(f).toContain(manifest.ed25519.fingerprint.slice(-16));
    // Seen within a second (the store is looked at a few times a second), with room for a loaded machine.
    expect(took).toBeLessThan(3000);
    t.app.unmount();
  });
});

describe('imports, sync and publish on the GnuPG store', () => {
  let hkp: RunningHkpFixture;
  let hagrid: RunningHagridFixture;
  beforeAll(async () => {
    hkp = await startHkpFixture({ dialect: 'sks', keys: [fixtureArmored('rsa4096'), fixtureArmored('pair-new')] });
    hagrid = await startHagridFixture();
  });
  afterAll(async () => {
    await hkp?.stop();
    await hagrid?.stop();
  });

  it('file import, search then import, sync of the selection and publish go into GnuPG; a sec# key is refused', async () => {
    const home = tempGnupgHome();
    gpg(['--import'], { home, input: readFileSync(fixturePath(manifest['pair-old'].file)) });
    gpg(['--import'], { home, input: readFileSync(fixturePath(manifest.secret.secretFile!)) });
    gpg(['--import'], { home, input: readFileSync(fixturePath(manifest.stub.secretFile!)) });
    const { kp, tui } = await onGnupg(home);
    await kp.keyservers.add(hkp.url);
    await kp.keyservers.setDefault(hkp.url);
    await kp.settings.set('keyserversync.url', hagrid.url);
    // Sync from the HKP fixture first; KeyServerSync (routing sync to the VKS server) comes on for publishing.
    await kp.modules.setEnabled('keyserversync', false);
    const t = await open(kp, tui);
    await t.see('3 keys');

    // A key file.
    await t.press('f');
    await t.see('File:');
    await t.press(...fixturePath(manifest.revoked.file), KEY.enter);
    await t.see(/imported from .*: 1 new/);
    expect(gpgKeys(home).has(manifest.revoked.fingerprint)).toBe(true);
    await t.press(KEY.esc, KEY.esc);
    await t.see('4 keys');

    // Search the key server, import the result.
    await t.press('i');
    await t.see(`Server: ${hkp.url}`);
    await t.press(...manifest.rsa4096.fingerprint, KEY.enter);
    await t.see('1 keys found');
    await t.press(KEY.enter);
    await t.see('imported: 1 new');
    expect(gpgKeys(home).has(manifest.rsa4096.fingerprint)).toBe(true);
    await t.press(KEY.enter, KEY.esc);
    await t.see('5 keys');

    // Sync the selected key: the server's newer copy is merged into GnuPG.
    await filterTo(t, manifest['pair-old'].fingerprint);
    await t.press(' ', 's');
    await t.see('Sync the 1 public key(s) of the 1 selected');
    await t.press('y');
    const synced = await t.see('· done');
    expect(synced).toMatch(new RegExp(`updated +${manifest['pair-new'].fingerprint}`));
    const server = gpgShowOnly(fixturePath(manifest['pair-new'].file))[0]!;
    const local = gpgKeys(home).get(manifest['pair-new'].fingerprint)!;
    expect(local.userIds.map((u) => u.userId).sort()).toEqual(server.userIds.map((u) => u.userId).sort());
    expect(local.subkeys.map((k) => k.fingerprint).sort()).toEqual(server.subkeys.map((k) => k.fingerprint).sort());
    await t.press(KEY.enter);
    await t.press(KEY.esc, '/', KEY.esc);
    await t.see('All (5)');

    // Publish the key whose primary secret key GnuPG holds (sec), with verification mails.
    await kp.modules.setEnabled('keyserversync', true);
    await filterTo(t, manifest.secret.fingerprint);
    await t.press('p');
    await t.see('[y/N]');
    await t.press('y');
    await t.see('Request verification for');
    await t.press(KEY.enter);
    await t.see('open the link mailed to sam@example.org');
    expect(hagrid.mails.sort()).toEqual(['sam@example.org', 'sam@work.example']);
    // Its details show the publish record kept for the GnuPG store.
    await t.press(KEY.esc, KEY.enter);
    await t.see(/Address +pending +sam@example\.org/);
    // The publish status, asked of the server and kept for the GnuPG store.
    await t.press('c');
    await t.see('publish status: on the server, but no address is verified');
    // Kept in keyport's data folder for this GnuPG key: the details opened again show it at once,
    // read from there (the server is asked again only 5 s later, for the pending addresses).
    await t.press(KEY.esc);
    await t.see('1 All (1)');
    const requestsBefore = hagrid.requests.length;
    await t.press(KEY.enter);
    await t.until((f) => /Published +on the server, but no address is verified/.test(f), 'the stored publish status', 3000);
    expect(hagrid.requests.length).toBe(requestsBefore);
    // Request verification again (the publish record read from keyport's data folder for GnuPG).
    await t.see(/Request verification\s*│/);
    await t.press(KEY.down, KEY.enter);
    await t.see('Request verification for');
    await t.press(KEY.esc, KEY.esc, '/', KEY.esc);

    // A key whose primary secret key is an offline stub (sec#) is refused, as on the embedded store.
    await filterTo(t, manifest.stub.fingerprint);
    await t.press('p');
    await t.see(/KP\d{4} the primary secret key of 10C7BE9634AC2ADB53970FDFF58890FE604FD04B is offline \(a stub\) here/);
    t.app.unmount();
  });
});

describe('keyport --store gnupg tui (the built binary in tmux)', () => {
  const socketDir = mkdtempSync(path.join(os.tmpdir(), 'keyport-tui-gnupg-e2e-'));
  const socket = path.join(socketDir, 'tmux');
  const tmux = (...args: string[]) => execFileSync('tmux', ['-S', socket, ...args], { encoding: 'utf8' });
  afterAll(() => {
    spawnSync('tmux', ['-S', socket, 'kill-server']);
    rmSync(socketDir, { recursive: true, force: true });
  });

  /** Starts the built binary in a tmux session and waits for `text` on its screen. */
  async function started(name: string, env: string[], args: string[], text: string): Promise<string> {
    tmux('new-session', '-d', '-s', name, '-x', '100', '-y', '30', 'env', ...env, 'NO_COLOR=1', process.execPath, BIN, ...args);
    const end = Date.now() + 15_000;
    let screen = '';
    while (!screen.includes(text)) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${text}; screen:\n${screen}`);
      await new Promise((r) => setTimeout(r, 50));
      screen = tmux('capture-pane', '-p', '-t', name);
    }
    return screen;
  }

  it('with the gnupg module disabled, opens on the embedded store and says why', async () => {
    const home = gnupgHomeWithKeys();
    const kpHome = tempDir('keyport-tui-gnupg-off-');
    expect(keyport(['modules', 'disable', 'gnupg'], { home: kpHome }).status).toBe(0);
    const screen = await started('off', [`GNUPGHOME=${home}`], ['--home', kpHome, '--store', 'gnupg', 'tui'], '0 keys');
    expect(screen.split('\n')[0]).toMatch(/^keyport · embedded · .* · 0 keys/);
    expect(screen).toContain('the gnupg module is disabled; using the embedded store');
    tmux('send-keys', '-t', 'off', 'q');
  });

  it('opens on the GnuPG home (also with KEYPORT_STORE=gnupg), lists its keys and quits', async () => {
    const home = gnupgHomeWithKeys();
    const count = gpgKeys(home).size;
    for (const [name, how] of [
      ['flag', ['--store', 'gnupg']],
      ['env', []],
    ] as const) {
      const kpHome = tempDir('keyport-tui-gnupg-home-');
      const screen = await started(name, [`GNUPGHOME=${home}`, ...(name === 'env' ? ['KEYPORT_STORE=gnupg'] : [])], ['--home', kpHome, ...how, 'tui'], `${count} keys`);
      expect(screen.split('\n')[0]).toContain(`keyport · gnupg · ${home}`);
      expect(screen).toContain(manifest.secret.fingerprint.slice(-16));
      tmux('send-keys', '-t', name, 'q');
      const quitBy = Date.now() + 10_000;
      while (spawnSync('tmux', ['-S', socket, 'has-session', '-t', name]).status === 0) {
        if (Date.now() > quitBy) throw new Error('the TUI did not quit on q');
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });
});
