import type { Argument, Command, Option } from 'commander';
import type { ArgumentSpec, CommandSpec, OptionSpec } from './spec.js';

/** Value names that stand for a file or folder, completed as paths. */
const PATH_VALUES = new Set(['FILE', 'DIR', 'FOLDER', 'PATH']);

/** Commander keeps a command's hidden flag private; hidden commands are internal, not documented. */
const isHidden = (c: Command) => Boolean((c as unknown as { _hidden?: boolean })._hidden);

function optionSpec(o: Option): OptionSpec {
  const valueName = /[<[]([^>\]]+)[>\]]/.exec(o.flags)?.[1]?.replace(/\.\.\.$/, '').toUpperCase();
  return {
    long: o.long ?? o.short ?? o.flags,
    ...(o.long && o.short ? { short: o.short } : {}),
    ...(valueName ? { valueName } : {}),
    ...(o.argChoices ? { choices: o.argChoices } : {}),
    ...(valueName && PATH_VALUES.has(valueName) ? { valueIsPath: true } : {}),
    description: o.description,
  };
}

function argumentSpec(a: Argument): ArgumentSpec {
  return {
    name: a.name().toUpperCase(),
    ...(a.description ? { description: a.description } : {}),
    ...(a.required ? {} : { optional: true }),
    ...(a.variadic ? { variadic: true } : {}),
    ...(a.argChoices ? { choices: a.argChoices } : {}),
  };
}

/**
 * The docs-gen description of a commander program: the man page and the completion scripts are
 * generated from the very definitions that parse the command line, so they cannot drift apart.
 * Hidden commands and options are left out.
 */
export function commanderSpec(command: Command): CommandSpec {
  const options = command.options.filter((o) => !o.hidden).map(optionSpec);
  const args = command.registeredArguments.map(argumentSpec);
  const subcommands = command.commands.filter((c) => !isHidden(c)).map(commanderSpec);
  return {
    name: command.name(),
    summary: command.summary() || command.description(),
    ...(command.summary() && command.description() !== command.summary() ? { description: [command.description()] } : {}),
    ...(options.length ? { options } : {}),
    ...(args.length ? { arguments: args } : {}),
    ...(subcommands.length ? { subcommands } : {}),
  };
}
