import { Argument } from 'commander';
import { KEYPORT_VERSION } from '@keyport/core';
import { bashCompletion, commanderSpec, fishCompletion, manPage, zshCompletion } from '../docs-gen/index.js';
import { printVerbatim } from '../output.js';
import type { CommandContext } from './context.js';

const SHELLS = { bash: bashCompletion, zsh: zshCompletion, fish: fishCompletion } as const;

/**
 * The man page's date: SOURCE_DATE_EPOCH when a reproducible build sets it, else today.
 * YYYY-MM-DD, as dates are shown everywhere else.
 */
function manDate(env: NodeJS.ProcessEnv): string {
  const epoch = Number(env.SOURCE_DATE_EPOCH);
  return new Date(Number.isFinite(epoch) && env.SOURCE_DATE_EPOCH ? epoch * 1000 : Date.now()).toISOString().slice(0, 10);
}

/**
 * `keyport completion SHELL` and the man page, both generated from the commander program itself
 * when the command runs (every command is registered by then). Plugins' commands are not in
 * them: they exist only once a home's plugins are loaded.
 */
export function registerCompletion({ program, io, env }: CommandContext): void {
  program
    .command('completion')
    .description('print a shell completion script (bash: source <(keyport completion bash))')
    .addArgument(new Argument('<shell>', 'the shell to complete for').choices(Object.keys(SHELLS)))
    .action((shell: keyof typeof SHELLS) => {
      printVerbatim(io.stdout, SHELLS[shell](commanderSpec(program)));
    });
  // Internal: the build writes dist/man/keyport.1 with it (scripts/man.mjs).
  program
    .command('man-page', { hidden: true })
    .description('print the man page (roff)')
    .action(() => {
      printVerbatim(io.stdout, manPage(commanderSpec(program), { version: KEYPORT_VERSION, date: manDate(env), seeAlso: ['gpg(1)'] }));
    });
}
