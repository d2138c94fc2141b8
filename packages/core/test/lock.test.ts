import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, utimesSync, writeFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../src/index.js';
import { FileLock } from '../src/fs/lock.js';

const made: string[] = [];
const children: ChildProcess[] = [];
const dir = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'keyport-lock-'));
  made.push(d);
  return d;
};
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
const pidns = readlinkSync('/proc/self/ns/pid').replace(/\D/g, '');
const machineId = existsSync('/etc/machine-id') ? readFileSync('/etc/machine-id', 'utf8').trim() : undefined;
const machine = machineId ? ` machine=${machineId}` : '';

/** Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot. */
function processStartTicks(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

/** A live process that is not us: its pid stands for a pid the kernel handed on to someone else. */
async function liveOtherProcess(): Promise<number> {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  children.push(child);
  await new Promise((r) => child.once('spawn', r));
  return child.pid!;
}

describe('file lock', () => {
  it('names its holder from the first byte on, and leaves no staging file behind', async () => {
    const d = dir();
    const lock = new FileLock(path.join(d, 'lock'));
    await lock.withLock(async () => {
      expect(readdirSync(d)).toEqual(['lock']);
    });
    expect(readdirSync(d)).toEqual([]);
  });

  it('says at once that a lock path which is a directory or a FIFO is not a lock file, naming it and the fix', async () => {
    const d = dir();
    const file = path.join(d, 'lock');
    mkdirSync(file);
    const started = Date.now();
    const err = await new FileLock(file).withLock(async () => 'ran', { timeoutMs: 20_000 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(err).toMatchObject({ code: ErrorCodes.StorageFailed });
    expect((err as Error).message).toBe(`the lock ${file} is a directory, not a lock file`);
    expect((err as { nextStep?: string }).nextStep).toContain(`rmdir '${file}'`);
    rmSync(file, { recursive: true });
    spawnSync('mkfifo', [file]);
    const fifo = await new FileLock(file).withLock(async () => 'ran', { timeoutMs: 20_000 }).catch((e: unknown) => e);
    expect((fifo as Error).message).toBe(`the lock ${file} is a FIFO, not a lock file`);
    expect((fifo as { nextStep?: string }).nextStep).toContain(`rm '${file}'`);
  });

  it('breaks a lock left by a dead process', async () => {
    const d = dir();
    writeFileSync(path.join(d, 'lock'), `${os.hostname()} 999999999 deadbeef`);
    const lock = new FileLock(path.join(d, 'lock'));
    await expect(lock.withLock(async () => 'ran', { timeoutMs: 2_000 })).resolves.toBe('ran');
  });

  it('respects a fresh lock without a holder, and breaks it once it is old', async () => {
    const d = dir();
    const file = path.join(d, 'lock');
    writeFileSync(file, '');
    const lock = new FileLock(file);
    await expect(lock.withLock(async () => 'ran', { timeoutMs: 300 })).rejects.toMatchObject({ code: ErrorCodes.KeyringLocked });
    const old = new Date(Date.now() - 60_000);
    utimesSync(file, old, old);
    await expect(lock.withLock(async () => 'ran', { timeoutMs: 2_000 })).resolves.toBe('ran');
  });

  it('never breaks the lock of a live holder', async () => {
    const d = dir();
    writeFileSync(path.join(d, 'lock'), `${os.hostname()} ${process.pid} cafebabe`);
    await expect(new FileLock(path.join(d, 'lock')).withLock(async () => 'ran', { timeoutMs: 300 })).rejects.toMatchObject({ code: ErrorCodes.KeyringLocked });
  });

  it('breaks a lock whose pid now belongs to another process (start time differs)', async () => {
    const d = dir();
    const pid = await liveOtherProcess();
    const start = Number(processStartTicks(pid)) - 500;
    writeFileSync(path.join(d, 'lock'), `${os.hostname()} ${pid} deadbeef start=${start} boot=${bootId} pidns=${pidns}${machine}`);
    await expect(new FileLock(path.join(d, 'lock')).withLock(async () => 'ran', { timeoutMs: 2_000 })).resolves.toBe('ran');
  });

  it('keeps a lock whose recorded holder still runs, even under a changed host name, and names the file', async () => {
    const d = dir();
    const file = path.join(d, 'lock');
    const pid = await liveOtherProcess();
    writeFileSync(file, `old-name ${pid} deadbeef start=${processStartTicks(pid)} boot=${bootId} pidns=${pidns}${machine}`);
    const locked = new FileLock(file).withLock(async () => 'ran', { timeoutMs: 300 });
    await expect(locked).rejects.toMatchObject({ code: ErrorCodes.KeyringLocked, message: `the lock ${file} is held by keyport pid ${pid} on old-name` });
  });

  it('breaks a lock left under a former host name by a process that is gone', async () => {
    const d = dir();
    writeFileSync(path.join(d, 'lock'), `old-name 999999999 deadbeef start=1 boot=${bootId} pidns=${pidns}${machine}`);
    await expect(new FileLock(path.join(d, 'lock')).withLock(async () => 'ran', { timeoutMs: 2_000 })).resolves.toBe('ran');
  });

  it('breaks a lock from an earlier boot of this machine, even if its pid is alive now', async () => {
    const d = dir();
    writeFileSync(path.join(d, 'lock'), `${os.hostname()} ${process.pid} deadbeef start=1 boot=00000000-0000-4000-8000-000000000000 pidns=${pidns}${machine}`);
    await expect(new FileLock(path.join(d, 'lock')).withLock(async () => 'ran', { timeoutMs: 2_000 })).resolves.toBe('ran');
  });

  it('breaks an old-style lock (host and pid only) whose pid was reused after the lock was written', async () => {
    const d = dir();
    const file = path.join(d, 'lock');
    writeFileSync(file, `${os.hostname()} ${await liveOtherProcess()} deadbeef`);
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(file, hourAgo, hourAgo);
    await expect(new FileLock(file).withLock(async () => 'ran', { timeoutMs: 2_000 })).resolves.toBe('ran');
  });

  it('never breaks a lock from another machine, and says which file to remove after checking', async () => {
    const d = dir();
    const file = path.join(d, 'lock');
    writeFileSync(file, `far-away 4242 deadbeef start=7 boot=11111111-1111-4111-8111-111111111111 pidns=1 machine=ffffffffffffffffffffffffffffffff`);
    const err = await new FileLock(file).withLock(async () => 'ran', { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: ErrorCodes.KeyringLocked,
      message: `the lock ${file} is held by keyport pid 4242 on another machine (far-away)`,
      nextStep: `if no keyport runs on far-away any more, remove the lock: rm '${file}'`,
    });
    expect(existsSync(file)).toBe(true);
  });

  it('a breaker killed mid-way (empty or dead .break) does not stop the next one', async () => {
    const d = dir();
    const file = path.join(d, 'lock');
    const old = new Date(Date.now() - 60_000);
    writeFileSync(file, `${os.hostname()} 999999999 deadbeef`);
    writeFileSync(`${file}.break`, '');
    utimesSync(`${file}.break`, old, old);
    await expect(new FileLock(file).withLock(async () => 'ran', { timeoutMs: 2_000 })).resolves.toBe('ran');
    expect(readdirSync(d)).toEqual([]);

    writeFileSync(file, `${os.hostname()} 999999999 deadbeef`);
    writeFileSync(`${file}.break`, `${os.hostname()} 999999998 cafe start=1 boot=${bootId} pidns=${pidns}${machine}`);
    await expect(new FileLock(file).withLock(async () => 'ran', { timeoutMs: 2_000 })).resolves.toBe('ran');
    expect(readdirSync(d)).toEqual([]);
  });

  it('records the holder with its process start time, boot id and PID namespace', async () => {
    const d = dir();
    const file = path.join(d, 'lock');
    await new FileLock(file).withLock(async () => {
      const [host, pid, , ...extra] = readFileSync(file, 'utf8').split(' ');
      expect([host, Number(pid)]).toEqual([os.hostname(), process.pid]);
      expect(extra).toEqual(expect.arrayContaining([`start=${processStartTicks(process.pid)}`, `boot=${bootId}`, `pidns=${pidns}`]));
    });
  });
});
