import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, tempHome } from './helpers.js';

const homes: string[] = [];
const writers: ChildProcess[] = [];
const home = () => {
  const h = tempHome();
  homes.push(h);
  return h;
};
afterAll(() => {
  for (const w of writers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
  for (const h of homes) rmSync(h, { recursive: true, force: true });
});

/** Runs keyport under GNU time; a run that outlives `limitMs` is killed (and fails the test). */
function measured(args: string[], options: { input?: Uint8Array; limitMs: number }) {
  const started = Date.now();
  const r = spawnSync('/usr/bin/time', ['-f', 'maxrss_kb=%M', process.execPath, BIN, ...args], {
    input: options.input,
    env: { ...process.env, NO_COLOR: '1' },
    timeout: options.limitMs,
    killSignal: 'SIGKILL',
    maxBuffer: 16 * 1024 * 1024,
  });
  const stderr = r.stderr.toString('utf8');
  const rss = /maxrss_kb=(\d+)/.exec(stderr);
  return { status: r.status, signal: r.signal, stderr, ms: Date.now() - started, maxRssMb: rss ? Number(rss[1]) / 1024 : Infinity };
}

describe('bounded reading of import input', () => {
  it('import --file /dev/zero stops with the size error within seconds and below 600 MB', () => {
    const r = measured(['--home', home(), 'import', '--file', '/dev/zero'], { limitMs: 20_000 });
    expect(r.signal, 'killed: the read did not stop').toBeNull();
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^keyport: KP1301 \/dev\/zero holds more than 268435456 bytes/m);
    expect(r.ms).toBeLessThan(15_000);
    expect(r.maxRssMb).toBeLessThan(600);
  });

  it('a FIFO with more than the cap is refused while reading: the writer is cut off', async () => {
    const h = home();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'keyport-fifo-'));
    homes.push(dir);
    const fifo = path.join(dir, 'keys.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    expect(spawnSync(process.execPath, [BIN, '--home', h, 'config', 'set', 'import.maxBytes', '1048576']).status).toBe(0);
    // The writer offers 64 MiB; a reader that stops at the cap closes the pipe and the writer dies of SIGPIPE.
    const writer = spawn('sh', ['-c', `head -c 67108864 /dev/zero > '${fifo}'`], { stdio: 'ignore' });
    writers.push(writer);
    const writerDone = new Promise<number | null>((resolve) => writer.on('exit', (code) => resolve(code)));
    const r = measured(['--home', h, 'import', '--file', fifo], { limitMs: 20_000 });
    expect(r.signal).toBeNull();
    expect(r.stderr).toMatch(/^keyport: KP1301 .*keys\.fifo holds more than 1048576 bytes/m);
    expect(r.status).toBe(2);
    expect(await writerDone, 'the writer finished: the whole FIFO was read').not.toBe(0);
  });

  it('stdin over the cap is refused with the size error', () => {
    const h = home();
    expect(spawnSync(process.execPath, [BIN, '--home', h, 'config', 'set', 'import.maxBytes', '1048576']).status).toBe(0);
    const r = measured(['--home', h, 'import', '--file', '-'], { input: new Uint8Array(1048577), limitMs: 20_000 });
    expect(r.stderr).toMatch(/^keyport: KP1301 stdin holds more than 1048576 bytes/m);
    expect(r.status).toBe(2);
  });
});
