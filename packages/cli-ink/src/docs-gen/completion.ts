import type { CommandSpec, OptionSpec } from './spec.js';

interface Node {
  /** Command path below the program, e.g. `key show`; empty for the program itself. */
  path: string;
  command: CommandSpec;
}

function nodes(root: CommandSpec, prefix: string[] = []): Node[] {
  const out: Node[] = [{ path: prefix.join(' '), command: root }];
  for (const sub of root.subcommands ?? []) out.push(...nodes(sub, [...prefix, sub.name]));
  return out;
}

const optionNames = (o: OptionSpec) => [o.short, o.long].filter((n): n is string => Boolean(n));
/** Completion words are generated from our own spec, but quote them anyway for the shells. */
const shellWord = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const functionName = (program: string) => `_${program.replace(/[^A-Za-z0-9_]/g, '_')}`;

/**
 * A bash completion script: `source` it (or install it in bash-completion's directory) and
 * `complete -p PROGRAM` shows it registered. It follows the words typed so far down the command
 * tree (options are skipped, with their value when they take one) and offers the subcommands and
 * options of the command reached, global options included; an option's value is completed from
 * its choices, or as a file name when it is a path.
 */
export function bashCompletion(root: CommandSpec): string {
  const fn = functionName(root.name);
  const all = nodes(root);
  const globalOptions = root.options ?? [];
  const takesValue = new Set<string>();
  for (const n of all) for (const o of n.command.options ?? []) if (o.valueName) for (const name of optionNames(o)) takesValue.add(name);
  const lines: string[] = [
    `# bash completion for ${root.name} (generated from its command definitions)`,
    `${fn}() {`,
    '  local cur prev path word i',
    '  cur="${COMP_WORDS[COMP_CWORD]}"',
    '  prev="${COMP_WORDS[COMP_CWORD-1]}"',
    '  path=""',
    '  i=1',
    '  while [ "$i" -lt "$COMP_CWORD" ]; do',
    '    word="${COMP_WORDS[i]}"',
    '    case "$word" in',
    `      ${[...takesValue].join('|') || '--never-an-option--'}) i=$((i + 2)); continue ;;`,
    '      -*) ;;',
    '      *)',
    '        case "${path:+$path }$word" in',
    `          ${all.filter((n) => n.path).map((n) => shellWord(n.path)).join('|')}) path="\${path:+$path }$word" ;;`,
    '        esac ;;',
    '    esac',
    '    i=$((i + 1))',
    '  done',
    '  case "$prev" in',
  ];
  const valueCases = new Map<string, string>();
  for (const n of all) {
    for (const o of n.command.options ?? []) {
      if (!o.valueName) continue;
      const action = o.choices
        ? `COMPREPLY=($(compgen -W ${shellWord(o.choices.join(' '))} -- "$cur")); return 0`
        : o.valueIsPath
          ? 'COMPREPLY=($(compgen -f -- "$cur")); return 0'
          : 'COMPREPLY=(); return 0';
      for (const name of optionNames(o)) if (!valueCases.has(name)) valueCases.set(name, action);
    }
  }
  for (const [name, action] of valueCases) lines.push(`    ${shellWord(name)}) ${action} ;;`);
  lines.push('  esac', '  case "$path" in');
  for (const n of all) {
    const options = [...(n.command.options ?? []), ...(n.path ? globalOptions : [])].flatMap(optionNames);
    const subs = (n.command.subcommands ?? []).map((s) => s.name);
    const choices = (n.command.arguments ?? []).flatMap((a) => a.choices ?? []);
    const words = [...subs, ...choices].join(' ');
    lines.push(
      `    ${shellWord(n.path)})`,
      '      if [[ "$cur" == -* ]]; then',
      `        COMPREPLY=($(compgen -W ${shellWord(options.join(' '))} -- "$cur"))`,
      '      else',
      `        COMPREPLY=($(compgen -W ${shellWord(words)} -- "$cur"))`,
      '      fi ;;',
    );
  }
  lines.push('  esac', '  return 0', '}', `complete -F ${fn} ${root.name}`, '');
  return lines.join('\n');
}

/** Text in zsh's `_arguments` descriptions: brackets and colons would end the field. */
const zshDescription = (s: string) => s.replace(/\\/g, '\\\\').replace(/([[\]:'])/g, (c) => (c === "'" ? `'\\''` : `\\${c}`));

/**
 * A zsh completion function (`#compdef PROGRAM`, to be put in a directory of `$fpath` as
 * `_PROGRAM`): one `_arguments` spec per command, subcommands described with `_describe`.
 */
export function zshCompletion(root: CommandSpec): string {
  const fn = functionName(root.name);
  const lines: string[] = [`#compdef ${root.name}`, `# zsh completion for ${root.name} (generated from its command definitions)`, ''];
  const globalOptions = root.options ?? [];
  const emit = (node: CommandSpec, path: string[]) => {
    const name = [fn, ...path].join('_').replace(/[^A-Za-z0-9_]/g, '_');
    const specs: string[] = [];
    for (const o of [...(node.options ?? []), ...(path.length > 0 ? globalOptions : [])]) {
      const names = optionNames(o);
      const exclusion = names.length > 1 ? `(${names.join(' ')})` : '';
      const value = o.valueName ? `:${o.valueName}:${o.choices ? `(${o.choices.join(' ')})` : o.valueIsPath ? '_files' : ' '}` : '';
      const body = `[${zshDescription(o.description)}]${value}`;
      specs.push(names.length > 1 ? `'${exclusion}'{${names.join(',')}}'${body}'` : `'${names[0]}${body}'`);
    }
    const subs = node.subcommands ?? [];
    if (subs.length > 0) specs.push("'1: :->command'", "'*:: :->argument'");
    else {
      for (const a of node.arguments ?? []) {
        const position = a.variadic ? '*' : a.optional ? '::' : ':';
        specs.push(`'${position}${a.name}:${a.choices ? `(${a.choices.join(' ')})` : ' '}'`);
      }
    }
    lines.push(`${name}() {`, '  local state', `  _arguments -s -C ${specs.join(' \\\n    ')}`);
    if (subs.length > 0) {
      lines.push(
        '  case $state in',
        '    command)',
        '      local -a commands',
        `      commands=(${subs.map((s) => `'${s.name}:${zshDescription(s.summary)}'`).join(' ')})`,
        "      _describe 'command' commands ;;",
        '    argument)',
        '      case $words[1] in',
      );
      for (const s of subs) lines.push(`        ${s.name}) ${[name, s.name].join('_').replace(/[^A-Za-z0-9_]/g, '_')} ;;`);
      lines.push('      esac ;;', '  esac');
    }
    lines.push('}', '');
    for (const s of subs) emit(s, [...path, s.name]);
  };
  emit(root, []);
  lines.push(`${fn} "$@"`, '');
  return lines.join('\n');
}

const fishQuote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/**
 * A fish completion script (for `~/.config/fish/completions/PROGRAM.fish`): `complete` lines
 * conditioned on the command path typed so far, through a helper that follows the words.
 */
export function fishCompletion(root: CommandSpec): string {
  const helper = `__${root.name.replace(/[^A-Za-z0-9_]/g, '_')}_path_is`;
  const all = nodes(root);
  const lines: string[] = [
    `# fish completion for ${root.name} (generated from its command definitions)`,
    `function ${helper}`,
    '    set -l words (commandline -opc)',
    '    set -e words[1]',
    '    set -l path',
    '    for w in $words',
    "        string match -q -- '-*' $w; and continue",
    `        contains -- (string join ' ' $path $w) ${all.filter((n) => n.path).map((n) => fishQuote(n.path)).join(' ')}; and set path $path $w`,
    '    end',
    // Through a variable: an empty path would otherwise leave `test` without an operand.
    "    set -l joined (string join ' ' $path)",
    '    test "$joined" = "$argv"',
    'end',
    `complete -c ${root.name} -f`,
  ];
  const globalOptions = root.options ?? [];
  for (const n of all) {
    const condition = `-n ${fishQuote(`${helper} ${n.path}`.trim())}`;
    for (const s of n.command.subcommands ?? []) lines.push(`complete -c ${root.name} ${condition} -a ${fishQuote(s.name)} -d ${fishQuote(s.summary)}`);
    for (const a of n.command.arguments ?? []) if (a.choices) lines.push(`complete -c ${root.name} ${condition} -a ${fishQuote(a.choices.join(' '))}`);
    for (const o of [...(n.command.options ?? []), ...(n.path ? globalOptions : [])]) {
      const parts = [`complete -c ${root.name}`, condition, `-l ${o.long.replace(/^--/, '')}`];
      if (o.short) parts.push(`-s ${o.short.replace(/^-/, '')}`);
      if (o.valueName) parts.push(o.choices ? `-x -a ${fishQuote(o.choices.join(' '))}` : o.valueIsPath ? '-r -F' : '-x');
      parts.push(`-d ${fishQuote(o.description)}`);
      lines.push(parts.join(' '));
    }
  }
  lines.push('');
  return lines.join('\n');
}
