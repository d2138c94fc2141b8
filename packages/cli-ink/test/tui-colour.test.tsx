import React from 'react';
import { describe, expect, it } from 'vitest';
import { createKeyport } from '@keyport/core';
import { fixtureBytes, manifest } from '@keyport/test-fixtures';
import { builtinPlugins } from '../src/plugins.js';
import { tempDir } from './helpers.js';

// Colours are drawn only when the colour library believes the terminal has them; it decides when
// it loads. Forced on here, before Ink loads, so the plain check below can fail.
process.env.FORCE_COLOR = '1';
const { render } = await import('ink-testing-library');
const { App } = await import('../src/tui/App.js');

// eslint-disable-next-line no-control-regex -- any SGR sequence: colour or attribute
const SGR = /\u001B\[[0-9;]*m/;

async function frames(plain: boolean): Promise<string[]> {
  const kp = await createKeyport({ home: tempDir('keyport-tui-colour-'), plugins: builtinPlugins, env: {} });
  for (const f of [manifest.revoked.file, manifest.expired.file, manifest.secret.secretFile!]) await kp.importer.import(fixtureBytes(f), { origin: { kind: 'file', name: f } });
  let handled: (() => void) | undefined;
  const app = render(<App kp={kp} initialKeys={await kp.keyring.list('all')} onQuit={() => {}} plain={plain} onInputIdle={() => handled?.()} />);
  const press = (k: string) =>
    new Promise<void>((resolve) => {
      handled = resolve;
      app.stdin.write(k);
    });
  const until = async (text: string) => {
    const end = Date.now() + 8000;
    // eslint-disable-next-line no-control-regex -- reading the text between SGR sequences
    while (!(app.lastFrame() ?? '').replace(/\u001B\[[0-9;]*m/g, '').includes(text)) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${text}; last frame:\n${app.lastFrame() ?? ''}`);
      await new Promise((r) => setTimeout(r, 15));
    }
  };
  await until('1 All (3)');
  // The list (dim, strikethrough, inverse), a filter with no match, settings, an error toast
  // (red), and a key's details (panes with a focused border).
  for (const k of ['/', 'z', 'z', '\r']) await press(k);
  await until('no key matches');
  for (const k of ['\u001B', ',', 'a', ...'not a url', '\r']) await press(k);
  await until('✗ KP1600');
  for (const k of ['\u001B', '\u001B', '4', '\r']) await press(k);
  await until('Operations');
  app.unmount();
  return app.frames;
}

describe('colour', () => {
  it('plain (NO_COLOR or TERM=dumb) draws no colour or attribute on any element; with colours on, they are drawn', async () => {
    expect((await frames(false)).some((f) => SGR.test(f))).toBe(true);
    for (const f of await frames(true)) expect(f).not.toMatch(SGR);
  });
});
