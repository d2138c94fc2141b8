import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixtureBytes, manifest } from '@keyport/test-fixtures';
import { Publishing, createKeyport, type KeyStore, type Keyport } from '../src/index.js';

describe('sync over a key store', () => {
  let dir: string;
  let kp: Keyport;
  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'keyport-sync-store-'));
    kp = await createKeyport({ home: dir, env: {} });
    await kp.importer.import(fixtureBytes(manifest['pair-old'].file), { origin: { kind: 'file', name: 'old' } });
  });
  afterEach(async () => {
    await kp.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Publishing on `store`, its default server the offline `answers:` engine. */
  const publishingOn = (store: KeyStore) =>
    new Publishing({
      settings: kp.settings,
      engines: kp.engines,
      routing: kp.routing,
      keyring: kp.keyring,
      store: kp.store,
      importer: kp.importer,
      bus: kp.bus,
      ui: kp.ui,
      sources: kp.sources,
      defaultServer: () => 'answers://keys.invalid',
    }).onStore(store);

  it('reports a key the store calls new as updated (never not found on the server), and tells the store which key server answered', async () => {
    // A server (its own scheme, so only this engine claims it) answering with the newer copy, offline.
    kp.engines.register({ id: 'answers', label: 'Answers', supports: (url) => url.protocol === 'answers:', lookup: async () => fixtureBytes(manifest['pair-new'].file) }, 'test');
    // A store that says `new` for what it merged, as a GnuPG home does when gpg read it while
    // another gpg replaced the keybox (gpg took the key it holds for a new one).
    const given: Parameters<KeyStore['importCertificates']>[1][] = [];
    const store: KeyStore = Object.assign(Object.create(kp.store) as KeyStore, {
      importCertificates: async (data: Uint8Array, options: Parameters<KeyStore['importCertificates']>[1]) => {
        given.push(options);
        const report = await kp.store.importCertificates(data, options);
        return { ...report, results: report.results.map((r) => (r.status === 'updated' ? { ...r, status: 'new' as const } : r)) };
      },
    });
    const publishing = publishingOn(store);
    const report = await publishing.sync('all');
    expect(report.results).toHaveLength(1);
    expect(report.results[0]).toMatchObject({ fingerprint: manifest['pair-new'].fingerprint, status: 'updated' });
    expect(report.results[0]!.added.userIds).toBe(1);
    expect(report.summary).toMatchObject({ updated: 1, 'not-found': 0 });
    // The store is told which key server the answer came from (GnuPG records it as the key's origin).
    expect(given).toEqual([{ source: 'keyserver', origin: { url: 'answers://keys.invalid' } }]);
  });

  it('tells a store that reads in batches which keys it will read, before the answers come', async () => {
    let answered = false;
    kp.engines.register({ id: 'answers', label: 'Answers', supports: (url) => url.protocol === 'answers:', lookup: async () => ((answered = true), fixtureBytes(manifest['pair-new'].file)) }, 'test');
    const readAhead: { keys: readonly string[]; beforeAnswers: boolean }[] = [];
    const store: KeyStore = Object.assign(Object.create(kp.store) as KeyStore, {
      readAhead: (keys: readonly string[]) => void readAhead.push({ keys, beforeAnswers: !answered }),
    });
    const publishing = publishingOn(store);
    await publishing.sync('all');
    expect(readAhead).toEqual([{ keys: [manifest['pair-old'].fingerprint], beforeAnswers: true }]);
  });
});
