import React from 'react';
import { render } from 'ink';
import type { Keyport } from '@keyport/core';
import { App } from './App.js';

/** Opens the terminal UI and resolves when the user quits. */
export async function runTui(kp: Keyport): Promise<void> {
  const keys = await kp.keyring.list('all');
  let quit = () => {};
  const app = render(<App kp={kp} initialKeys={keys} onQuit={() => quit()} />, {
    exitOnCtrlC: true,
  });
  quit = () => app.unmount();
  await app.waitUntilExit();
}
