import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifest, startDemo, type RunningDemo } from '@keyport/test-fixtures';
import { BIN, keyportAsync } from './helpers.js';
import { pause, privateTmux } from './tmux.js';

/**
 * The real binary in a real terminal (tmux), driven with send-keys and read with capture-pane,
 * against the demo's fixture servers.
 */
const { dir: socketDir, socket, tmux, screen, keys, type, see, stop: stopTmux } = privateTmux('keyport-e2e-');
const castFile = path.join(socketDir, 'keyport.cast');
const smallHome = path.join(socketDir, 'home-80x24');
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
  // The 80x24 test's own copy: what the other test imports and publishes does not reach it.
  cpSync(demo.home, smallHome, { recursive: true });
  const env = Object.entries(demo.env).map(([k, v]) => `${k}=${v}`);
  // CI=1: CI runners set it, and Ink then draws nothing until exit; keyport must draw anyway.
  tmux('new-session', '-d', '-s', 'kp', '-x', '130', '-y', '40', 'env', ...env, 'NO_COLOR=1', 'CI=1', process.execPath, BIN, '--home', demo.home, 'tui');
});
afterAll(async () => {
  stopTmux();
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
    expect(screen()).toMatch(/^› \[ \] /m);
    // A resize re-lays out the frame to the new width.
    tmux('resize-window', '-t', 'kp', '-x', '80', '-y', '30');
    // The footer shortens to fit and keeps help and quit.
    await see(/^⏎ open {2}\/ filter .* \? help {2}q quit$/m);
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

/** The screen of session `t`, and what it has drawn with its escape sequences. */
const screenOf = (t: string) => tmux('capture-pane', '-p', '-t', t);
async function seeIn(t: string, text: string | RegExp, ms = 15_000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const s = screenOf(t);
    if (typeof text === 'string' ? s.includes(text) : text.test(s)) return s;
    if (Date.now() > end) throw new Error(`timed out waiting for ${String(text)}; screen:\n${s}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
async function keysIn(t: string, ...k: string[]): Promise<void> {
  for (const key of k) {
    tmux('send-keys', '-t', t, key);
    await new Promise((r) => setTimeout(r, 60));
  }
}
/** Every line of the screen fits the 80 columns, and help and quit are in the footer. */
function fits80x24(s: string): void {
  const lines = s.split('\n');
  expect(Math.max(...lines.map((l) => [...l].length))).toBeLessThanOrEqual(80);
  expect(lines.filter((l) => l.length > 0).length).toBeLessThanOrEqual(24);
  expect(s).toMatch(/\? help/);
}

describe('terminal UI at 80x24 without CI, NO_COLOR=1 (tmux)', () => {
  it('bursts of keys, a bracketed paste, every screen readable at 80x24, no colour, and the shell screen back after q, Ctrl-C and SIGTERM', async () => {
    const env = Object.entries(demo.env).map(([k, v]) => `${k}=${v}`);
    const run = ['env', '-u', 'CI', '-u', 'CONTINUOUS_INTEGRATION', ...env, 'NO_COLOR=1', 'TERM=tmux-256color', process.execPath, BIN, '--home', smallHome, 'tui'].map((a) => `'${a}'`).join(' ');
    // A shell around keyport: what it printed before must be on screen again after each exit.
    const pidFile = path.join(socketDir, 'tui.pid');
    // The third run writes its process id (exec keeps it), to be ended with SIGTERM.
    tmux('new-session', '-d', '-s', 'small', '-x', '80', '-y', '24', 'sh', '-c', `echo BEFORE-KEYPORT; ${run}; echo AFTER-Q; ${run}; echo AFTER-CTRL-C; sh -c 'echo $$ > ${pidFile}; exec ${run.replace(/'/g, '')}'; echo AFTER-TERM; exec sleep 600`);
    // The screen recording for docs/ (asciinema v2): one frame per step.
    const cast: string[] = [JSON.stringify({ version: 2, width: 80, height: 24, title: 'keyport tui at 80x24' })];
    const started = Date.now();
    const record = () => cast.push(JSON.stringify([(Date.now() - started) / 1000, 'o', `\u001b[H\u001b[2J${tmux('capture-pane', '-p', '-e', '-t', 'small').replace(/\n/g, '\r\n')}`]));

    let s = await seeIn('small', '1 All (');
    record();
    fits80x24(s);
    // Names and the cursor on the list; sorted by name.
    expect(s).toMatch(/^›\s*\[ \] \S+ \S+ .*Paula Pair/m);
    expect(s).toContain('Sam Secret <sam@example.org>');
    // No colour anywhere (39/49 are tmux's own resets), with CI unset.
    // eslint-disable-next-line no-control-regex -- looking for terminal colour sequences
    expect(tmux('capture-pane', '-p', '-e', '-t', 'small')).not.toMatch(/\u001B\[(?:[0-9;]*;)?(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])[;m]/);

    // A burst: two j in one write move two rows.
    tmux('send-keys', '-t', 'small', 'jj');
    s = await seeIn('small', /^›.*Soon Revoked/m);
    // Ten Backspaces in one write edit the filter.
    await keysIn('small', '/');
    tmux('send-keys', '-t', 'small', '-l', 'Samzzzzzzzzzz');
    tmux('send-keys', '-t', 'small', ...Array<string>(10).fill('BSpace'));
    // (▏ is the text cursor without attributes.)
    s = await seeIn('small', /^\/ Sam▏?$/m);
    expect(s).toMatch(/1 All \(1\)/);
    expect(s).not.toContain('no key matches');
    await keysIn('small', 'Escape');
    await seeIn('small', '1 All (3)');
    // A fingerprint pasted as gpg prints it (groups, spaces), bracketed: it filters, it does not act.
    tmux('set-buffer', '-b', 'fpr', manifest['pair-old'].fingerprint.replace(/(.{4})(?!$)/g, '$1 '));
    tmux('paste-buffer', '-p', '-d', '-b', 'fpr', '-t', 'small');
    s = await seeIn('small', '1 All (1)');
    expect(s).toMatch(/^›.*Paula Pair/m);
    record();
    // The paste opened the filter field: Enter closes it, the next opens the key.
    await keysIn('small', 'Enter', 'Enter');

    // Details: the whole fingerprint, in groups of four.
    s = await seeIn('small', 'Operations');
    record();
    fits80x24(s);
    const groups = manifest['pair-old'].fingerprint.match(/.{4}/g)!;
    expect(s.replace(/[│\s]+/g, ' ')).toContain(groups.join(' '));
    await keysIn('small', '?');
    s = await seeIn('small', 'Keys: key details');
    expect(s).toContain('check the publish status');
    await keysIn('small', 'Escape', 'Escape');
    await seeIn('small', '/ ');

    // Import: search results with user IDs at 80 columns, held keys marked.
    await keysIn('small', 'i');
    await seeIn('small', 'Search:');
    tmux('send-keys', '-t', 'small', '-l', 'example.org');
    await keysIn('small', 'Enter');
    s = await seeIn('small', /\d+ keys found/);
    record();
    fits80x24(s);
    expect(s).toMatch(/^›.*@example\.org/m);
    expect(s).toMatch(/\(held\*?\) /);
    await keysIn('small', 'Escape');
    await seeIn('small', '1 All');

    // File import, sync and publish confirmations, settings sections, help: each fits.
    await keysIn('small', 'f');
    s = await seeIn('small', 'File:');
    fits80x24(s);
    await keysIn('small', 'Escape', 's');
    s = await seeIn('small', '[y/N]');
    fits80x24(s);
    expect(s).toContain('n Enter Esc no');
    await keysIn('small', 'Enter');
    await seeIn('small', '1 All');
    await keysIn('small', ',');
    for (const section of ['default  https', 'Automatic publish status', 'keyserversync']) {
      s = await seeIn('small', section);
      record();
      fits80x24(s);
      await keysIn('small', 'Right');
    }
    await keysIn('small', 'Escape', '?');
    s = await seeIn('small', 'Keys: key list');
    fits80x24(s);
    await keysIn('small', 'Escape');

    // q: the shell's screen is back as it was, without the UI's last frame.
    await keysIn('small', 'q');
    s = await seeIn('small', 'AFTER-Q');
    expect(s).toMatch(/^BEFORE-KEYPORT\nAFTER-Q/m);
    expect(s).not.toContain('? help');
    // Ctrl-C too.
    await seeIn('small', '1 All (3)');
    await keysIn('small', 'C-c');
    s = await seeIn('small', 'AFTER-CTRL-C');
    expect(s).not.toContain('? help');
    // SIGTERM (as from kill or a closing session manager) too.
    await seeIn('small', '1 All (3)');
    process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGTERM');
    s = await seeIn('small', 'AFTER-TERM');
    expect(s).toMatch(/^BEFORE-KEYPORT\nAFTER-Q\nAFTER-CTRL-C\nAFTER-TERM/m);
    expect(s).not.toContain('? help');
    if (process.env.KEYPORT_WRITE_CAST) writeFileSync(process.env.KEYPORT_WRITE_CAST, `${cast.join('\n')}\n`);
    writeFileSync(castFile, `${cast.join('\n')}\n`);
    expect(cast.length).toBeGreaterThan(5);
  }, 120_000);
});
