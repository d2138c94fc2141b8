import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { armorPublicKey, dearmorAll } from '../src/index.js';
import { hasGpg } from '@keyport/test-fixtures';

describe('armorPublicKey', () => {
  // gpg --dearmor needs no agent; its own home keeps it off the user's.
  const gnupg = mkdtempSync(path.join(os.tmpdir(), 'keyport-armor-gpg-'));
  afterAll(() => {
    if (hasGpg()) execFileSync('gpgconf', ['--homedir', gnupg, '--kill', 'all']);
    rmSync(gnupg, { recursive: true, force: true });
  });
  for (const size of [1, 2, 47, 48, 49, 96, 1000, 100_003]) {
    it(`${size} bytes: lines of 64, a CRC line, and the same bytes back (keyport and gpg --dearmor)`, () => {
      const data = randomBytes(size);
      const armored = armorPublicKey(data);
      const lines = armored.split('\n');
      expect(lines.slice(0, 2)).toEqual(['-----BEGIN PGP PUBLIC KEY BLOCK-----', '']);
      expect(lines.slice(-2)).toEqual(['-----END PGP PUBLIC KEY BLOCK-----', '']);
      const body = lines.slice(2, -3);
      expect(body.slice(0, -1).every((l) => l.length === 64)).toBe(true);
      expect(body.at(-1)!.length).toBeGreaterThan(0);
      expect(body.at(-1)!.length).toBeLessThanOrEqual(64);
      expect(body.join('')).toBe(data.toString('base64'));
      expect(lines.at(-3)).toMatch(/^=[A-Za-z0-9+/]{4}$/);
      expect(Buffer.from(dearmorAll(new TextEncoder().encode(armored)))).toEqual(data);
      if (hasGpg()) expect(execFileSync('gpg', ['--homedir', gnupg, '--batch', '--dearmor'], { input: armored })).toEqual(data);
    });
  }

  it('a view into a larger buffer armors only its own bytes', () => {
    const whole = randomBytes(300);
    const view = new Uint8Array(whole.buffer, whole.byteOffset + 100, 100);
    expect(Buffer.from(dearmorAll(new TextEncoder().encode(armorPublicKey(view))))).toEqual(Buffer.from(view));
  });
});
