import React from 'react';
import { describe, expect, it } from 'vitest';
import { render } from 'ink-testing-library';
import { createKeyport, type KeyRecord, type Keyport } from '@keyport/core';
import { App } from '../src/tui/App.js';
import { KeystrokeSplitter } from '../src/tui/keystrokes.js';
import { tempDir } from './helpers.js';

const KEY = { up: '\u001B[A', down: '\u001B[B', right: '\u001B[C', left: '\u001B[D', esc: '\u001B', enter: '\r', bs: '\u007F', del: '\u001B[3~' };

/** A keyring of `n` made-up keys (User 0 … User n-1), for screens that only list them. */
function fakeKeys(n: number): KeyRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const fpr = (0xa000 + i).toString(16).toUpperCase().padStart(40, '0');
    return {
      hasSecret: false,
      meta: {},
      summary: { fingerprint: fpr, keyId: fpr.slice(-16), version: 4, algorithm: 'ed25519', bits: 255, curve: 'ed25519', created: '2024-01-01T00:00:00.000Z', expires: null, revoked: false, revocation: null, usage: ['sign'], userIds: [{ userId: `User ${String(i).padStart(2, '0')} <u${i}@example.org>`, email: `u${i}@example.org`, primary: true, revoked: false, revocation: null, expires: null, expired: false }], subkeys: [] },
    } as unknown as KeyRecord;
  });
}

let shared: Keyport | undefined;
async function kp(): Promise<Keyport> {
  if (!shared) {
    shared = await createKeyport({ home: tempDir('keyport-tui-input-'), plugins: [], env: {} });
    // r (read again) finds the keys the app shows: whenever that read ends, before or after the
    // last key of a burst, the screen is the same (the tests compare screens, not read timing).
    shared.keyring.list = () => Promise.resolve(fakeKeys(30));
  }
  return shared;
}

/** The app, and `write` that resolves once every key written is handled and drawn. */
async function app(keys = fakeKeys(30)) {
  let settled: (() => void) | undefined;
  const a = render(<App kp={await kp()} initialKeys={keys} onQuit={() => {}} onInputIdle={() => settled?.()} />);
  const frame = () => a.lastFrame() ?? '';
  const write = (s: string) =>
    new Promise<void>((resolve) => {
      settled = resolve;
      a.stdin.write(s);
    });
  return { a, frame, write };
}

/** The row marked by the cursor. */
const cursorRow = (frame: string) => frame.split('\n').find((l) => l.startsWith('›')) ?? '';

describe('keystrokes arriving together', () => {
  it('splits escape sequences, characters, CR LF and bracketed paste, in order', () => {
    const s = new KeystrokeSplitter();
    const keys = s.push(`jé${KEY.down}\u007F\u007F\r\n\u001B[200~0x4900 707D\r\nx\u001B[201~${KEY.esc}q`);
    expect(keys.map(([input, k]) => (k.downArrow ? 'DOWN' : k.backspace ? 'BS' : k.return ? 'RET' : k.escape ? 'ESC' : k.paste ? `PASTE(${input})` : input))).toEqual(['j', 'é', 'DOWN', 'BS', 'BS', 'RET', 'PASTE(0x4900 707D x)', 'ESC', 'q']);
    // A paste split over reads is one paste.
    expect(s.push('\u001B[200~abc')).toEqual([]);
    expect(s.push('def\u001B[201~').map(([i, k]) => [i, k.paste])).toEqual([['abcdef', true]]);
  });

  it('jjjjj in one read moves five rows, like five presses', async () => {
    const t = await app();
    expect(cursorRow(t.frame())).toContain('User 00');
    await t.write('jjjjj');
    expect(cursorRow(t.frame())).toContain('User 05');
    t.a.unmount();
  });

  it('a burst of Backspaces edits the filter instead of storing DEL characters', async () => {
    const t = await app();
    await t.write('/');
    await t.write('User 0zzzzzz');
    await t.write(KEY.bs.repeat(6));
    await t.write(KEY.enter);
    expect(t.frame()).toContain('1 All (10)');
    expect(t.frame()).not.toContain('no key matches');
    // ← moves the text cursor: a typo is fixed in place.
    await t.write(`/${KEY.left}1${KEY.enter}`);
    expect(t.frame()).toContain('1 All (1)');
    expect(t.frame()).toContain('User 10');
    t.a.unmount();
  });

  it('pasted text goes to the text field only, never acts as keys', async () => {
    const t = await app();
    // Pasted into the list (no field open): opens the filter with it, moves nothing, quits nothing.
    await t.write('\u001B[200~User 07q\u001B[201~');
    expect(t.frame()).toContain('User 07q');
    expect(t.frame()).toContain('no key matches');
    await t.write(`${KEY.bs}${KEY.enter}`);
    expect(cursorRow(t.frame())).toContain('User 07');
    t.a.unmount();
  });

  it('random key sequences give the same screen sent as one burst and key by key', async () => {
    // A seeded generator: a failure can be replayed.
    let seed = 11;
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed);
    const alphabet = ['j', 'k', 'g', 'G', ' ', '/', 'U', 's', 'e', 'r', '1', '0', KEY.bs, KEY.esc, KEY.left, KEY.right, KEY.up, KEY.down, KEY.del, '2', '3', '4', KEY.enter];
    let changed = 0;
    for (let round = 0; round < 8; round++) {
      const sequence = Array.from({ length: 40 }, () => alphabet[next() % alphabet.length]!)
        // Enter in the list opens a key's details, which loads asynchronously: only Enter in a field.
        .filter((k, i, all) => k !== KEY.enter || all.slice(0, i).lastIndexOf('/') > Math.max(all.slice(0, i).lastIndexOf(KEY.enter), all.slice(0, i).lastIndexOf(KEY.esc)));
      const burst = await app();
      await burst.write(sequence.join(''));
      const single = await app();
      for (const k of sequence) await single.write(k);
      expect(burst.frame(), JSON.stringify(sequence)).toBe(single.frame());
      const untouched = await app();
      if (untouched.frame() !== single.frame()) changed++;
      for (const t of [burst, single, untouched]) t.a.unmount();
    }
    // The keys did something (a test where no key arrives would pass the comparison too).
    expect(changed).toBeGreaterThanOrEqual(6);
  });
});

describe('drawing', () => {
  it('draws one frame per key when opening the filter and typing in it', async () => {
    const t = await app();
    const framesFor = async (s: string) => {
      const before = t.a.frames.length;
      await t.write(s);
      return t.a.frames.length - before;
    };
    // Ink redraws the whole screen for every frame: a second frame for the same key doubles its cost.
    expect(await framesFor('/')).toBe(1);
    expect(t.frame()).toContain('typing:');
    expect(await framesFor('U')).toBe(1);
    // Typed one at a time, fewer rows matching at the end: still one frame each.
    for (const k of 'ser 1') expect(await framesFor(k)).toBe(1);
    expect(t.frame()).toContain('1 All (10)');
    expect(await framesFor(KEY.enter)).toBe(1);
    expect(t.frame()).not.toContain('typing:');
    t.a.unmount();
  });

  it('draws keys that arrive together once, after the last of them', async () => {
    const t = await app();
    const before = t.a.frames.length;
    await t.write('jjjjj');
    // Handled one at a time (each sees the screen the previous one left), drawn once: a frame
    // costs far more than a key, and drawing each would leave the later keys waiting.
    expect(t.a.frames.length - before).toBe(1);
    expect(cursorRow(t.frame())).toContain('User 05');
    await t.write(`/User 1${KEY.enter}`);
    expect(t.frame()).toContain('1 All (10)');
    t.a.unmount();
  });

  it('keeps the cursor mark on a row too long for the terminal, cut at its end', async () => {
    const keys = fakeKeys(3);
    const long = keys[0]!.summary.userIds[0]!;
    (long as { userId: string }).userId = `User 00 ${'Überlang '.repeat(20)}<long@example.org>`;
    const t = await app(keys);
    const rows = t.frame().split('\n').filter((l) => / \[ \] pub /.test(l));
    expect(rows).toHaveLength(3);
    // Every row: the mark column, then the row, in the same column; the long one cut at the end.
    expect(rows[0]).toMatch(/^› \[ \] pub .*Überlang.*…$/);
    for (const r of rows.slice(1)) expect(r).toMatch(/^ {2}\[ \] pub /);
    for (const r of rows) expect([...r].length).toBeLessThanOrEqual(100);
    t.a.unmount();
  });
});
