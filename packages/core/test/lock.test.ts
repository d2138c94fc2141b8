import { mkdtempSync, utimesSync, writeFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../src/index.js';
import { FileLock } from '../src/fs/lock.js';

const dir = () => mkdtempSync(path.join(os.tmpdir(), 'keyport-lock-'));

describe('file lock', () => {
  it('names its holder from the first byte on, and leaves no staging file behind', async () => {
    const d = dir();
    const lock = new FileLock(path.join(d, 'lock'));
    await lock.withLock(async () => {
      expect(readdirSync(d)).toEqual(['lock']);
    });
    expect(readdirSync(d)).toEqual([]);
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
});
