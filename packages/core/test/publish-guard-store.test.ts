import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixtureBytes, manifest } from '@keyport/test-fixtures';
import { ErrorCodes, Publishing, createKeyport, type KeySecretState, type KeyStore, type Keyport } from '../src/index.js';

/** Publishing over the run's services, with a store whose secret states the test chooses. */
function publishingWith(kp: Keyport, primary: KeySecretState): Publishing {
  const store: KeyStore = Object.assign(Object.create(kp.store) as KeyStore, { secretState: async () => ({ primary, subkeys: {} }) });
  return new Publishing({
    settings: kp.settings,
    engines: kp.engines,
    routing: kp.routing,
    keyring: kp.keyring,
    store,
    importer: kp.importer,
    bus: kp.bus,
    ui: kp.ui,
    sources: kp.sources,
    defaultServer: () => 'hkps://keys.invalid',
  });
}

describe('the publish guard asks the key store for the secret state', () => {
  let dir: string;
  let kp: Keyport;
  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'keyport-guard-'));
    kp = await createKeyport({ home: dir, env: {} });
    await kp.importer.import(fixtureBytes(manifest.secret.secretFile!), { origin: { kind: 'file', name: 'sec' } });
  });
  afterEach(async () => {
    await kp.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a key the store holds only as a stub (sec#) or not at all, naming the reason', async () => {
    const fpr = manifest.secret.fingerprint;
    await expect(publishingWith(kp, 'stub').plan(fpr)).rejects.toMatchObject({ code: ErrorCodes.PublishNotAllowed, message: expect.stringContaining('offline (a stub)') });
    await expect(publishingWith(kp, 'absent').plan(fpr)).rejects.toMatchObject({ code: ErrorCodes.PublishNotAllowed, message: expect.stringContaining('is not your key') });
  });

  it('lets a key whose primary is present or on a card (sec>) past the guard, whatever the embedded keyring holds', async () => {
    // The embedded keyring holds this key's primary as a stub: only the store's answer lets it through.
    await kp.importer.import(fixtureBytes(manifest.stub.secretFile!), { origin: { kind: 'file', name: 'stub' } });
    for (const state of ['present', 'card'] as const) {
      const outcome = await publishingWith(kp, state).plan(manifest.stub.fingerprint).catch((e: { code?: string }) => e);
      expect((outcome as { code?: string }).code).not.toBe(ErrorCodes.PublishNotAllowed);
    }
  });
});
