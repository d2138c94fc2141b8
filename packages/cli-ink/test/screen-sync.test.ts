import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { dearmorAll, readPackets, writePackets } from '@keyport/core';
import { fixtureBytes, fixturePath, manifest, startHkpFixture } from '@keyport/test-fixtures';
import { keyportAsync as keyport, tempHome } from './helpers.js';

/** The little of openpgp.js this test signs with. */
interface OpenPgp {
  generateKey(options: object): Promise<{ privateKey: { keyPacket: { algorithm: number }; toPublic(): { write(): Uint8Array } } }>;
  PublicSubkeyPacket: new () => { read(body: Uint8Array): Promise<void> };
  SignaturePacket: new () => {
    signatureType: number | null;
    publicKeyAlgorithm: number | null;
    hashAlgorithm: number | null;
    keyFlags: Uint8Array | null;
    sign(key: unknown, data: unknown, date: Date, detached: boolean, config: unknown): Promise<void>;
    write(): Uint8Array;
  };
  enums: { signature: { subkeyBinding: number }; hash: { sha256: number } };
  config: unknown;
}

// openpgp.js is a dependency of the fixtures, not of the CLI: load it from there to sign.
const openpgp = createRequire(fixturePath('manifest.json'))('openpgp') as OpenPgp;

/**
 * Another key that validly binds the victim's primary key as its encryption subkey (such a
 * binding needs no back-signature, so anyone can make one): the answer an attacker's server
 * gives when asked for the victim.
 */
async function certificateClaimingVictim(): Promise<Uint8Array> {
  const { privateKey: attacker } = await openpgp.generateKey({ type: 'curve25519', userIDs: [{ name: 'Mallory', email: 'mallory@evil.example' }], format: 'object' });
  const victimPrimary = readPackets(dearmorAll(fixtureBytes(manifest.ed25519.file)))[0]!;
  const subkey = new openpgp.PublicSubkeyPacket();
  await subkey.read(victimPrimary.body);
  const binding = new openpgp.SignaturePacket();
  binding.signatureType = openpgp.enums.signature.subkeyBinding;
  binding.publicKeyAlgorithm = attacker.keyPacket.algorithm;
  binding.hashAlgorithm = openpgp.enums.hash.sha256;
  binding.keyFlags = new Uint8Array([0x0c]);
  await binding.sign(attacker.keyPacket, { key: attacker.keyPacket, bind: subkey }, new Date(), false, openpgp.config);
  return writePackets([...readPackets(attacker.toPublic().write()), { tag: 14, body: victimPrimary.body }, { tag: 2, body: binding.write() }]);
}

describe('a server answering for a key with another key that carries it as a subkey', () => {
  it('sync adds nothing and says why; a look-up of the held key refuses it too', async () => {
    const server = await startHkpFixture({ dialect: 'hockeypuck-2.4', keys: [await certificateClaimingVictim()] });
    const h = tempHome();
    try {
      await keyport(['import', '--file', fixturePath(manifest.ed25519.file)], { home: h });
      await keyport(['servers', 'add', server.url], { home: h });
      await keyport(['servers', 'default', server.url], { home: h });
      const before = (await keyport(['list', '--json'], { home: h })).stdout;

      const sync = await keyport(['--modules', '-keyserversync', 'sync', '--all', '--yes', '--json'], { home: h });
      expect(sync.status).toBe(1);
      const report = JSON.parse(sync.stdout) as { results: { fingerprint: string; status: string; reason: string }[] };
      expect(report.results).toMatchObject([{ status: 'rejected', reason: expect.stringMatching(/only updates the key it asked about/) }]);
      expect(report).toMatchObject({ summary: { rejected: 1, updated: 0, failed: 0 } });
      // The human summary counts what made the exit code 1.
      const human = await keyport(['--modules', '-keyserversync', 'sync', '--all', '--yes'], { home: h });
      expect(human.status).toBe(1);
      expect(human.stdout).toMatch(/: 0 updated, 0 unchanged, 1 rejected, 0 not on the server, 0 failed, 0 skipped$/m);

      const lookup = await keyport(['import', manifest.ed25519.fingerprint, '--server', server.url, '--json'], { home: h });
      expect(lookup.status).toBe(1);
      expect(JSON.parse(lookup.stdout)).toMatchObject({ results: [{ status: 'rejected', reason: expect.stringMatching(/is a primary key in your keyring/) }] });

      expect((await keyport(['list', '--json'], { home: h })).stdout).toBe(before);
      const shown = await keyport(['show', manifest.ed25519.fingerprint, '--json'], { home: h });
      expect(shown.status).toBe(0);
      expect(JSON.parse(shown.stdout)).toMatchObject({ fingerprint: manifest.ed25519.fingerprint });
    } finally {
      await server.stop();
      rmSync(h, { recursive: true, force: true });
    }
  });
});
