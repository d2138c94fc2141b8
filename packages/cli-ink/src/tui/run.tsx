import { writeSync } from 'node:fs';
import React from 'react';
import { render } from 'ink';
import type { KeyStore, Keyport } from '@keyport/core';
import { App } from './App.js';
import { storeForTui } from './store.js';
import { colorsOff } from './text.js';
import { printLines } from '../output.js';

// The alternate screen (the shell's screen comes back on exit, as with less or vim), bracketed
// paste (pasted text arrives marked, so it can never act as keys), and their undoing.
const ENTER = '\u001B[?1049h\u001B[H\u001B[?2004h';
const LEAVE = '\u001B[?2004l\u001B[?25h\u001B[?1049l';

/** Opens the terminal UI on `store` and resolves when the user quits; `notice` is shown as it opens. */
export async function runTui(kp: Keyport, on: KeyStore, notice?: string): Promise<void> {
  const store = storeForTui(kp, on);
  const keys = await store.list();
  let left = false;
  // Synchronous: it must also run in an `exit` handler and after an uncaught error.
  const leave = () => {
    if (left) return;
    left = true;
    try {
      writeSync(1, LEAVE);
    } catch {
      // The terminal is gone: nothing to restore.
    }
  };
  writeSync(1, ENTER);
  let quit = () => {};
  const onTerm = () => quit();
  const onCrash = (error: unknown) => {
    // The shell's screen first, so the message is readable there; then fail as before.
    app.unmount();
    leave();
    printLines(process.stderr, `keyport: KP1000 the terminal UI failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  };
  // `on`, not `once`: Ink's exit hook (signal-exit) kills the process again when it finds no other
  // listener for the signal, which a spent `once` listener no longer is.
  process.on('SIGTERM', onTerm);
  process.on('SIGHUP', onTerm);
  process.once('exit', leave);
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  const app = render(<App kp={kp} store={store} notice={notice} initialKeys={keys} onQuit={() => quit()} plain={colorsOff(process.env)} />, {
    exitOnCtrlC: true,
    // Ink draws on the first change, then at most once per 1000/maxFps ms while changes keep
    // coming (each change restarts that wait). At 60, keys typed 10-15 ms apart were drawn every
    // other one, the first of each pair up to 17 ms late; at 120 (9 ms) each is drawn as it is
    // handled, while keys that arrive together (one read, handled 1-3 ms apart) still share frames.
    maxFps: 120,
  });
  quit = () => app.unmount();
  try {
    await app.waitUntilExit();
  } finally {
    app.cleanup();
    leave();
    process.off('SIGTERM', onTerm);
    process.off('SIGHUP', onTerm);
    process.off('exit', leave);
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
  }
}
