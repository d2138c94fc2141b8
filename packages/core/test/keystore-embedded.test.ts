import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixtureBytes, floodedKey, manifest } from '@keyport/test-fixtures';
import { ErrorCodes, Tokens, createKeyport, resolve, resolveKey, type Keyport, type KeyStoreChange } from '../src/index.js';

describe('the embedded keyring through the key store contract', () => {
  let dir: string;
  let kp: Keyport;
  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'keyport-store-'));
    kp = await createKeyport({ home: dir, env: {} });
  });
  afterEach(async () => {
    await kp.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is the store of a run, registered by token', () => {
    expect(resolve(kp.container, Tokens.KeyStore)).toBe(kp.store);
    expect(kp.store.id).toBe('embedded');
    expect(kp.store.location).toBe(kp.paths.keyringDir);
  });

  it('imports, lists, reads, keeps metadata, signals changes and deletes', async () => {
    const fpr = manifest.ed25519.fingerprint;
    const empty = await kp.store.stamp();
    const changes: KeyStoreChange[] = [];
    const stop = kp.store.onChange((c) => changes.push(c));

    const report = await kp.store.importCertificates(fixtureBytes(manifest.ed25519.file), { source: 'local' });
    expect(report.results.map((r) => [r.fingerprint, r.status])).toEqual([[fpr, 'new']]);
    await expect.poll(() => changes.length).toBeGreaterThan(0);
    expect(changes[0]!.fingerprints).toEqual([fpr]);
    expect(await kp.store.stamp()).not.toBe(empty);

    const entries = await kp.store.list();
    expect(entries.map((e) => [e.summary.fingerprint, e.secret.primary])).toEqual([[fpr, 'absent']]);
    expect(await kp.store.readCertificate(fpr)).toEqual(await kp.keyring.readPublic(fpr));
    expect(await kp.store.readCertificate('0'.repeat(40))).toBeUndefined();
    expect(await kp.store.secretState('0'.repeat(40))).toEqual({ primary: 'absent', subkeys: {} });

    await kp.store.metadata.set(fpr, 'publish', { at: 1 });
    expect(await kp.store.metadata.get(fpr)).toEqual({ publish: { at: 1 } });
    expect(await kp.store.metadata.get('0'.repeat(40))).toEqual({});

    await kp.store.withLock(async () => {
      await expect(kp.store.readCertificate(fpr)).resolves.toBeDefined();
    });
    stop();
    await kp.store.delete(fpr);
    expect(await kp.store.list()).toEqual([]);
    await expect(kp.store.delete(fpr)).rejects.toMatchObject({ code: ErrorCodes.KeyNotFound });
  });

  it('reports the primary secret state the keyring holds (stub for an offline primary)', async () => {
    await kp.importer.import(fixtureBytes(manifest.stub.secretFile!), { origin: { kind: 'file', name: 'stub' } });
    expect((await kp.store.secretState(manifest.stub.fingerprint)).primary).toBe('stub');
  });

  it('drops third-party signatures from key-server data, keeps them from local files', async () => {
    const key = floodedKey({ certifications: 3, signers: 3 });
    const input = new Uint8Array(readFileSync(key.binaryFile));
    await kp.store.importCertificates(input, { source: 'keyserver' });
    expect(await kp.store.readCertificate(key.fingerprint)).toEqual(new Uint8Array(readFileSync(key.cleanFile)));
    await kp.store.delete(key.fingerprint);
    await kp.store.importCertificates(input, { source: 'local' });
    expect((await kp.store.readCertificate(key.fingerprint))!.length).toBeGreaterThan(readFileSync(key.cleanFile).length);
  });

  it('resolves a user\'s ID on the store as the keyring does: fingerprint, key ID, email; coded errors otherwise', async () => {
    const { fingerprint, keyId } = manifest.ed25519;
    await kp.store.importCertificates(fixtureBytes(manifest.ed25519.file), { source: 'local' });
    const email = (await kp.store.list())[0]!.summary.userIds.find((u) => u.email)!.email!;
    for (const id of [fingerprint, keyId, email]) expect((await resolveKey(kp.store, id)).summary.fingerprint).toBe(fingerprint);
    await expect(resolveKey(kp.store, 'nobody@example.invalid')).rejects.toMatchObject({ code: ErrorCodes.KeyNotFound });
    await expect(resolveKey(kp.store, keyId.slice(-8))).rejects.toMatchObject({ code: ErrorCodes.KeyIdInvalid });
  });
});
