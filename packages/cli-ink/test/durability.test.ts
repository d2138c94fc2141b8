import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEBIAN_KEYRING, fixturePath, manifest } from '@keyport/test-fixtures';
import { readPackets, writePackets } from '@keyport/core';
import { exited, keyport, keyportJson, spawnKeyport, tempDir, tempHome } from './helpers.js';

interface Listed {
  fingerprint: string;
}

/** Splits the Debian keyring into certificate-sized chunks (raw packets, as they are on disk). */
function debianSubsets(count: number, parts: number): string[] {
  if (!existsSync(DEBIAN_KEYRING)) throw new Error(`${DEBIAN_KEYRING} is missing (apt-get install debian-keyring)`);
  const packets = readPackets(readFileSync(DEBIAN_KEYRING));
  const certs: (typeof packets)[] = [];
  for (const p of packets) {
    if (p.tag === 6) certs.push([]);
    certs.at(-1)?.push(p);
  }
  const dir = tempDir('keyport-subset-');
  return Array.from({ length: parts }, (_, i) => {
    const file = path.join(dir, `part${i}.gpg`);
    writeFileSync(file, writePackets(certs.slice(i * count, (i + 1) * count).flat()));
    return file;
  });
}

const fingerprints = (home: string) => new Set(keyportJson<Listed[]>(['list'], { home }).map((k) => k.fingerprint));

describe('durability', () => {
  let subsets: string[];
  let slices: string[];
  beforeAll(() => {
    subsets = debianSubsets(150, 2);
    // Each crash round gets certificates the keyring has not seen, so every round has real work to interrupt.
    slices = debianSubsets(28, 30);
  });

  it('survives SIGKILL at random moments of an import: the keyring always opens and keeps what it had', async () => {
    const home = tempHome();
    keyport(['import', '--file', fixturePath(manifest.ed25519.file)], { home });
    keyport(['import', '--file', fixturePath(manifest.secret.secretFile!)], { home });
    let held = fingerprints(home);
    expect(held.size).toBe(2);
    const secretFile = path.join(home, 'keyring', 'secret', `${manifest.secret.fingerprint}.pgp`);
    const secretHash = createHash('sha256').update(readFileSync(secretFile)).digest('hex');

    // One uninterrupted run tells how long an import of a slice takes on this machine.
    const started = Date.now();
    expect(keyport(['import', '--file', slices[0]!], { home: tempHome() }).status).toBe(0);
    const fullMs = Date.now() - started;

    let killedMidway = 0;
    for (const [round, slice] of slices.entries()) {
      const child = spawnKeyport(['import', '--file', slice], home);
      const delay = Math.floor(Math.random() * fullMs);
      const timer = setTimeout(() => child.kill('SIGKILL'), delay);
      const { signal } = await exited(child);
      clearTimeout(timer);
      if (signal === 'SIGKILL') killedMidway++;
      const list = keyport(['list', '--json'], { home });
      expect(list.status, list.stderr).toBe(0);
      const now = new Set((JSON.parse(list.stdout) as Listed[]).map((k) => k.fingerprint));
      for (const fpr of held) expect(now.has(fpr), `round ${round}: lost ${fpr} after a kill at ${delay} ms`).toBe(true);
      for (const fpr of now) {
        expect(existsSync(path.join(home, 'keyring', 'certs', fpr.slice(0, 2), `${fpr}.pgp`)), `round ${round}: index lists ${fpr} without its file`).toBe(true);
      }
      held = now;
    }
    expect(killedMidway).toBeGreaterThanOrEqual(20);

    // Finishing the imports gives exactly what uninterrupted imports give.
    const probeHome = tempHome();
    for (const slice of slices) {
      const finished = keyport(['import', '--file', slice, '--json'], { home });
      expect(finished.status, finished.stderr + finished.stdout.slice(0, 3000)).toBe(0);
      expect(keyport(['import', '--file', slice], { home: probeHome }).status).toBe(0);
    }
    const clean = keyportJson<Listed[]>(['list'], { home: probeHome });
    const after = keyportJson<Listed[]>(['list'], { home }).filter((k) => k.fingerprint !== manifest.ed25519.fingerprint && k.fingerprint !== manifest.secret.fingerprint);
    expect(after).toEqual(clean);
    // The secret key survived every kill byte for byte.
    expect(createHash('sha256').update(readFileSync(secretFile)).digest('hex')).toBe(secretHash);
    expect(keyportJson<{ hasSecret: boolean }[]>(['list', '--filter', 'secret'], { home })).toHaveLength(1);
  }, 300_000);

  it('two processes importing at once both succeed and nothing is lost', async () => {
    const home = tempHome();
    const a = spawnKeyport(['import', '--file', subsets[0]!], home);
    const b = spawnKeyport(['import', '--file', subsets[1]!], home);
    const c = spawnKeyport(['import', '--file', subsets[0]!], home);
    const results = await Promise.all([exited(a), exited(b), exited(c)]);
    expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
    const expected = new Set([...fingerprints(tempHomeWith(subsets[0]!)), ...fingerprints(tempHomeWith(subsets[1]!))]);
    expect(fingerprints(home)).toEqual(expected);
  }, 120_000);
});

function tempHomeWith(file: string): string {
  const home = tempHome();
  keyport(['import', '--file', file], { home });
  return home;
}
