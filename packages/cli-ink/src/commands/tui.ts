import { ErrorCodes, InputError } from '@keyport/core';
import type { CommandContext } from './context.js';
import { openStore } from '../store.js';

/**
 * Ink draws nothing until exit when it believes it runs in CI: `CI` or `CONTINUOUS_INTEGRATION`
 * set, read once when Ink loads. The TUI only ever runs on a terminal, where that mode leaves a
 * blank screen, so Ink loads with those variables hidden; they are back as soon as it has loaded.
 */
async function loadTuiOutsideCiMode(): Promise<typeof import('../tui/run.js')> {
  const hidden = ['CI', 'CONTINUOUS_INTEGRATION'].flatMap((name) => {
    const value = process.env[name];
    return value === undefined ? [] : [[name, value] as const];
  });
  for (const [name] of hidden) delete process.env[name];
  try {
    return await import('../tui/run.js');
  } finally {
    for (const [name, value] of hidden) process.env[name] = value;
  }
}

/** `keyport` commands: the interactive terminal UI. */
export function registerTui({ program, io, env, globals, open, warn }: CommandContext): void {
  program
    .command('tui')
    .description('open the interactive terminal UI')
    .action(async () => {
      if (!io.stdout.isTTY || !io.stdin.isTTY) {
        throw new InputError(ErrorCodes.Usage, 'the terminal UI needs a terminal', { nextStep: 'run keyport in a terminal, or use the subcommands (keyport --help)' });
      }
      // Loading Ink and React overlaps with opening the keyring: both lie before the first frame.
      const [kp, { runTui }] = await Promise.all([open(), loadTuiOutsideCiMode()]);
      // As the commands choose it (--store, KEYPORT_STORE, the setting); a disabled gnupg module
      // falls back to the embedded store with a warning, said here and inside the UI.
      let fallback: string | undefined;
      const store = await openStore(kp, globals().store, env, (text) => {
        warn(text);
        fallback = text;
      });
      await runTui(kp, store, fallback);
    });
}
