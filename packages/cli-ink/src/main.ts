import { setMaxListeners } from 'node:events';
import { Command, CommanderError } from 'commander';
import { ErrorCodes, InputError, KEYPORT_VERSION, createKeyport, type Keyport } from '@keyport/core';
import { builtinPlugins, cliSettingDefaults, coreModuleUrl } from './plugins.js';
import { networkRuntimeOptions } from './network-options.js';
import { Exit, printJson, printLines, printProgress, printText, reportError, type Io } from './output.js';
import { GLOBAL_OPTIONS, type CommandContext, type GlobalOptions } from './commands/context.js';
import { registerImport } from './commands/import.js';
import { registerSearch } from './commands/search.js';
import { registerPublishing } from './commands/publishing.js';
import { registerServers } from './commands/servers.js';
import { registerKeys } from './commands/keys.js';
import { registerModules } from './commands/modules.js';
import { registerPlugins } from './commands/plugins.js';
import { registerConfig } from './commands/config.js';
import { registerKeyring } from './commands/keyring.js';
import { registerTui } from './commands/tui.js';
import { registerCompletion } from './commands/completion.js';
import { pluginCommandName, registerPluginCommands } from './commands/plugin-commands.js';

export { localeFromEnv } from './commands/input.js';

/** keyport's own commands, in the order `--help` lists them. */
const COMMANDS: ((ctx: CommandContext) => void)[] = [
  registerImport,
  registerSearch,
  registerPublishing,
  registerServers,
  registerKeys,
  registerModules,
  registerPlugins,
  registerConfig,
  registerKeyring,
  registerTui,
  registerCompletion,
];

/** Runs one keyport invocation and returns its exit code. The only exit is in bin.ts. */
export async function main(argv: string[], io: Io = process, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let exitCode: number = Exit.Ok;
  let runtime: Keyport | undefined;
  const abort = new AbortController();
  // One signal serves every request of a command (hundreds during a sync).
  setMaxListeners(0, abort.signal);
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);

  const program = new Command('keyport').description('A key-server client for OpenPGP power users').version(KEYPORT_VERSION);
  for (const o of GLOBAL_OPTIONS) program.option(o.flags, o.description);
  program
    .exitOverride()
    .configureOutput({
      writeOut: (s) => printText(io.stdout, s),
      writeErr: (s) => printText(io.stderr, s),
      // Usage errors are reported like every other error (one KP line; with --json also on
      // stdout): see usageError below.
      outputError: () => {},
    });

  const globals = () => program.opts<GlobalOptions>();
  const open = async () => {
    if (!runtime) {
      runtime = await createKeyport({ home: globals().home, modules: globals().modules, plugins: builtinPlugins, env, thirdParty: { coreModuleUrl: coreModuleUrl() }, settingDefaults: cliSettingDefaults, ...networkRuntimeOptions(globals(), io.stderr) });
      // --quiet: errors only (and each command's final summary).
      const quiet = Boolean(globals().quiet);
      runtime.bus.on('feedback', (f) => {
        if (f.severity === 'error' || (f.severity !== 'info' && !quiet)) printLines(io.stderr, `keyport: ${f.severity}: ${f.message}`);
      });
      if (!quiet) for (const w of runtime.settings.warnings) printLines(io.stderr, `keyport: warning: ${w.message} (next: ${w.nextStep})`);
      if (io.stderr.isTTY && !globals().json && !quiet) {
        runtime.bus.on('progress', (p) => printProgress(io.stderr, p));
      }
    }
    return runtime;
  };
  const ctx: CommandContext = {
    program,
    io,
    env,
    abort,
    globals,
    open,
    // Human output goes through the line printer (escaped), --json through printJson (exact).
    out: (lines) => printLines(io.stdout, lines),
    warn: (text) => {
      if (!globals().quiet) printLines(io.stderr, `keyport: warning: ${text}`);
    },
    json: (value) => printJson(io.stdout, value),
    report: (lines) => printLines(io.stdout, globals().quiet ? lines.slice(-1) : lines),
    setExit: (code) => {
      exitCode = code;
    },
  };
  for (const register of COMMANDS) register(ctx);

  try {
    const args = argv.slice(2);
    const rest = withoutGlobalOptions(args);
    // Plugins' commands exist only once the runtime is open: open it when the command is not ours.
    const own = new Set(program.commands.map((c) => c.name()));
    if (rest.length > 0 && (pluginCommandName(rest, own) || ['--help', '-h', 'help'].includes(rest[0]!))) {
      // The global options (--home, --modules) decide which plugins load: read them first.
      program.parseOptions(args);
      await registerPluginCommands(ctx, await open().catch(() => undefined));
    }
    if (rest.length === 0) {
      if (io.stdout.isTTY && io.stdin.isTTY) {
        await program.parseAsync([...argv, 'tui']);
        return exitCode;
      }
      printText(io.stderr, program.helpInformation());
      return Exit.Usage;
    }
    await program.parseAsync(argv);
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return Exit.Ok;
      return reportError(usageError(e, program, argv.slice(2)), io, argv.slice(2).includes('--json'));
    }
    return reportError(e, io, Boolean(program.opts<GlobalOptions>().json));
  } finally {
    process.off('SIGINT', onSigint);
    await runtime?.dispose();
  }
}

/** commander's complaint as a KP1002 error whose next step is the help of the command it was about. */
function usageError(e: CommanderError, program: Command, args: string[]): InputError {
  const path: string[] = [];
  let command = program;
  for (const word of withoutGlobalOptions(args)) {
    const sub = command.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (!sub) break;
    path.push(sub.name());
    command = sub;
  }
  const message = e.message.replace(/^error: /, '').replace(/\.$/, '');
  return new InputError(ErrorCodes.Usage, message, { nextStep: `see \`keyport ${[...path, '--help'].join(' ')}\`` });
}

/** The arguments left once the global options are removed: empty means "no command". */
function withoutGlobalOptions(args: string[]): string[] {
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const option = GLOBAL_OPTIONS.find((o) => a === o.flags.split(' ')[0] || (o.takesValue && a.startsWith(`${o.flags.split(' ')[0]}=`)));
    if (!option) rest.push(a);
    else if (option.takesValue && !a.includes('=')) i++;
  }
  return rest;
}
