import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { removeGnupgHomes } from '@keyport/test-fixtures';

/** The built binary: these tests exercise what users run, not the sources. */
export const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bundle', 'keyport.js');

const homes: string[] = [];

/** A fresh temporary folder, removed after the test file (each file imports its own copy of this module). */
export const tempDir = (prefix: string): string => {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  homes.push(dir);
  return dir;
};

/** A fresh keyport home, removed after the test file. */
export const tempHome = (): string => tempDir('keyport-cli-');

afterAll(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
  removeGnupgHomes();
});

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

/** Like keyport(), without blocking the event loop (needed when a fixture server runs in-process). */
export function keyportAsync(args: string[], options: { home?: string; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; bin?: string } = {}): Promise<RunResult> {
  const full = options.home ? ['--home', options.home, ...args] : args;
  const child = spawn(process.execPath, [options.bin ?? BIN, ...full], { cwd: options.cwd, env: { ...process.env, NO_COLOR: '1', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  // A run past its time bound is killed, so a failing test never leaves keyport running.
  const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ status: code ?? -1, stdout, stderr });
    }),
  );
}

export async function keyportJsonAsync<T = unknown>(args: string[], options: { home?: string; env?: NodeJS.ProcessEnv; bin?: string } = {}): Promise<T> {
  const r = await keyportAsync([...args, '--json'], options);
  if (r.status !== 0) throw new Error(`keyport ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** A fresh home set up by running each of `commands` in it; any failure throws with keyport's message. */
export async function homeWith(commands: string[][], env?: NodeJS.ProcessEnv): Promise<string> {
  const home = tempHome();
  for (const args of commands) {
    const r = await keyportAsync(args, { home, env });
    if (r.status !== 0) throw new Error(`keyport ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  }
  return home;
}
