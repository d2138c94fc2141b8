/**
 * A user who runs `gpg --import` in the same GnuPG home while `keyport --store gnupg sync` runs
 * loses nothing: keyport writes only through gpg (which holds the keyring's lock per call), and
 * keyport's updates and every key the user's gpg reported as imported are there afterwards.
 *
 * gpg 2.2.40 reads the keybox without a lock, so two gpgs in one home trip over each other's
 * replacement of pubring.kbx, keyport or not: a gpg --import that reads in that window can exit 2
 * ("keydb_search failed: No such file or directory", "no writable keyring found", "keydb_get_keyblock
 * failed: Value not found"), and an import of a key the home holds can store the update as a second
 * copy of the key. keyport guarantees its own side (its update is stored, once, and reported as
 * updated) and that nothing is lost silently: a user import that gpg did not complete exits non-zero. (Two plain gpg --imports next to a user
 * loop did the same: 2 of 60 rounds stored the update twice, 32 user imports exited 2, none lost.)
 * Homes are temporary; their agents are stopped (removeGnupgHomes in helpers' afterAll).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPackets, serializeCertificate, splitCertificates } from '@keyport/core';
import { DEBIAN_KEYRING, fixturePath, gpg, gpgShowOnly, hasGpg, manifest, parseColons, startHkpFixture, tempGnupgHome, type RunningHkpFixture } from '@keyport/test-fixtures';
import { homeWith, keyportAsync } from './helpers.js';

/** One `gpg --import` as a user types it; resolves with its exit status and what it said. */
function userImport(gnupg: string, key: Uint8Array): Promise<{ code: number; stderr: string }> {
  const child = spawn('gpg', ['--batch', '--no-tty', '--import'], { env: { ...process.env, GNUPGHOME: gnupg, LC_ALL: 'C' }, stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(key);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, stderr })));
}

/**
 * Rounds: the overlap is a matter of timing. Before the fix 3 of 4 runs failed (keyport's update
 * reported not-found); the deterministic form of the same failure is in plugin-gnupg's store tests.
 */
const ROUNDS = 25;

const listed = (gnupg: string) => parseColons(gpg(['--with-colons', '--fixed-list-mode', '--with-fingerprint', '--with-fingerprint', '--list-keys'], { home: gnupg }));

describe('keyport --store gnupg sync next to a user running gpg --import', () => {
  let hkp: RunningHkpFixture;
  let userKeys: { fingerprint: string; bytes: Uint8Array }[];
  beforeAll(async () => {
    if (!hasGpg()) throw new Error('gnupg is required (apt-get install gnupg)');
    hkp = await startHkpFixture({ dialect: 'sks', keys: [readFileSync(fixturePath(manifest['pair-new'].file), 'utf8')] });
    userKeys = splitCertificates(readPackets(new Uint8Array(readFileSync(DEBIAN_KEYRING))))
      .certificates.slice(0, 100)
      .map((c) => ({ fingerprint: '', bytes: serializeCertificate(c.parts) }));
    for (const k of userKeys) k.fingerprint = parseColons(gpg(['--with-colons', '--import-options', 'show-only', '--import'], { input: k.bytes }))[0]!.fingerprint;
  }, 60_000);
  afterAll(() => hkp.stop());

  it('keeps the user keys gpg imported and keyport updates, in every round', async () => {
    const served = gpgShowOnly(fixturePath(manifest['pair-new'].file))[0]!;
    for (let round = 0; round < ROUNDS; round++) {
      // Each round is a first sync of a fresh pair of homes.
      const home = await homeWith([
        ['servers', 'add', hkp.url],
        ['servers', 'default', hkp.url],
      ]);
      const gnupg = tempGnupgHome();
      let next = 0;
      gpg(['--import'], { home: gnupg, input: readFileSync(fixturePath(manifest['pair-old'].file)) });
      // The user imports one key after another for as long as keyport's sync runs.
      let syncDone = false;
      const sync = keyportAsync(['--modules', '-keyserversync', '--store', 'gnupg', 'sync', '--all', '--yes', '--json'], { home, env: { GNUPGHOME: gnupg }, timeoutMs: 60_000 }).finally(() => (syncDone = true));
      const imported: string[] = [];
      const failed: { fingerprint: string; stderr: string }[] = [];
      // Two terminals: gpg replaces pubring.kbx twice as often, so keyport's gpg meets it more.
      const user = async () => {
        // Every import here starts while the sync is still running.
        let during = 0;
        while (!syncDone && next < userKeys.length) {
          const key = userKeys[next++]!;
          during++;
          const run = await userImport(gnupg, key.bytes);
          if (run.code === 0) imported.push(key.fingerprint);
          else failed.push({ fingerprint: key.fingerprint, stderr: run.stderr });
        }
        return during;
      };
      const [synced, ...users] = await Promise.all([sync, user(), user()]);
      const during = users.reduce((a, b) => a + b, 0);
      // The user was still importing when the sync ended (else this round proves nothing).
      expect(during).toBeGreaterThan(1);
      expect(next).toBeLessThan(userKeys.length);
      expect(synced.status, `${synced.stderr}\n${synced.stdout.slice(0, 3000)}`).toBe(0);
      const report = JSON.parse(synced.stdout) as { results: { fingerprint: string; status: string }[] };
      // keyport reports its update as one, whatever gpg met meanwhile (it was once "not-found").
      expect(report.results.find((r) => r.fingerprint === manifest['pair-new'].fingerprint), JSON.stringify(report.results.find((r) => r.fingerprint === manifest['pair-new'].fingerprint))).toMatchObject({ status: 'updated' });
      const held = listed(gnupg);
      const byFpr = new Map(held.map((k) => [k.fingerprint, k]));
      // keyport's update: every user ID and subkey of the server's copy.
      const updated = byFpr.get(served.fingerprint)!;
      expect(updated.userIds.map((u) => u.userId)).toEqual(expect.arrayContaining(served.userIds.map((u) => u.userId)));
      expect(updated.subkeys.map((s) => s.fingerprint)).toEqual(expect.arrayContaining(served.subkeys.map((s) => s.fingerprint)));
      // keyport's update is stored once: no second copy of the key that gpg's look-ups would miss.
      expect(held.filter((k) => k.fingerprint === served.fingerprint)).toHaveLength(1);
      // The user's keys: every one gpg said it imported is there; one it did not import, it said so.
      expect(imported.filter((f) => !byFpr.has(f))).toEqual([]);
      for (const f of failed) expect(f.stderr).toMatch(/^gpg: /m);
    }
  }, 240_000);
});
