import type { Command } from 'commander';
import type { Keyport } from '@keyport/core';
import type { Io } from '../output.js';
import type { NetworkGlobals } from '../network-options.js';

/** The global options every command sees (declared once, in {@link GLOBAL_OPTIONS}). */
export interface GlobalOptions extends NetworkGlobals {
  home?: string;
  json?: boolean;
  modules?: string;
  store?: string;
  quiet?: boolean;
}

/**
 * The global options, in one place: main declares them on the program and strips them when it
 * decides whether a command was given. A new one is one line here (and a field above).
 */
export const GLOBAL_OPTIONS: readonly { flags: string; description: string; takesValue: boolean }[] = [
  { flags: '--home <dir>', description: 'keep settings and keyring under DIR (default: KEYPORT_HOME or XDG directories)', takesValue: true },
  { flags: '--json', description: 'machine-readable output (schemas in docs/cli.md)', takesValue: false },
  { flags: '--modules <list>', description: 'enable (+id or id) or disable (-id) modules for this run only', takesValue: true },
  { flags: '--store <store>', description: 'the key store to work on: embedded or gnupg (default: KEYPORT_STORE, then the setting store, then embedded)', takesValue: true },
  { flags: '--proxy <url>', description: 'send requests through this proxy (http://, socks5:// or socks5h://HOST:PORT); overrides network.proxy', takesValue: true },
  { flags: '--tor', description: 'send every request through Tor, each on its own circuit, never directly (network.tor)', takesValue: false },
  { flags: '--quiet', description: 'print only errors and the final summary (no warnings, progress or per-key lines)', takesValue: false },
  { flags: '--verbose', description: 'show each request made (method, URL, status, bytes, time, proxy) on stderr', takesValue: false },
];

/** What a command module gets from main: the program to add itself to and the run's services. */
export interface CommandContext {
  program: Command;
  io: Io;
  env: NodeJS.ProcessEnv;
  /** Aborted on Ctrl-C; passed to every request. */
  abort: AbortController;
  globals: () => GlobalOptions;
  /** The keyport runtime, created on first use. */
  open: () => Promise<Keyport>;
  /** Human lines on stdout (escaped), a warning on stderr, a JSON value on stdout (exact). */
  out: (lines: string | readonly string[]) => void;
  warn: (text: string) => void;
  json: (value: unknown) => void;
  /** A report whose last line is its summary: with --quiet only that line is printed. */
  report: (lines: readonly string[]) => void;
  /** The exit code when the command returns normally (a partial failure). */
  setExit: (code: number) => void;
}
