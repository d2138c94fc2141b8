import type { ArgumentSpec, CommandSpec, OptionSpec } from './spec.js';

/** Text as roff reads it literally: backslashes, hyphens and control characters at line start escaped. */
export function roffEscape(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .split('\n')
    .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
    .join('\n');
}

function optionSynopsis(o: OptionSpec): string {
  const names = [o.short, o.long].filter(Boolean).map((n) => `\\fB${roffEscape(n!)}\\fR`).join(', ');
  return o.valueName ? `${names} \\fI${roffEscape(o.valueName)}\\fR` : names;
}

function argumentSynopsis(a: ArgumentSpec): string {
  const name = `\\fI${roffEscape(a.name)}\\fR${a.variadic ? '...' : ''}`;
  return a.optional ? `[${name}]` : name;
}

function commandSynopsis(path: string, c: CommandSpec): string {
  const parts = [`\\fB${roffEscape(path)}\\fR`];
  if (c.options?.length) parts.push('[\\fIOPTIONS\\fR]');
  if (c.subcommands?.length) parts.push('\\fICOMMAND\\fR');
  for (const a of c.arguments ?? []) parts.push(argumentSynopsis(a));
  return parts.join(' ');
}

function optionsBlock(options: readonly OptionSpec[]): string[] {
  const out: string[] = [];
  for (const o of options) {
    out.push('.TP', optionSynopsis(o), roffEscape(o.description + (o.choices ? ` One of: ${o.choices.join(', ')}.` : '')));
  }
  return out;
}

/** Every command below `root` with its full path (`keyport key show`), depth first, in the given order. */
function walk(root: CommandSpec, path: string[] = []): { path: string[]; command: CommandSpec }[] {
  const out: { path: string[]; command: CommandSpec }[] = [];
  for (const sub of root.subcommands ?? []) {
    const p = [...path, sub.name];
    out.push({ path: p, command: sub }, ...walk(sub, p));
  }
  return out;
}

/**
 * A man page (section 1) for the program `root` describes: NAME, SYNOPSIS, DESCRIPTION, the
 * global OPTIONS, then every command with its arguments and options under COMMANDS.
 */
export function manPage(root: CommandSpec, meta: { version: string; date: string; seeAlso?: readonly string[] }): string {
  const title = root.name.toUpperCase();
  const out: string[] = [
    `.TH ${roffEscape(title)} 1 "${meta.date}" "${roffEscape(root.name)} ${roffEscape(meta.version)}" "User Commands"`,
    '.SH NAME',
    `${roffEscape(root.name)} \\- ${roffEscape(root.summary)}`,
    '.SH SYNOPSIS',
    commandSynopsis(root.name, root),
    '.SH DESCRIPTION',
  ];
  for (const paragraph of root.description ?? [root.summary]) out.push('.PP', roffEscape(paragraph));
  if (root.options?.length) out.push('.SH OPTIONS', ...optionsBlock(root.options));
  const commands = walk(root);
  if (commands.length > 0) {
    out.push('.SH COMMANDS');
    for (const { path, command } of commands) {
      out.push(`.SS ${roffEscape([root.name, ...path].join(' '))}`);
      out.push(commandSynopsis([root.name, ...path].join(' '), command));
      out.push('.PP', roffEscape(command.summary));
      for (const paragraph of command.description ?? []) out.push('.PP', roffEscape(paragraph));
      for (const a of command.arguments ?? []) {
        if (a.description) out.push('.TP', argumentSynopsis(a), roffEscape(a.description));
      }
      if (command.options?.length) out.push(...optionsBlock(command.options));
    }
  }
  if (meta.seeAlso?.length) out.push('.SH SEE ALSO', meta.seeAlso.map((s) => roffEscape(s)).join(', '));
  return `${out.join('\n')}\n`;
}
