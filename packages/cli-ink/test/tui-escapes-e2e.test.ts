import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHkpFixture, type RunningHkpFixture } from '@keyport/test-fixtures';
import { HOSTILE_USER_IDS, LISTED_USER_IDS, RAW_CONTROL, SHOWN_USER_IDS, hostileKeys } from './hostile-keys.js';
import { BIN, homeWith } from './helpers.js';
import { pause, privateTmux } from './tmux.js';

/**
 * Hostile user IDs, search results and server messages in the real terminal UI (tmux on a
 * private socket): the pane title and the paste buffer stay as they were, rows stay rows, and
 * nothing but keyport's own styling reaches the screen.
 */
const { dir: socketDir, tmux, keys, type, see, stop: stopTmux } = privateTmux('keyport-e2e-escapes-');
// A second tmux server for the control case, so the two tests share no title or buffer.
const controlSocket = path.join(socketDir, 'control');
const controlTmux = (...args: string[]) => execFileSync('tmux', ['-S', controlSocket, ...args], { encoding: 'utf8' });
const TITLE = 'keyport-escapes-e2e';
const names = Object.keys(HOSTILE_USER_IDS) as (keyof typeof HOSTILE_USER_IDS)[];

const paneTitle = (run = tmux, target = 'kp') => run('display-message', '-p', '-t', target, '#{pane_title}').trim();
const buffers = (run = tmux) => run('list-buffers', '-F', '#{buffer_name}').trim();

/**
 * The screen with tmux's own escapes (`capture-pane -e`) holds only SGR styling, none of it the
 * concealed text (8) a user ID asks for (keyport never conceals; its own colours are allowed,
 * and the user IDs' colour sequences are checked as visible text), and no other escape, OSC or
 * control character.
 */
function expectCleanScreen(): void {
  const raw = tmux('capture-pane', '-p', '-e', '-t', 'kp');
  // eslint-disable-next-line no-control-regex -- reading terminal escape sequences
  const sgr = [...raw.matchAll(/\u001b\[([0-9;]*)m/g)].map((m) => m[1]!);
  const params = sgr.flatMap((p) => p.split(';')).filter(Boolean).map(Number);
  expect(params.filter((n) => n === 8)).toEqual([]);
  // eslint-disable-next-line no-control-regex -- what is left after keyport's styling
  const rest = raw.replace(/\u001b\[[0-9;]*m/g, '');
  expect([...rest].filter((c) => RAW_CONTROL.test(c)).map((c) => `U+${c.codePointAt(0)!.toString(16).padStart(4, '0')}`)).toEqual([]);
}

let keyset: ReturnType<typeof hostileKeys>;
let home: string;
let index: RunningHkpFixture;
let maintenance: RunningHkpFixture;
beforeAll(async () => {
  keyset = hostileKeys();
  [index, maintenance] = await Promise.all([
    startHkpFixture({ dialect: 'sks', keys: keyset.certificates, hostile: 'escapes' }),
    startHkpFixture({ dialect: 'sks', keys: [], hostile: 'escapes-503' }),
  ]);
  const file = path.join(socketDir, 'hostile.asc');
  writeFileSync(file, keyset.armored);
  home = await homeWith([
    ['import', '--file', file],
    ['servers', 'add', index.url, '--protocol', 'hkp'],
    ['servers', 'add', maintenance.url, '--protocol', 'hkp'],
    ['servers', 'default', index.url],
  ]);
  // OSC 52 from applications creates tmux buffers only with set-clipboard on (the default,
  // external, ignores it): on, so a clipboard write would show.
  for (const run of [tmux, controlTmux]) {
    run('-f', '/dev/null', 'new-session', '-d', '-s', 'control', '-x', '80', '-y', '10');
    run('set-option', '-g', 'set-clipboard', 'on');
  }
  tmux('new-session', '-d', '-s', 'kp', '-x', '200', '-y', '40', 'env', 'NO_COLOR=1', 'CI=1', process.execPath, BIN, '--home', home, 'tui');
  tmux('select-pane', '-t', 'kp', '-T', TITLE);
}, 60_000);
afterAll(async () => {
  stopTmux(controlSocket);
  if (home) rmSync(home, { recursive: true, force: true });
  await Promise.all([index?.stop(), maintenance?.stop()]);
});

describe('terminal UI with hostile user IDs (tmux)', () => {
  it('this tmux would show an attack: raw user IDs change the pane title and the paste buffer', async () => {
    controlTmux('respawn-pane', '-k', '-t', 'control', process.execPath, '-e', `process.stdout.write(${JSON.stringify(Object.values(HOSTILE_USER_IDS).join('\n'))}); setTimeout(() => {}, 30000)`);
    const end = Date.now() + 10_000;
    while (paneTitle(controlTmux, 'control') !== 'PWNED-TWO' || !buffers(controlTmux)) {
      if (Date.now() > end) throw new Error(`control pane: title ${paneTitle(controlTmux, 'control')}, buffers ${buffers(controlTmux)}`);
      await pause(50);
    }
    expect(controlTmux('show-buffer')).toBe('echo pwned');
  });

  it('list, details, search and an error message show every hostile text escaped', async () => {
    const list = await see('5 keys');
    for (const name of names) expect(list).toContain(LISTED_USER_IDS[name]);
    expectCleanScreen();

    for (const name of names) {
      await keys('/');
      type(/<([^@]+@hostile)/.exec(HOSTILE_USER_IDS[name])![1]!);
      await keys('Enter');
      await see(/1 All \(1\)/);
      await keys('Enter');
      const details = await see('Operations');
      expect(details).toContain(`[   valid] ${LISTED_USER_IDS[name]} (primary)`);
      expectCleanScreen();
      await keys('Escape');
      await see(/1 All \(1\)/);
      await keys('/', 'Escape');
      await see(/1 All \(5\)/);
    }

    await keys('i');
    await see('Search:');
    type('hostile.example');
    await keys('Enter');
    const results = await see('5 keys found');
    for (const name of names) expect(results).toContain(SHOWN_USER_IDS[name]);
    expectCleanScreen();

    // The other server answers 503 with a hostile message: the toast shows it escaped.
    await keys('Escape');
    await see(/1 All \(5\)/);
    await keys('i');
    await see('Search:');
    // Servers switch with [ ] in the results (arrows move the text cursor while typing).
    await keys('Tab', ']');
    await see(`Server: ${maintenance.url}`);
    await keys('Tab');
    type('anything');
    await keys('Enter');
    const toast = await see(/✗ KP\d{4} /);
    expect(toast).toContain('\\x1b]0;PWNED\\x07\\x1b]52;c;ZWNobyBwd25lZA==\\x07');
    expectCleanScreen();

    expect(paneTitle()).toBe(TITLE);
    expect(buffers()).toBe('');
    await keys('Escape');
    await pause();
    await keys('q');
  }, 120_000);
});
