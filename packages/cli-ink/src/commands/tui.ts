import { ErrorCodes, InputError } from '@keyport/core';
import type { CommandContext } from './context.js';
import { storeChoice } from '../store.js';

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
export function registerTui({ program, io, env, globals, open }: CommandContext): void {
  // The TUI still reads the embedded keyring: on another store it would show the wrong keys.
  const embeddedOnly = (store: string) =>
    new InputError(ErrorCodes.Usage, `the terminal UI works on the embedded store only so far, not on the ${store} store`, {
      nextStep: `use the commands on it (keyport --store ${store} list, sync, publish, status), or run the TUI with --store embedded`,
    });
  program
    .command('tui')
    .description('open the interactive terminal UI')
    .action(async () => {
      const asked = globals().store ?? env.KEYPORT_STORE;
      if (asked && asked !== 'embedded') throw embeddedOnly(asked);
      if (!io.stdout.isTTY || !io.stdin.isTTY) {
        throw new InputError(ErrorCodes.Usage, 'the terminal UI needs a terminal', { nextStep: 'run keyport in a terminal, or use the subcommands (keyport --help)' });
      }
      // Loading Ink and React overlaps with opening the keyring: both lie before the first frame.
      const [kp, { runTui }] = await Promise.all([open(), loadTuiOutsideCiMode()]);
      const chosen = storeChoice(kp, undefined, env);
      if (chosen !== 'embedded') throw embeddedOnly(chosen);
      await runTui(kp);
    });
}
