import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifest, startDemo, type RunningDemo } from '@keyport/test-fixtures';
import { BIN, keyportAsync } from './helpers.js';

/**
 * The real binary in a real terminal (tmux), driven with send-keys and read with capture-pane,
 * against the demo's fixture servers.
 */
// A socket of our own in a temporary folder, removed afterwards (tmux leaves its socket file).
const socketDir = mkdtempSync(path.join(os.tmpdir(), 'keyport-e2e-'));
const socket = path.join(socketDir, 'tmux');
const tmux = (...args: string[]) => execFileSync('tmux', ['-S', socket, ...args], { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-t', 'kp');
/** One key per send-keys, a moment apart, as a person types (several keys in one write reach
 * the app as one chunk, which terminal apps read as pasted text). */
async function keys(...k: string[]): Promise<void> {
  for (const key of k) {
    tmux('send-keys', '-t', 'kp', key);
    await new Promise((r) => setTimeout(r, 60));
  }
}
const type = (text: string) => tmux('send-keys', '-t', 'kp', '-l', text);

async function see(text: string | RegExp, ms = 15_000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const s = screen();
    if (typeof text === 'string' ? s.includes(text) : text.test(s)) return s;
    if (Date.now() > end) throw new Error(`timed out waiting for ${String(text)}; screen:\n${s}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const pause = (ms = 150) => new Promise((r) => setTimeout(r, ms));
/** Filters the key list to `text` (/, the text, Enter). */
async function filterKeys(text: string): Promise<void> {
  await keys('/');
  type(text);
  await keys('Enter');
  await pause();
}

let demo: RunningDemo;
beforeAll(async () => {
  demo = await startDemo();
  for (const file of demo.keyFiles) await keyportAsync(['import', '--file', file], { home: demo.home, env: demo.env });
  const env = Object.entries(demo.env).map(([k, v]) => `${k}=${v}`);
  // CI=1: CI runners set it, and Ink then draws nothing until exit; keyport must draw anyway.
  tmux('new-session', '-d', '-s', 'kp', '-x', '130', '-y', '40', 'env', ...env, 'NO_COLOR=1', 'CI=1', process.execPath, BIN, '--home', demo.home, 'tui');
});
afterAll(async () => {
  spawnSync('tmux', ['-S', socket, 'kill-server']);
  rmSync(socketDir, { recursive: true, force: true });
  await demo.stop();
});

describe('terminal UI end to end (tmux)', () => {
  it('search, import, details, publish with one verification, sync all, KeyServerSync off, add and test a server, quit', async () => {
    await see('3 keys');
    expect(screen()).toContain(`default ${demo.hkp.url}`);
    // NO_COLOR: no colour escape sequences (bold, dim and inverse stay; 39/49 are tmux's resets);
    // the cursor row is marked with › as well.
    const raw = tmux('capture-pane', '-p', '-e', '-t', 'kp');
    // eslint-disable-next-line no-control-regex -- looking for terminal colour sequences
    expect(raw).not.toMatch(/\u001B\[(?:[0-9;]*;)?(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])[;m]/);
    expect(screen()).toMatch(/^›\[ \] /m);
    // A resize re-lays out the frame to the new width.
    tmux('resize-window', '-t', 'kp', '-x', '80', '-y', '30');
    await see(/^⏎ open {2}\/ filter .*…$/m);
    expect(Math.max(...screen().split('\n').map((l) => l.length))).toBeLessThanOrEqual(80);
    tmux('resize-window', '-t', 'kp', '-x', '130', '-y', '40');
    await see('? help  q quit');

    // Search and import two keys.
    await keys('i');
    await see('Search:');
    type('example.org');
    await keys('Enter');
    await see(/\d+ keys found/);
    await keys('Space', 'Down', 'Space');
    await pause();
    await keys('Enter');
    const report = await see('Import report');
    expect(report.match(/^new /gm)?.length).toBe(2);
    await keys('Enter');
    await pause();
    await keys('Escape');
    await see('5 keys');

    // Open the details of our own key.
    await filterKeys('Sam');
    await keys('Enter');
    const details = await see('Operations');
    expect(details).toContain('Fingerprint  ');
    expect(details).toContain('Sam Secret <sam@work.example>');
    await keys('Escape');
    await see('1 All (1)');

    // Publish, verifying one address of two.
    await keys('p');
    await see('[y/N]');
    await keys('y');
    await see('Request verification for');
    await keys('Down', 'Space');
    await pause();
    await keys('Enter');
    await see('open the link mailed to sam@example.org');
    expect(demo.hagrid.mails).toEqual(['sam@example.org']);
    await keys('Escape');
    await pause();
    await keys('/', 'Escape');
    await see('1 All (5)');

    // Sync all, after the confirmation.
    await keys('s');
    await see('Sync all 4 public keys');
    await keys('y');
    const synced = await see('· done');
    expect(synced).toMatch(/skipped 1/);
    await keys('Enter');
    await see('1 All (5)');

    // KeyServerSync off: publishing now goes to the default server over HKP, with the warning.
    await keys(',');
    await see('Key servers');
    await keys('Right', 'Right');
    await see('keyserversync');
    await keys('Down', 'Enter');
    await see('[off] keyserversync');
    await keys('Escape');
    await filterKeys('Sam');
    await keys('p');
    const hkpWarning = (await see('[y/N]')).replace(/\s+/g, ' ');
    expect(hkpWarning).toContain('is an HKP server: publication there has no email verification and cannot be undone');
    expect(hkpWarning).toContain('over HKP?');
    await keys('n');
    await pause();

    // Add a server and test it.
    await keys(',');
    await see('Key servers');
    await keys('a');
    type(demo.hagrid.url);
    await keys('Enter');
    await see(`! ${demo.hagrid.url} is plain HTTP`);
    await keys('G', 't');
    await see(/ok \d+ ms +http:\/\/127\.0\.0\.1/);
    await keys('Escape');
    await pause();

    await keys('q');
    const end = Date.now() + 5_000;
    while (spawnSync('tmux', ['-S', socket, 'has-session', '-t', 'kp']).status === 0) {
      if (Date.now() > end) throw new Error(`keyport did not quit; screen:\n${screen()}`);
      await pause(50);
    }
    // What the UI did is in the keyring and settings.
    const modules = JSON.parse((await keyportAsync(['modules', 'list', '--json'], { home: demo.home })).stdout) as { id: string; state: string }[];
    expect(modules.find((m) => m.id === 'keyserversync')?.state).toBe('disabled');
    const list = JSON.parse((await keyportAsync(['list', '--json'], { home: demo.home })).stdout) as { fingerprint: string }[];
    expect(list.map((k) => k.fingerprint)).toContain(manifest.secret.fingerprint);
  }, 120_000);
});
