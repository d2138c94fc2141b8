import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import React from 'react';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render } from 'ink-testing-library';
import { createKeyport, dearmorAll, type Keyport } from '@keyport/core';
import { fixtureArmored, fixtureBytes, manifest, startHkpFixture, type RunningHkpFixture } from '@keyport/test-fixtures';
import { App, headerLine } from '../src/tui/App.js';
import { completePath } from '../src/tui/screens/FileImport.js';
import { builtinPlugins } from '../src/plugins.js';
import { tempDir } from './helpers.js';

const KEY = { down: '\u001B[B', right: '\u001B[C', esc: '\u001B', enter: '\r', tab: '\t' };
const FILES = [manifest.revoked.file, manifest.expired.file, manifest['to-revoke'].file, manifest.secret.secretFile!, manifest['pair-old'].file];

let hkp: RunningHkpFixture;
beforeAll(async () => {
  hkp = await startHkpFixture({ dialect: 'sks', keys: [fixtureArmored('rsa4096'), fixtureArmored('ed25519'), fixtureArmored('pair-old')] });
});
afterAll(async () => {
  await hkp.stop();
});

async function keyport(home = tempDir('keyport-tui-screens-'), files = FILES): Promise<Keyport> {
  const kp = await createKeyport({ home, plugins: builtinPlugins, env: {} });
  await kp.keyservers.add(hkp.url);
  await kp.keyservers.setDefault(hkp.url);
  for (const f of files) await kp.importer.import(fixtureBytes(f), { origin: { kind: 'file', name: f } });
  return kp;
}

/** The app at a terminal size, typing keys one by one until each is handled and drawn. */
async function open(kp: Keyport, size = { columns: 100, rows: 30 }, plain?: boolean) {
  let handled: (() => void) | undefined;
  const app = render(<App kp={kp} initialKeys={await kp.keyring.list('all')} onQuit={() => {}} plain={plain} onInputIdle={() => handled?.()} />);
  Object.defineProperty(app.stdout, 'columns', { value: size.columns, configurable: true });
  Object.defineProperty(app.stdout, 'rows', { value: size.rows, configurable: true });
  app.stdout.emit('resize');
  const frame = () => app.lastFrame() ?? '';
  const widest = () => Math.max(...bare(frame()).split('\n').map((l) => [...l].length));
  const until = async (test: (f: string) => boolean, what: string, ms = 8000) => {
    const end = Date.now() + ms;
    while (!test(frame())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last frame:\n${frame()}`);
      await new Promise((r) => setTimeout(r, 15));
    }
    return frame();
  };
  const see = (text: string | RegExp) => until((f) => (typeof text === 'string' ? f.includes(text) : text.test(bare(f))), String(text));
  const press = async (...keys: string[]) => {
    for (const k of keys) {
      await new Promise<void>((resolve) => {
        handled = resolve;
        app.stdin.write(k);
      });
    }
  };
  // The first frame is drawn before the size is set: wait for the one at this size.
  await until((f) => f.includes('1 All') && widest() <= size.columns, `a frame ${size.columns} wide`);
  return { app, frame, see, until, press };
}

// eslint-disable-next-line no-control-regex -- removing terminal escape sequences
const bare = (f: string) => f.replace(/\u001B\[[0-9;]*m/g, '');

/** What every screen must show at every size: within the size, and the footer's help and quit. */
function fits(f: string, size: { columns: number; rows: number }, footer = /\? help {2}q quit$/) {
  const lines = bare(f).split('\n');
  expect(Math.max(...lines.map((l) => [...l].length))).toBeLessThanOrEqual(size.columns);
  expect(lines.length).toBeLessThanOrEqual(size.rows);
  expect(lines.at(-1)).toMatch(footer);
}

describe('every screen at 80x24, 120x40 and 200x50', () => {
  for (const size of [
    { columns: 80, rows: 24 },
    { columns: 120, rows: 40 },
    { columns: 200, rows: 50 },
  ]) {
    it(`${size.columns}x${size.rows}: names, the cursor, the whole fingerprint, help and quit`, async () => {
      const kp = await keyport();
      const t = await open(kp, size);
      // Key list: sorted by name, the cursor mark on the first row, every name shown.
      let f = await t.see('1 All (5)');
      fits(f, size);
      // The header: which store and where (its folder's start cut when it does not fit), and the count.
      const where = /^keyport · embedded · (…?)(\S+) · 5 keys$/.exec(bare(f).split('\n')[0]!);
      expect(where).not.toBeNull();
      if (where![1]) expect(kp.store.location.endsWith(where![2]!) && where![2]!.length < kp.store.location.length).toBe(true);
      else expect(where![2]).toBe(kp.store.location);
      expect(f).toMatch(/^› \[ \] pub .*Old Timer <old@example\.org>/m);
      for (const name of ['Paula Pair', 'Revoked Rob', 'Sam Secret', 'Soon Revoked']) expect(f).toContain(name);
      // Help of this screen.
      await t.press('?');
      f = await t.see('Keys: key list');
      fits(f, size, /q quit$/);
      await t.press(KEY.esc);
      // Details of a key: the fingerprint whole, in groups of four, and the operations.
      await t.press('/', 'P', 'a', 'u', 'l', 'a', KEY.enter, KEY.enter);
      f = await t.see(/Delete\s/);
      fits(f, size);
      expect(bare(f).replace(/[│\s]+/g, ' ')).toContain(manifest['pair-old'].fingerprint.match(/.{4}/g)!.join(' '));
      await t.press('?');
      f = await t.see('Keys: key details');
      expect(f).toContain('check the publish status');
      await t.press(KEY.esc, KEY.esc, KEY.esc);
      await t.see('1 All (5)');
      // Import: results show user IDs and which keys are held.
      await t.press('i', ...'example', KEY.enter);
      f = await t.see(/\d+ keys found/);
      fits(f, size);
      expect(f).toMatch(/\(held\*?\) Paula Pair/);
      await t.press(KEY.esc, KEY.esc);
      // Sync confirmation: its own footer; Enter takes the default, no.
      await t.press('s');
      f = await t.see('[y/N]');
      fits(f, size, /n Enter Esc no {2}\? help$/);
      await t.press(KEY.enter);
      await t.see('1 All (5)');
      // Settings, each section; and the file import screen.
      await t.press(',');
      for (const section of ['default  https', 'Automatic publish status', 'keyserversync']) {
        f = await t.see(section);
        fits(f, size);
        await t.press(KEY.right);
      }
      await t.press(KEY.esc, 'f');
      f = await t.see('File:');
      fits(f, size, /\? help$/);
      t.app.unmount();
    });
  }
});

describe('key list', () => {
  it('filters by 0x key ID, by fingerprint with spaces, and without case or accents', async () => {
    const kp = await keyport();
    const t = await open(kp);
    const fpr = manifest['pair-old'].fingerprint;
    await t.press('/', ...`0x${fpr.slice(-16).toLowerCase()}`, KEY.enter);
    await t.see('1 All (1)');
    await t.press(KEY.esc);
    await t.see('1 All (5)');
    await t.press('/', ...fpr.replace(/(.{4})(?!$)/g, '$1 '), KEY.enter);
    await t.see('1 All (1)');
    expect(t.frame()).toContain('Paula Pair');
    // Esc in the list (not in the field) clears the filter.
    await t.press(KEY.esc);
    await t.see('1 All (5)');
    await t.press('/', ...'pÁULA', KEY.enter);
    await t.see('1 All (1)');
  });

  it('cycles the sort: name, created, expires', async () => {
    const kp = await keyport();
    const t = await open(kp);
    await t.see('by name');
    const firstRow = (f: string) => f.split('\n').find((l) => l.startsWith('›')) ?? '';
    expect(firstRow(t.frame())).toContain('Old Timer');
    await t.press('o');
    await t.see('by created');
    const created = (await kp.keyring.list('all')).sort((a, b) => Date.parse(b.summary.created) - Date.parse(a.summary.created))[0]!;
    expect(firstRow(t.frame())).toContain(created.summary.keyId);
    await t.press('o');
    await t.see('by expires');
    await t.press('o');
    await t.see('by name');
  });

  it('s with a filter syncs the keys shown and says how many; Enter declines', async () => {
    const kp = await keyport();
    const t = await open(kp);
    await t.press('/', ...'revoked', KEY.enter);
    await t.see('1 All (2)');
    await t.press('s');
    const f = await t.see('[y/N]');
    expect(bare(f).replace(/[│╭╮╰╯─\s]+/g, ' ')).toMatch(/Sync the 2 public key\(s\) of the 2 shown/);
    await t.press(KEY.enter);
    await t.see('1 All (2)');
  });

  it('exports the selection to a named file, asks before replacing one, and deletes the selection', async () => {
    const kp = await keyport();
    const dir = tempDir('keyport-tui-export-');
    const file = path.join(dir, 'two.asc');
    writeFileSync(file, 'keep me');
    // Wide enough for the whole error message with its next step.
    const t = await open(kp, { columns: 250, rows: 30 });
    await t.see('1 All (5)');
    await t.press(' ', KEY.down, ' ');
    await t.see('2 selected');
    await t.press('x');
    await t.see('Export 2 selected key(s) to:');
    await t.press('\u0015', ...file, KEY.enter);
    await t.see('Replace it? [y/N]');
    await t.press('n');
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    await t.see('Export 2 selected');
    await t.press(KEY.enter);
    await t.see('Replace it?');
    await t.press('y');
    await t.see(`exported 2 public key(s) to ${file}`);
    expect(dearmorAll(readFileSync(file)).length).toBeGreaterThan(0);
    // A folder that does not exist: a coded error with a next step, nothing written.
    await t.press('x', '\u0015', ...path.join(dir, 'nope', 'x.asc'), KEY.enter);
    await t.see(/✗ KP1206 cannot write .*next: name a file in a folder that exists/);
    expect(existsSync(path.join(dir, 'nope'))).toBe(false);
    await t.press('D');
    await t.see('Delete the 2 selected key(s)');
    await t.press('y');
    await t.see('deleted 2 key(s)');
    await t.see('1 All (3)');
  });
});

describe('live keyring', () => {
  it('shows a key imported by another keyport process within a second, and r re-reads', async () => {
    const home = tempDir('keyport-tui-live-');
    const kp = await keyport(home, [manifest['pair-old'].file]);
    const t = await open(kp);
    await t.see('1 All (1)');
    // Another process: its own keyport on the same home (no events reach this one).
    const other = await createKeyport({ home, plugins: builtinPlugins, env: {} });
    const started = Date.now();
    await other.importer.import(fixtureBytes(manifest.secret.secretFile!), { origin: { kind: 'file', name: 'x' } });
    await t.until((f) => f.includes('1 All (2)'), 'the other import', 3000);
    expect(Date.now() - started).toBeLessThan(1500);
    await t.press('r');
    await t.see('1 All (2)');
  });
});

describe('file import', () => {
  it('completes the path with Tab and imports the file', async () => {
    const dir = tempDir('keyport-tui-files-');
    mkdirSync(path.join(dir, 'keys'));
    writeFileSync(path.join(dir, 'keys', 'paula-pair.asc'), fixtureBytes(manifest['pair-old'].file));
    writeFileSync(path.join(dir, 'keys', 'paula-other.txt'), 'x');
    expect(await completePath(path.join(dir, 'ke'))).toEqual({ completed: path.join(dir, 'keys/'), matches: ['keys/'] });
    expect(await completePath(path.join(dir, 'keys', 'p'))).toEqual({ completed: path.join(dir, 'keys', 'paula-'), matches: ['paula-other.txt', 'paula-pair.asc'] });
    const kp = await keyport(tempDir('keyport-tui-screens-'), []);
    const t = await open(kp);
    await t.press('f', ...path.join(dir, 'keys', 'paula-p'), KEY.tab);
    await t.see(`File: ${path.join(dir, 'keys', 'paula-pair.asc')}`);
    await t.press(KEY.enter);
    await t.see('Import report');
    await t.see(/imported from .*paula-pair\.asc: 1 new/);
    await t.press(KEY.enter, KEY.esc);
    await t.see('1 All (1)');
    // A file that is not there: a coded error, the path kept for correcting.
    await t.press('f', ...path.join(dir, 'nope.asc'), KEY.enter);
    await t.see(/✗ KP1303/);
    expect(t.frame()).toContain('nope.asc');
  });
});

describe('header', () => {
  it('names the store and its folder (~ for the home folder), cut at its start to fit, keeping the count', () => {
    expect(headerLine('embedded', '/home/ana/.local/share/keyport/keyring', 905, 80, '/home/ana')).toBe('keyport · embedded · ~/.local/share/keyport/keyring · 905 keys');
    expect(headerLine('gnupg', '/home/ana/.gnupg', 905, 80, '/home/ana')).toBe('keyport · gnupg · ~/.gnupg · 905 keys');
    // Not the home folder, only a name that starts like it.
    expect(headerLine('gnupg', '/home/anabel/.gnupg', 3, 80, '/home/ana')).toBe('keyport · gnupg · /home/anabel/.gnupg · 3 keys');
    const deep = `/srv/${'very-long-folder/'.repeat(6)}gnupg`;
    const cut = headerLine('gnupg', deep, 12, 80, '/home/ana');
    expect([...cut].length).toBe(80);
    expect(cut).toBe(`keyport · gnupg · …${deep.slice(deep.length - (80 - 'keyport · gnupg · '.length - ' · 12 keys'.length - 1))} · 12 keys`);
  });
});
