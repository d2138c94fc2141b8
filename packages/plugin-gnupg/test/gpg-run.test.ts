/**
 * runGpg next to another gpg that replaces pubring.kbx (two renames, no lock for readers): a
 * fake gpg answers the first call as gpg 2.2.40 does inside that window, the next one normally.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runGpg } from '../src/index.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A gpg whose first run says `firstStderr` and exits `firstStatus` with no output; later runs print "listing". */
function gpgInWindow(firstStderr: string, firstStatus: number): { program: string; calls: () => number } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keyport-fake-gpg-'));
  dirs.push(dir);
  const count = path.join(dir, 'calls');
  writeFileSync(count, '');
  const program = path.join(dir, 'gpg');
  writeFileSync(program, `#!/bin/sh\necho x >> '${count}'\nif [ "$(wc -l < '${count}')" -eq 1 ]; then echo "${firstStderr}" >&2; exit ${firstStatus}; fi\necho listing\n`);
  chmodSync(program, 0o755);
  return { program, calls: () => readFileSync(count, 'utf8').split('\n').filter(Boolean).length };
}

describe('runGpg while another gpg renames the keyring', () => {
  it('repeats a read that found no keyring (gpg: keydb_search_first failed, exit 2)', async () => {
    const fake = gpgInWindow('gpg: keydb_search_first failed: No such file or directory', 2);
    const run = await runGpg(fake.program, os.tmpdir(), ['--list-keys']);
    expect([run.status, run.stdout.toString(), fake.calls()]).toEqual([0, 'listing\n', 2]);
  });

  it('repeats a read that created an empty keybox and read nothing (exit 0)', async () => {
    const fake = gpgInWindow("gpg: keybox '/home/u/.gnupg/pubring.kbx' created", 0);
    const run = await runGpg(fake.program, os.tmpdir(), ['--export', 'ABCD']);
    expect([run.status, run.stdout.toString(), fake.calls()]).toEqual([0, 'listing\n', 2]);
  });

  it('does not repeat an import that created the keybox (a first import in a new home does too)', async () => {
    const fake = gpgInWindow("gpg: keybox '/home/u/.gnupg/pubring.kbx' created", 0);
    const run = await runGpg(fake.program, os.tmpdir(), ['--status-fd', '1', '--import']);
    expect([run.status, run.stdout.toString(), fake.calls()]).toEqual([0, '', 1]);
  });

  it('gives up after a bounded number of runs', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'keyport-fake-gpg-'));
    dirs.push(dir);
    const program = path.join(dir, 'gpg');
    writeFileSync(program, `#!/bin/sh\necho "gpg: keydb_search_first failed: No such file or directory" >&2\nexit 2\n`);
    chmodSync(program, 0o755);
    const run = await runGpg(program, os.tmpdir(), ['--list-keys']);
    expect(run.status).toBe(2);
  });
});
