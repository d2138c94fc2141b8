import type { Command } from 'commander';
import { ErrorCodes, KeyportError, type Keyport } from '@keyport/core';
import type { CommandContext } from './context.js';

/** The command word of `rest` when it is not one of keyport's own commands (a plugin's, or a typo). */
export function pluginCommandName(rest: string[], own: ReadonlySet<string>): string | undefined {
  const word = rest.find((a) => !a.startsWith('-'));
  return word !== undefined && !own.has(word) && word !== 'help' ? word : undefined;
}

/**
 * Adds the commands plugins contribute (CommandContribution in core's plugin API). Each is
 * listed in `--help` with its plugin's name; a disabled plugin's command says how to enable it.
 * A name keyport or an earlier plugin already uses is skipped with a warning.
 */
export async function registerPluginCommands(ctx: CommandContext, kp: Keyport | undefined): Promise<void> {
  if (!kp) return;
  const { program, out, json, warn, globals } = ctx;
  const taken = new Set(program.commands.map((c) => c.name()));
  for (const { pluginId, pluginName, command: contributed } of kp.modules.commands()) {
    if (!/^[a-z][a-z0-9-]*$/.test(contributed.name) || taken.has(contributed.name)) {
      warn(`module ${pluginId}: command "${contributed.name}" was not added (the name is invalid or taken)`);
      continue;
    }
    taken.add(contributed.name);
    const command = program.command(contributed.name).description(`${contributed.description} (from the ${pluginName} module)`);
    for (const a of contributed.arguments ?? []) command.argument(a.name, a.description);
    for (const o of contributed.options ?? []) command.option(o.flags, o.description, o.default);
    command.action(async (...params: unknown[]) => {
      const self = params.at(-1) as Command;
      // Looked up when it runs: the module may have been switched on or off since.
      const now = kp.modules.commands().find((c) => c.pluginId === pluginId && c.command.name === contributed.name);
      if (!now?.enabled || !now.context) {
        throw new KeyportError(ErrorCodes.ModuleRequired, `"${contributed.name}" is a command of the ${pluginName} module, which is disabled`, {
          nextStep: `enable it with \`keyport modules enable ${pluginId}\``,
        });
      }
      const args = params.slice(0, (contributed.arguments ?? []).length).flatMap((v) => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]));
      await now.command.run({ args, options: self.opts(), json: Boolean(globals().json), print: out, printJson: json, context: now.context });
    });
  }
}
