import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built binary: these tests exercise what users run, not the sources. */
export const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bin.js');

export const tempHome = () => mkdtempSync(path.join(os.tmpdir(), 'keyport-cli-'));

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function keyport(args: string[], options: { home?: string; input?: string | Uint8Array; env?: NodeJS.ProcessEnv } = {}): RunResult {
  const full = options.home ? ['--home', options.home, ...args] : args;
  const r = spawnSync(process.execPath, [BIN, ...full], {
    input: options.input,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    maxBuffer: 256 * 1024 * 1024,
  });
  return { status: r.status ?? -1, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

export function keyportJson<T = unknown>(args: string[], options: Parameters<typeof keyport>[1] = {}): T {
  const r = keyport([...args, '--json'], options);
  if (r.status !== 0) throw new Error(`keyport ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export function spawnKeyport(args: string[], home: string): ChildProcess {
  return spawn(process.execPath, [BIN, '--home', home, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
}
