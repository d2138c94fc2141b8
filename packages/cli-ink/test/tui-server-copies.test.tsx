import React from 'react';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyport, readPackets, writePackets, type Keyport } from '@keyport/core';
import { fixtureBytes, manifest, startHkpFixture, type RunningHkpFixture } from '@keyport/test-fixtures';
import { App } from '../src/tui/App.js';
import { builtinPlugins } from '../src/plugins.js';
import { tempDir } from './helpers.js';
import { renderTui } from './tui-driver.js';

const KEY = { esc: '\u001B', enter: '\r' };
const fpr = manifest.secret.fingerprint;

// eslint-disable-next-line no-control-regex -- removing terminal escape sequences
const bare = (f: string) => f.replace(/\u001B\[[0-9;]*m/g, '');

/** A keyport whose only server is `server` (no public server is ever asked), holding Sam's secret key. */
async function keyport(server: string): Promise<Keyport> {
  const kp = await createKeyport({ home: tempDir('keyport-tui-copies-'), plugins: builtinPlugins, env: {} });
  await kp.keyservers.add(server, { protocol: 'hkp' });
  await kp.keyservers.setDefault(server);
  for (const listed of kp.settings.get<string[]>('keyservers.list')) if (listed !== server) await kp.keyservers.remove(listed);
  await kp.importer.import(fixtureBytes(manifest.secret.secretFile!), { origin: { kind: 'file', name: 'sam' } });
  return kp;
}

/** The app at 80x24 on Sam's details, typing keys one by one until each is handled and drawn. */
async function openDetails(kp: Keyport) {
  const initialKeys = await kp.keyring.list('all');
  const t = renderTui((onInputIdle) => <App kp={kp} initialKeys={initialKeys} onQuit={() => {}} onInputIdle={onInputIdle} />, { size: { columns: 80, rows: 24 }, frameOf: bare });
  await t.fitted(80);
  await t.press('/', ...'Sam', KEY.enter, KEY.enter);
  await t.see(/Delete\s/);
  return t;
}

/** Every line within 80x24. */
function fits(f: string) {
  const lines = f.split('\n');
  expect(Math.max(...lines.map((l) => [...l].length))).toBeLessThanOrEqual(80);
  expect(lines.length).toBeLessThanOrEqual(24);
}

describe("Details: each server's copy (S) and publishing to the stale ones (P)", () => {
  let stale: RunningHkpFixture;
  let slow: RunningHkpFixture;
  let subkey: string;
  beforeAll(async () => {
    // The server holds Sam's key without its last subkey: an upload it has not seen yet.
    const kpForBytes = await createKeyport({ home: tempDir('keyport-tui-copies-src-'), plugins: builtinPlugins, env: {} });
    await kpForBytes.importer.import(fixtureBytes(manifest.secret.secretFile!), { origin: { kind: 'file', name: 'sam' } });
    const packets = readPackets(await kpForBytes.keyring.readPublic(fpr));
    const lastSubkey = packets.map((p) => p.tag).lastIndexOf(14);
    expect(lastSubkey).toBeGreaterThan(0);
    subkey = (await kpForBytes.keyring.resolve(fpr)).summary.subkeys.at(-1)!.fingerprint;
    stale = await startHkpFixture({ dialect: 'sks', keys: [writePackets(packets.slice(0, lastSubkey))] });
    slow = await startHkpFixture({ dialect: 'sks', keys: [], hostile: 'drip' });
  });
  afterAll(async () => {
    await stale.stop();
    await slow.stop();
  });

  it('S shows the server stale with the subkey it lacks; P confirms with the HKP warning, uploads, and the copy is current', async () => {
    const kp = await keyport(stale.url);
    const t = await openDetails(kp);
    expect(stale.requests).toEqual([]); // nothing is asked before S
    await t.press('P');
    await t.see("press S first to check each server's copy");
    await t.press('S');
    let f = await t.see(`stale      ${stale.url} (hkp)`);
    fits(f);
    expect(f).toContain('P: publish to the 1 stale server');
    // What it lacks, the whole subkey fingerprint, wrapped within the pane.
    expect(f.replace(/[│\s]+/g, '')).toContain(`lacks1subkey(${subkey})`);
    expect(stale.requests.filter((q) => q.method === 'POST')).toEqual([]);

    await t.press('P');
    f = await t.see('[y/N]');
    fits(f);
    // The Publish screen's warnings: HKP has no verification and cannot be undone.
    const flat = f.replace(/[│\s]+/g, ' ');
    expect(flat).toContain(`Publish ${fpr} to ${stale.url} (HKP)? [y/N]`);
    expect(flat).toContain(`${stale.url} is an HKP server: publication there has no email verification and cannot be undone`);
    // No: nothing is sent.
    await t.press('n');
    await t.see('P: publish to the 1 stale server');
    expect(stale.requests.filter((q) => q.method === 'POST')).toEqual([]);

    await t.press('P');
    await t.see('[y/N]');
    await t.press('y');
    f = await t.see(`current    ${stale.url} (hkp)`);
    fits(f);
    expect(f).not.toContain('P: publish to the');
    expect(stale.requests.filter((q) => q.method === 'POST')).toHaveLength(1);
    t.app.unmount();
  });

  it('the check shows a spinner and Esc stops it, staying on the key', async () => {
    const kp = await keyport(slow.url);
    const t = await openDetails(kp);
    await t.press('S');
    await t.see("checking each server's copy (Esc stops)");
    await t.until(() => slow.requests.length > 0, 'the look-up to start');
    await t.press(KEY.esc);
    const f = await t.until((x) => !x.includes("checking each server's copy"), 'the spinner to go');
    expect(f).toMatch(/Delete\s/);
    expect(f).not.toContain('Servers');
    t.app.unmount();
  });
});
