import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixtureBytes, manifest } from '@keyport/test-fixtures';
import { EmbeddedKeyring, ErrorCodes, ImportPipeline, dearmorAll } from '../src/index.js';

const made: string[] = [];
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function freshKeyring() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keyport-state-'));
  made.push(dir);
  const keyring = new EmbeddedKeyring(dir);
  return { dir, keyring, importer: new ImportPipeline(keyring) };
}

const file = (name: string) => ({ kind: 'file' as const, name });
const ed = manifest.ed25519;
const certFile = (dir: string, fpr: string) => path.join(dir, 'certs', fpr.slice(0, 2), `${fpr}.pgp`);
/** The fixture as binary packets: what the keyring stores for a key imported from it. */
const binary = (name: string) => {
  const bytes = fixtureBytes(name);
  return (bytes[0]! & 0x80) !== 0 ? bytes : dearmorAll(bytes);
};

async function liveOtherPid(): Promise<number> {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  children.push(child);
  await new Promise((r) => child.once('spawn', r));
  return child.pid!;
}

function processStartTicks(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

describe('damaged certificate files', () => {
  for (const [name, damage] of [
    ['truncated', (b: Uint8Array) => b.subarray(0, Math.floor(b.length / 2))],
    ['overwritten with garbage', (b: Uint8Array) => new Uint8Array(b.length).fill(0x41)],
    ['holding another key', () => binary(manifest.rsa4096.file)],
  ] as const) {
    it(`${name}: export says KP1201 naming the file, and an import of a good copy repairs it`, async () => {
      const ctx = freshKeyring();
      await ctx.importer.import(fixtureBytes(ed.file), { origin: file('a') });
      const stored = certFile(ctx.dir, ed.fingerprint);
      const good = readFileSync(stored);
      writeFileSync(stored, damage(good));

      await expect(ctx.keyring.readPublic(ed.fingerprint)).rejects.toMatchObject({
        code: ErrorCodes.KeyringCorrupt,
        message: expect.stringContaining(`the certificate file ${stored} is damaged`),
      });
      // Listing reads the index only: the key stays visible.
      expect((await ctx.keyring.list()).map((r) => r.summary.fingerprint)).toEqual([ed.fingerprint]);

      const report = await ctx.importer.import(fixtureBytes(ed.file), { origin: file('good copy') });
      expect(report.results[0]).toMatchObject({ fingerprint: ed.fingerprint, status: 'updated', reason: expect.stringContaining('repaired') });
      expect(Buffer.from(await ctx.keyring.readPublic(ed.fingerprint)).equals(good)).toBe(true);
      expect((await ctx.keyring.get(ed.fingerprint))!.summary.userIds.map((u) => u.userId)).toEqual(ed.userIds);
    });
  }

  it('rebuild-index skips and reports damaged files, keeps the good ones, and keeps the damaged key listed', async () => {
    const ctx = freshKeyring();
    await ctx.importer.import(fixtureBytes(ed.file), { origin: file('a') });
    await ctx.importer.import(fixtureBytes(manifest.rsa4096.file), { origin: file('b') });
    await ctx.importer.import(fixtureBytes(manifest.secret.secretFile!), { origin: file('s') });
    const damagedCert = certFile(ctx.dir, ed.fingerprint);
    writeFileSync(damagedCert, readFileSync(damagedCert).subarray(0, 30));
    const damagedSecret = path.join(ctx.dir, 'secret', `${manifest.secret.fingerprint}.pgp`);
    writeFileSync(damagedSecret, Buffer.from('not a key'));

    const report = await ctx.keyring.rebuildIndex();
    expect(report.keys).toBe(3);
    expect(report.damaged.map((d) => d.file).sort()).toEqual([damagedCert, damagedSecret].sort());
    for (const d of report.damaged) expect(d.reason).toMatch(/is damaged \(.+\)/);
    // The key whose secret file is damaged still counts as having secret material: delete needs --secret.
    expect((await ctx.keyring.get(manifest.secret.fingerprint))!.hasSecret).toBe(true);
    await expect(ctx.keyring.delete(manifest.secret.fingerprint)).rejects.toMatchObject({ code: ErrorCodes.Usage });
    // The damaged secret file is never overwritten by an import.
    const again = await ctx.importer.import(fixtureBytes(manifest.secret.secretFile!), { origin: file('s') });
    expect(again.results[0]!.reason).toMatch(/secret key not stored: the secret key file .* is damaged/);
    expect(readFileSync(damagedSecret, 'utf8')).toBe('not a key');
  });
});

describe('recovery', () => {
  it('rebuild-index of a keyring that does not exist yet gives an empty index, not an error', async () => {
    const parent = mkdtempSync(path.join(os.tmpdir(), 'keyport-state-'));
    made.push(parent);
    const keyring = new EmbeddedKeyring(path.join(parent, 'not-yet'));
    expect(await keyring.rebuildIndex()).toEqual({ keys: 0, damaged: [] });
    expect(await keyring.list()).toEqual([]);
  });

  it('removes temp files of dead or reused-pid writers everywhere, secret/ included, and nothing else', async () => {
    const ctx = freshKeyring();
    await ctx.importer.import(fixtureBytes(ed.file), { origin: file('a') });
    const reused = await liveOtherPid();
    const certDir = path.dirname(certFile(ctx.dir, ed.fingerprint));
    const leftovers = [
      path.join(certDir, `.${ed.fingerprint}.pgp.${reused}.0a1b2c3d.tmp`),
      path.join(ctx.dir, 'certs', 'AB', `.AB${'0'.repeat(38)}.pgp.999999999.deadbeef.tmp`),
      path.join(ctx.dir, 'secret', `.${ed.fingerprint}.pgp.${reused}.cafebabe.tmp`),
      path.join(ctx.dir, `.index.json.999999999.00000000.tmp`),
    ];
    const foreign = [
      path.join(ctx.dir, 'secret', 'notes.tmp'),
      path.join(certDir, '.hidden.tmp'),
      path.join(ctx.dir, 'secret', '.x.pgp.12.nothex!!.tmp'),
      // Another writer's temp (settings.json shares the folder when XDG_CONFIG_HOME = XDG_DATA_HOME).
      path.join(ctx.dir, `.settings.json.${reused}.0badf00d.tmp`),
    ];
    mkdirSync(path.join(ctx.dir, 'certs', 'AB'), { recursive: true });
    for (const f of [...leftovers, ...foreign]) writeFileSync(f, 'partial');
    // A killed writer leaves its journal too: the next writer rolls forward and sweeps.
    writeFileSync(path.join(ctx.dir, 'journal.json'), JSON.stringify({ fingerprints: [ed.fingerprint] }));

    await ctx.importer.import(fixtureBytes(manifest.rsa4096.file), { origin: file('b') });

    for (const f of leftovers) expect(existsSync(f), f).toBe(false);
    for (const f of foreign) expect(existsSync(f), f).toBe(true);
    expect(existsSync(path.join(ctx.dir, 'journal.json'))).toBe(false);
  });

  it('readers list the last committed index without the lock while a live writer holds it', async () => {
    const ctx = freshKeyring();
    await ctx.importer.import(fixtureBytes(ed.file), { origin: file('a') });
    const pid = await liveOtherPid();
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const pidns = readlinkSync('/proc/self/ns/pid').replace(/\D/g, '');
    writeFileSync(path.join(ctx.dir, 'lock'), `${os.hostname()} ${pid} feed start=${processStartTicks(pid)} boot=${bootId} pidns=${pidns}`);
    writeFileSync(path.join(ctx.dir, 'journal.json'), JSON.stringify({ fingerprints: [ed.fingerprint] }));
    const before = readdirSync(ctx.dir).sort();

    const reopened = new EmbeddedKeyring(ctx.dir);
    expect((await reopened.list()).map((r) => r.summary.fingerprint)).toEqual([ed.fingerprint]);
    expect(await reopened.count()).toBe(1);
    expect(readdirSync(ctx.dir).sort()).toEqual(before);
  });

  it('readers leave recovery to the next writer: a recovery that would fail does not stop list', async () => {
    const ctx = freshKeyring();
    await ctx.importer.import(fixtureBytes(ed.file), { origin: file('a') });
    await ctx.importer.import(fixtureBytes(manifest.rsa4096.file), { origin: file('b') });
    // A writer was killed after writing its journal, and one of the files it names is damaged.
    const damaged = certFile(ctx.dir, manifest.rsa4096.fingerprint);
    writeFileSync(damaged, readFileSync(damaged).subarray(0, 50));
    writeFileSync(path.join(ctx.dir, 'journal.json'), JSON.stringify({ fingerprints: [manifest.rsa4096.fingerprint, ed.fingerprint] }));
    const before = readdirSync(ctx.dir).sort();

    const reopened = new EmbeddedKeyring(ctx.dir);
    expect((await reopened.list()).map((r) => r.summary.fingerprint).sort()).toEqual([ed.fingerprint, manifest.rsa4096.fingerprint].sort());
    expect(readdirSync(ctx.dir).sort()).toEqual(before);

    // The next writer recovers past the damaged file, and its key stays listed until repaired.
    await reopened.setMeta(ed.fingerprint, 'test', 1);
    expect(existsSync(path.join(ctx.dir, 'journal.json'))).toBe(false);
    expect((await reopened.list()).map((r) => r.summary.fingerprint).sort()).toEqual([ed.fingerprint, manifest.rsa4096.fingerprint].sort());
  });
});

describe('an unreadable index', () => {
  it('is reported with KP1201 naming it, never taken for an empty keyring', async () => {
    const ctx = freshKeyring();
    await ctx.importer.import(fixtureBytes(ed.file), { origin: file('a') });
    const index = path.join(ctx.dir, 'index.json');
    rmSync(index);
    mkdirSync(index);
    const reopened = new EmbeddedKeyring(ctx.dir);
    await expect(reopened.list()).rejects.toMatchObject({ code: ErrorCodes.KeyringCorrupt, message: `cannot read the keyring index ${index} (EISDIR)` });
    await expect(reopened.importCertificates([], [])).rejects.toMatchObject({ code: ErrorCodes.KeyringCorrupt });
  });
});
