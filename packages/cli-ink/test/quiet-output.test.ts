import { describe, expect, it } from 'vitest';
import { fixturePath, manifest } from '@keyport/test-fixtures';
import { formatAdded } from '../src/output.js';
import { keyport, tempHome } from './helpers.js';

describe('--quiet', () => {
  it('prints only the final summary of an import, and still every error', () => {
    const files = ['--file', fixturePath(manifest.ed25519.file), '--file', fixturePath(manifest.rsa4096.file)];
    const loud = keyport(['import', ...files], { home: tempHome() });
    expect(loud.status).toBe(0);
    expect(loud.stdout.trim().split('\n')).toHaveLength(3);

    const quiet = keyport(['--quiet', 'import', ...files], { home: tempHome() });
    expect(quiet.status).toBe(0);
    expect(quiet.stderr).toBe('');
    expect(quiet.stdout).toBe('2 new, 0 updated, 0 unchanged, 0 rejected\n');

    const failed = keyport(['import', '--quiet', '--file', '/nonexistent/keys.asc'], { home: tempHome() });
    expect(failed.status).not.toBe(0);
    expect(failed.stdout).toBe('');
    expect(failed.stderr).toMatch(/^keyport: KP\d{4} /);
  });
});

describe('human output', () => {
  it('says one thing in the singular and several in the plural', () => {
    expect(formatAdded({ added: { userIds: 1, subkeys: 2, signatures: 1, revocations: 0 } })).toBe('+1 user ID, +2 subkeys, +1 signature');
    expect(formatAdded({ added: { userIds: 0, subkeys: 0, signatures: 0, revocations: 1 }, secretKeysStored: 1 })).toBe('+1 revocation, +1 secret key');
  });

  it('shows dates as YYYY-MM-DD', () => {
    const home = tempHome();
    expect(keyport(['import', '--file', fixturePath(manifest.expired.file)], { home }).status).toBe(0);
    const shown = keyport(['show', manifest.expired.fingerprint], { home });
    expect(shown.stdout).toMatch(/^ {2}Created {6}\d{4}-\d{2}-\d{2}$/m);
    expect(shown.stdout).toMatch(/^ {2}Expires {6}\d{4}-\d{2}-\d{2}$/m);
    expect(shown.stdout).not.toMatch(/T\d{2}:\d{2}/);
  });
});
