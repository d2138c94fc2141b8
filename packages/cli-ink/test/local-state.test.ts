import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixturePath, manifest } from '@keyport/test-fixtures';
import { BIN, keyport, keyportJson, tempHome } from './helpers.js';

const homes: string[] = [];
const home = () => {
  const h = tempHome();
  homes.push(h);
  return h;
};
afterAll(() => {
  for (const h of homes) rmSync(h, { recursive: true, force: true });
});

const listed = (h: string) => keyportJson<{ fingerprint: string }[]>(['list'], { home: h }).map((k) => k.fingerprint).sort();
const certFile = (h: string, fpr: string) => path.join(h, 'keyring', 'certs', fpr.slice(0, 2), `${fpr}.pgp`);

/** Every file under dir, relative. */
function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * keyport with a file size limit of `kib` KiB (bash's `ulimit -f`): writing past it fails with
 * EFBIG, which stands in for a full disk (ENOSPC) without root or a tiny mount. Node ignores
 * SIGXFSZ, so the write fails with the error instead of killing the process.
 */
function withFileSizeLimit(kib: number, args: string[], h: string) {
  const r = spawnSync('bash', ['-c', `ulimit -f ${kib}; exec "$0" "$@"`, process.execPath, BIN, '--home', h, ...args], {
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { status: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

describe('a full disk', () => {
  it('gives KP1205 naming the file, writes nothing half-way, and list keeps working; the next import completes', () => {
    const h = home();
    expect(keyport(['import', '--file', fixturePath(manifest.ed25519.file)], { home: h }).status).toBe(0);
    const before = listed(h);

    const full = withFileSizeLimit(1, ['import', '--file', fixturePath(manifest.rsa4096.file)], h);
    expect(full.stderr).toMatch(/^keyport: KP1205 no space to write \/\S+ \(EFBIG: file size limit reached\) \(next: free some disk space/m);
    expect(full.status).toBe(1);
    // Nothing half-written: no temp file anywhere, and the committed index still lists what it did.
    expect(files(path.join(h, 'keyring')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(listed(h)).toEqual(before);
    // A reader needs no space and no lock.
    const listUnderLimit = withFileSizeLimit(1, ['list', '--json'], h);
    expect(listUnderLimit.status, listUnderLimit.stderr).toBe(0);

    expect(keyport(['import', '--file', fixturePath(manifest.rsa4096.file)], { home: h }).status).toBe(0);
    expect(listed(h)).toEqual([manifest.ed25519.fingerprint, manifest.rsa4096.fingerprint].sort());
    expect(files(path.join(h, 'keyring')).filter((f) => f.endsWith('.tmp') || f === 'journal.json')).toEqual([]);
  });
});

describe('a damaged certificate file', () => {
  it('export says KP1201 with the file; import of a good copy repairs it; rebuild-index skips and reports', () => {
    const h = home();
    const ed = manifest.ed25519;
    expect(keyport(['import', '--file', fixturePath(ed.file)], { home: h }).status).toBe(0);
    expect(keyport(['import', '--file', fixturePath(manifest.rsa4096.file)], { home: h }).status).toBe(0);
    const stored = certFile(h, ed.fingerprint);
    const good = readFileSync(stored);
    writeFileSync(stored, good.subarray(0, 40));

    const exported = keyport(['export', ed.fingerprint], { home: h });
    expect(exported.stderr).toMatch(new RegExp(`^keyport: KP1201 the certificate file ${stored} is damaged \\(.+\\) \\(next: import a good copy of key ${ed.fingerprint}`, 'm'));
    expect(exported.status).toBe(1);

    const rebuilt = keyport(['keyring', 'rebuild-index'], { home: h });
    expect(rebuilt.stderr).toContain(`keyport: skipped: the certificate file ${stored} is damaged`);
    expect(rebuilt.stdout).toBe('index rebuilt: 2 keys, 1 damaged files skipped (import a good copy of each key to repair it)\n');
    expect(rebuilt.status).toBe(1);

    const repaired = keyportJson<{ results: { status: string; reason: string }[] }>(['import', '--file', fixturePath(ed.file)], { home: h });
    expect(repaired.results[0]).toMatchObject({ status: 'updated', reason: expect.stringContaining('repaired') });
    expect(readFileSync(stored).equals(good)).toBe(true);
    expect(keyportJson<{ keys: number; damaged: unknown[] }>(['keyring', 'rebuild-index'], { home: h })).toEqual({ keys: 2, damaged: [] });
  });
});
