import { createServer } from 'node:http';
import React from 'react';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { render } from 'ink-testing-library';
import { createKeyport, type Keyport } from '@keyport/core';
import { fixtureArmored, fixtureBytes, manifest, startHagridFixture, startHkpFixture, type RunningHagridFixture, type RunningHkpFixture } from '@keyport/test-fixtures';
import { App } from '../src/tui/App.js';
import { tempDir } from './helpers.js';
import { renderTui } from './tui-driver.js';
import { builtinPlugins } from '../src/plugins.js';

const KEY = { up: '\u001B[A', down: '\u001B[B', right: '\u001B[C', left: '\u001B[D', esc: '\u001B', enter: '\r', tab: '\t' };

let hkp: RunningHkpFixture;
let hagrid: RunningHagridFixture;
beforeAll(async () => {
  hkp = await startHkpFixture({ dialect: 'sks', keys: [fixtureArmored('rsa4096'), fixtureArmored('ed25519')] });
  hagrid = await startHagridFixture();
});
afterAll(async () => {
  await hkp.stop();
  await hagrid.stop();
});

/** A keyport on a throwaway home pointed at the fixture servers, with some keys imported. */
async function keyport(files: string[] = [manifest.revoked.file, manifest.expired.file, manifest['to-revoke'].file, manifest.secret.secretFile!]): Promise<Keyport> {
  const kp = await createKeyport({ home: tempDir('keyport-tui-'), plugins: builtinPlugins, env: {} });
  await kp.settings.set('keyserversync.url', hagrid.url);
  await kp.keyservers.add(hkp.url);
  await kp.keyservers.setDefault(hkp.url);
  for (const f of files) await kp.importer.import(fixtureBytes(f), { origin: { kind: 'file', name: f } });
  return kp;
}

/** Renders the app and gives helpers that wait for the frame to show something. */
async function open(kp: Keyport, onQuit = vi.fn()) {
  const initialKeys = await kp.keyring.list('all');
  return { ...renderTui((onInputIdle) => <App kp={kp} initialKeys={initialKeys} onQuit={onQuit} onInputIdle={onInputIdle} />), onQuit };
}

describe('frame', () => {
  it('shows home, keyring size, default server and modules; ? opens help; q quits', async () => {
    const kp = await keyport();
    const t = await open(kp);
    const first = await t.see('4 keys');
    expect(first).toContain(kp.paths.home!);
    expect(first).toContain(`default ${hkp.url}`);
    expect(first).toContain('modules hkp, keyserversync, wkd');
    expect(first).toContain('? help  q quit');
    await t.press('?');
    await t.see('this help');
    await t.press(KEY.esc);
    await t.until((f) => !f.includes('this help'), 'help closed');
    await t.press('q');
    expect(t.onQuit).toHaveBeenCalledOnce();
  });
});

describe('keys screen', () => {
  it('tabs, filter as you type, multi-select, and dims revoked and expired keys', async () => {
    const kp = await keyport();
    const t = await open(kp);
    await t.see('1 All (4)');
    expect(t.frame()).toMatch(/Revoked Rob <rob@example\.org> \[revoked\]/);
    expect(t.frame()).toMatch(/Old Timer <old@example\.org> \[expired\]/);
    await t.press(KEY.right);
    await t.see('2 Expired (1)');
    await t.press('3');
    await t.see('3 Revoked (1)');
    await t.press('4');
    await t.see('4 Secret (1)');
    expect(t.frame()).toContain('sec');
    await t.press('1', '/', 'r', 'o', 'b');
    await t.see('1 All (1)');
    expect(t.frame()).toContain('rob@example.org');
    await t.press(KEY.esc);
    await t.see('1 All (4)');
    await t.press(' ', KEY.down, ' ');
    await t.see('2 selected');
    await t.press(KEY.esc);
    await t.until((f) => !f.includes('selected (Esc'), 'selection cleared');
  });

  it('scrolls a large keyring rendering only the rows in view', async () => {
    const kp = await keyport([]);
    const keys = await kp.keyring.list('all');
    const many = Array.from({ length: 1000 }, (_, i) => ({ ...keys[0], summary: { ...manifestLike(i) } })) as never;
    const app = render(<App kp={kp} initialKeys={many} onQuit={() => {}} />);
    // Wait for the list to draw (not a fixed sleep), then count its rows.
    await vi.waitFor(() => expect(app.lastFrame()).toContain('@example.org'), { timeout: 8000, interval: 15 });
    const rows = (app.lastFrame() ?? '').split('\n').filter((l) => l.includes('@example.org'));
    expect(rows.length).toBeLessThan(40);
    app.stdin.write('G');
    await vi.waitFor(() => expect(app.lastFrame()).toContain('User 999'), { timeout: 8000, interval: 15 });
  });
});

/** The frame as one line of text: no colours, box borders or line breaks (for wrapped text). */
function flat(frame: string): string {
  // eslint-disable-next-line no-control-regex -- removing terminal escape sequences
  return frame.replace(/\u001B\[[0-9;]*m/g, '').replace(/[│╭╮╰╯─┌┐└┘]/g, ' ').replace(/\s+/g, ' ');
}

function manifestLike(i: number) {
  const fpr = i.toString(16).toUpperCase().padStart(40, '0');
  return { fingerprint: fpr, keyId: fpr.slice(-16), version: 4, algorithm: 'ed25519', bits: 255, curve: 'ed25519', created: '2024-01-01T00:00:00.000Z', expires: null, revoked: false, revocation: null, usage: ['sign'], userIds: [{ userId: `User ${i} <u${i}@example.org>`, email: `u${i}@example.org`, primary: true, revoked: false, revocation: null, expires: null, expired: false }], subkeys: [] };
}

describe('key details', () => {
  it('shows the key, hides what modules cannot do with the reason, exports and deletes with confirmation', async () => {
    const kp = await keyport();
    const t = await open(kp);
    await t.press('/', 's', 'o', 'o', 'n', KEY.enter, KEY.enter);
    // What modules cannot do is worked out after the screen opens: wait for it, not for time.
    const details = await t.see(/Publish to key server \((?!checking)/);
    expect(details).toContain('Fingerprint  0F4A 40BF');
    expect(details).toMatch(/Publish to key server \(.*not your key/);
    expect(details).toMatch(/Request verification \(publish the key first\)/);
    await t.press(KEY.tab);
    await t.see('▸ Key');
    await t.press(KEY.tab, KEY.down, KEY.down, KEY.down, KEY.down, KEY.enter);
    await t.see('Delete the public key 0F4A40BF');
    await t.press('y');
    await t.see('deleted 0F4A40BF');
    await t.see('3 keys');
  });

  it('requests verification again for a published key, picking the address, and syncs one key', async () => {
    // Its own VKS server: the key published here must not be published for the other tests.
    const ownHagrid = await startHagridFixture();
    const kp = await keyport();
    await kp.settings.set('keyserversync.url', ownHagrid.url);
    await kp.publishing.publish((await kp.keyring.list('secret'))[0]!.summary.fingerprint, { verify: [] });
    const t = await open(kp);
    await t.press('4', KEY.enter);
    // Available once the publish plan is checked (it starts as "checking…").
    await t.see(/Request verification\s*│/);
    await t.press(KEY.down, KEY.enter);
    await t.see('Request verification for');
    // Every unpublished address starts chosen; leave out the second.
    await t.press(KEY.down, ' ', KEY.enter);
    const done = await t.see('open the link mailed to sam@example.org');
    expect(done).toMatch(/unpublished +sam@work\.example/);
    expect(done).not.toContain('is permanent');
    await t.press(KEY.esc, KEY.esc, '1');
    await t.see('1 All (4)');
    await t.press('/', 's', 'o', 'o', 'n', KEY.enter, KEY.enter);
    await t.see('Operations');
    await t.press(KEY.down, KEY.down, KEY.enter);
    const synced = await t.see('· done');
    expect(synced).toMatch(/not-found +0F4A40BF/);
    await ownHagrid.stop();
  });

  it('re-checks pending addresses while open until the server publishes them; c checks at once', async () => {
    const ownHagrid = await startHagridFixture();
    try {
      const kp = await keyport();
      await kp.settings.set('keyserversync.url', ownHagrid.url);
      const fpr = (await kp.keyring.list('secret'))[0]!.summary.fingerprint;
      await kp.publishing.publish(fpr, { verify: ['sam@example.org'] });
      const t = await open(kp);
      await t.press('4', KEY.enter);
      await t.see(/Address +pending +sam@example\.org/);
      await t.see('1 address(es) pending: re-checked every 5 s');
      // The owner clicks the link: the next re-check (5 s after opening) shows it, no key pressed.
      ownHagrid.clickVerification('sam@example.org');
      await t.until((f) => /Address +published +sam@example\.org/.test(f), 'the automatic re-check', 9000);
      expect(t.frame()).not.toContain('re-checked every');
      // c asks at once.
      await t.press('c');
      await t.see(/✓ publish status: published/);
    } finally {
      await ownHagrid.stop();
    }
  });

  it('shows the publish status line when the setting is on', async () => {
    const kp = await keyport();
    await kp.settings.set('keyserversync.autoStatus', true);
    const t = await open(kp);
    await t.press('4', KEY.enter);
    await t.see(/Published +not published +\(checked/);
  });
});

describe('import from a key server', () => {
  it('searches the default server, imports two results and shows the report', async () => {
    const kp = await keyport([]);
    const t = await open(kp);
    await t.press('i');
    await t.see(`Server: ${hkp.url}`);
    for (const c of 'example.org') await t.press(c);
    await t.press(KEY.enter);
    await t.see('2 keys found');
    await t.press(' ', KEY.down, ' ', KEY.enter);
    const report = await t.see('Import report');
    expect(report.match(/^new/gm)).toHaveLength(2);
    await t.see('imported: 2 new');
    await t.press(KEY.enter, KEY.esc);
    await t.see('2 keys');
  });

  it('a server error is a coded message and the query is kept', async () => {
    const kp = await keyport([]);
    // Nothing listens there to be asked its protocol: it is named.
    await kp.keyservers.add('http://127.0.0.1:1', { protocol: 'hkp' });
    await kp.keyservers.setDefault('http://127.0.0.1:1');
    const t = await open(kp);
    await t.press('i', 'a', 'b', 'c', 'd', KEY.enter);
    await t.see(/✗ KP15\d\d .*next:/);
    expect(t.frame()).toContain('Search: abcd');
  });
});

describe('sync', () => {
  it('asks before syncing all, shows progress counts and per-key results', async () => {
    const kp = await keyport();
    await kp.modules.setEnabled('keyserversync', false);
    const t = await open(kp);
    await t.press('s');
    await t.see('Sync all 3 public keys');
    await t.press('y');
    const done = await t.see('· done');
    expect(done).toMatch(/not-found 3/);
    expect(done).toMatch(/skipped 1/);
    expect(done).toContain('[###');
    await t.press(KEY.enter);
    await t.see('1 All');
  });

  it('Esc cancels a running sync and keeps what finished', async () => {
    // A key server that answers the first look-up and never the later ones.
    const hanging: import('node:http').ServerResponse[] = [];
    const server = createServer((req, res) => {
      if (hanging.length === 0 && !answered) {
        answered = true;
        res.writeHead(404, { 'content-type': 'text/plain' }).end('No results found');
      } else hanging.push(res);
    });
    let answered = false;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`;
    try {
      const kp = await keyport();
      await kp.modules.setEnabled('keyserversync', false);
      // Named: asking the server its protocol would use up the one answer it gives.
      await kp.keyservers.add(url, { protocol: 'hkp' });
      await kp.keyservers.setDefault(url);
      await kp.settings.set('network.perHostConcurrency', 1);
      const t = await open(kp);
      await t.press('s');
      await t.see('Sync all 3 public keys');
      await t.press('y');
      await t.until(() => hanging.length > 0, 'the second look-up');
      expect(t.frame()).toContain('running (Esc cancels');
      await t.press(KEY.esc);
      const cancelled = await t.see('· cancelled');
      expect(cancelled).toMatch(/not-found 1/);
      expect(cancelled).toContain('sync cancelled; kept what finished');
    } finally {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('declining the confirmation goes back without syncing', async () => {
    const kp = await keyport();
    const t = await open(kp);
    await t.press('s');
    await t.see('Sync all');
    await t.press('n');
    await t.see('1 All (4)');
  });
});

describe('publish flow', () => {
  it('warns, uploads, lets the user pick one address, and shows the next step', async () => {
    const kp = await keyport();
    const t = await open(kp);
    await t.press('4', 'p');
    const warn = await t.see('[y/N]');
    expect(warn).toContain('is permanent');
    await t.press('y');
    await t.see('Request verification for');
    await t.press(KEY.down, ' ', KEY.enter);
    const done = await t.see('open the link mailed to sam@example.org');
    expect(done).toMatch(/unpublished +sam@work\.example/);
  });

  it('with KeyServerSync off, warns that HKP publication is unverified and permanent', async () => {
    const kp = await keyport();
    const t = await open(kp);
    await t.press(',', KEY.right, KEY.right);
    await t.see('[on]  keyserversync');
    await t.press(KEY.down, KEY.enter);
    await t.see('[off] keyserversync');
    await t.press(KEY.esc, '4', 'p');
    const warn = flat(await t.see('[y/N]'));
    expect(warn).toContain('is an HKP server: publication there has no email verification and cannot be undone');
    expect(warn).toContain('over HKP?');
  });
});

describe('settings', () => {
  it('Esc stops a server test that never answers; the screen can be left at once', async () => {
    // Accepts connections and never answers.
    const held: import('node:net').Socket[] = [];
    const silent = (await import('node:net')).createServer((socket) => void held.push(socket));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(silent.address() as import('node:net').AddressInfo).port}`;
    try {
      const kp = await keyport([]);
      await kp.keyservers.add(url, { protocol: 'hkp' });
      await kp.settings.set('network.timeoutMs', 30_000);
      const t = await open(kp);
      await t.press(',');
      await t.see('default  https');
      await t.press('G', 't');
      await t.until(() => held.length > 0, 'the connection');
      // The spinner with the elapsed time appears after 300 ms.
      await t.see(/testing http:\/\/127\.0\.0\.1:\d+ \d+\.\d s \(Esc cancels\)/);
      const started = Date.now();
      await t.press(KEY.esc);
      await t.see(`! test of ${url} stopped`);
      expect(Date.now() - started).toBeLessThan(5000);
      await t.press(KEY.esc);
      await t.see('1 All (0)');
    } finally {
      for (const s of held) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it('adds, tests and deletes a server, sets the default, and toggles automatic publish status', async () => {
    const kp = await keyport([]);
    await kp.settings.set('network.timeoutMs', 3000);
    const t = await open(kp);
    await t.press(',');
    await t.see('default  https');
    await t.press('a');
    for (const c of 'not a url') await t.press(c);
    await t.press(KEY.enter);
    await t.see('✗ KP1600');
    expect(t.frame()).toContain('New server: not a url');
    await t.press('\u0015');
    for (const c of hagrid.url) await t.press(c);
    await t.press(KEY.enter);
    await t.see(`! ${hagrid.url} is plain HTTP`);
    // Edit the new server's address, test every server, then make it the default and remove it.
    const edited = hagrid.url.replace('127.0.0.1', 'localhost');
    await t.press('G', 'e');
    await t.see(`Server: ${hagrid.url}`);
    await t.press('\u0015');
    for (const c of edited) await t.press(c);
    await t.press(KEY.enter);
    await t.see(new RegExp(`never tested +${edited.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    expect(t.frame()).not.toMatch(new RegExp(`(never tested|ok|failed).* ${hagrid.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    await t.press('T');
    // The built-in public servers are unreachable here and fail; the two on loopback pass.
    await t.until((f) => !f.includes('testing…') && !f.includes('never tested'), 'every test', 15_000);
    expect(t.frame()).toMatch(new RegExp(`ok \\d+ ms +${edited.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    await t.press('G', 't');
    // The screen stays usable while a test runs: Enter makes the server the default.
    await t.press(KEY.enter);
    await t.see(`default ${edited} · modules`);
    await t.until((f) => !f.includes('testing…'), 'the test to end');
    await t.press('d');
    await t.see(`Remove ${edited}`);
    await t.press('y');
    await t.see(`removed ${edited}`);
    await t.press(KEY.right);
    await t.see('Automatic publish status: off');
    await t.press(' ');
    await t.see('Automatic publish status: on');
    expect(kp.settings.get('keyserversync.autoStatus')).toBe(true);
  });
});
