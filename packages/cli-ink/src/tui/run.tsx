import React from 'react';
import { render } from 'ink';
import type { Keyport } from '@keyport/core';
import { KeyList } from './KeyList.js';

/** Opens the first TUI screen and resolves when the user quits. */
export async function runTui(kp: Keyport): Promise<void> {
  const keys = await kp.keyring.list('all');
  const home = kp.paths.home ?? kp.paths.keyringDir;
  let unmount = () => {};
  const app = render(
    <KeyList keys={keys} home={home} height={process.stdout.rows ?? 24} onQuit={() => unmount()} />,
  );
  unmount = () => app.unmount();
  await app.waitUntilExit();
}
