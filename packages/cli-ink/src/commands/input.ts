import readline from 'node:readline/promises';
import { CancelledError, ErrorCodes, InputError, escapeForTerminal, readFileBounded, readStreamBounded } from '@keyport/core';
import type { Io } from '../output.js';

/** Reads `--file` (a path, a FIFO, a device, or - for stdin), stopping at the cap while reading. */
export async function readInput(file: string, io: Io, maxBytes: number): Promise<Uint8Array> {
  if (file === '-') return readStreamBounded(io.stdin as AsyncIterable<Buffer | string>, maxBytes, { label: 'stdin' });
  return readFileBounded(file, maxBytes);
}

/** The user's locale for verification mails, from the usual variables (de_CH.UTF-8 -> de_CH). */
export function localeFromEnv(env: NodeJS.ProcessEnv): string[] | undefined {
  const raw = env.LC_ALL || env.LC_MESSAGES || env.LANG;
  if (!raw || raw === 'C' || raw === 'POSIX') return undefined;
  return [raw.split('.')[0]!.split('@')[0]!];
}

/**
 * Asks for a yes in a terminal (anything else cancels); without one, the caller needed --yes,
 * which `noTerminal` says (default: after a warning).
 */
export async function confirm(io: Io, question: string, noTerminal = { message: 'this needs confirmation and there is no terminal to ask', nextStep: 'read the warning above, then add --yes' }): Promise<void> {
  if (!io.stdin.isTTY) throw new InputError(ErrorCodes.Usage, noTerminal.message, { nextStep: noTerminal.nextStep });
  const answer = await ask(io, question);
  if (!/^y(es)?$/i.test(answer.trim())) throw new CancelledError();
}

export async function ask(io: Io, question: string): Promise<string> {
  const rl = readline.createInterface({ input: io.stdin, output: io.stderr });
  try {
    return await rl.question(escapeForTerminal(question));
  } finally {
    rl.close();
  }
}
