import { describe, expect, it } from 'vitest';
import { fixtureBytes, manifest } from '@keyport/test-fixtures';
import { dearmorAll, ErrorCodes, KeyportError, readPackets, writePackets, type RawPacket } from '../src/index.js';
import { freshKeyring, mulberry32, snapshot } from './helpers.js';

// Damaged packets inside intact framing (framing damage is refused whole with KP1300 before any
// packet is looked at): truncated and extended bodies, flipped bits, odd versions and tags.
// Every outcome must be a per-key result or a coded input error, never KP1000, and an input that
// brings nothing valid must leave the keyring's files as they were.

/** Deterministic picks (the same inputs on every run): a whole number below `n`. */
function generator(seed: number) {
  const next = mulberry32(seed);
  return (n: number) => Math.floor(next() * n);
}

function mutate(seed: readonly RawPacket[], rnd: (n: number) => number): RawPacket[] {
  const packets = seed.map((p) => ({ tag: p.tag, body: Uint8Array.from(p.body) }));
  for (let m = 1 + rnd(3); m > 0; m--) {
    const k = rnd(packets.length);
    let { tag, body } = packets[k]!;
    switch (rnd(6)) {
      case 0:
        body = body.subarray(0, rnd(body.length + 1));
        break;
      case 1:
        if (body.length > 0) {
          const at = rnd(body.length);
          body[at] = body[at]! ^ (1 << rnd(8));
        }
        break;
      case 2:
        if (body.length > 0) body[0] = rnd(8); // odd versions
        break;
      case 3:
        if (body.length > 0) body[rnd(Math.min(12, body.length))] = rnd(256); // headers: algorithms, lengths, types
        break;
      case 4:
        tag = [2, 5, 6, 7, 13, 14, 17, 63][rnd(8)]!;
        break;
      default: {
        const at = rnd(body.length + 1);
        body = Uint8Array.from([...body.subarray(0, at), ...Array.from({ length: 1 + rnd(8) }, () => rnd(256)), ...body.subarray(at)]);
      }
    }
    packets[k] = { tag, body };
  }
  return packets;
}

describe('damaged packets (seeded mutations)', () => {
  it('1,000 damaged inputs: no KP1000, and nothing changes when nothing valid came in', async () => {
    const { dir, keyring, importer } = freshKeyring();
    // A keyring holding the keys being damaged, so damaged copies meet stored ones in the merge.
    for (const name of ['ed25519', 'rsa4096', 'revoked-uid'] as const) await importer.import(fixtureBytes(manifest[name].file), { origin: { kind: 'file', name } });
    const seeds = ['ed25519', 'rsa4096', 'revoked-uid', 'expired-subkey'].map((name) => readPackets(dearmorAll(fixtureBytes(manifest[name as 'ed25519'].file))));
    seeds.push(readPackets(dearmorAll(fixtureBytes(manifest.secret.secretFile!))), readPackets(dearmorAll(fixtureBytes(manifest.stub.secretFile!))));
    const rnd = generator(20261129);
    const outcomes: Record<string, number> = {};
    for (let i = 0; i < 1000; i++) {
      const input = writePackets(mutate(seeds[rnd(seeds.length)]!, rnd));
      const fromServer = rnd(2) === 0;
      const query = [manifest.ed25519.fingerprint, 'eddie@example.org', manifest.rsa4096.keyId][rnd(3)]!;
      const before = snapshot(dir);
      try {
        const report = await importer.import(input, fromServer ? { origin: { kind: 'server', url: 'https://hkp.invalid', query } } : { origin: { kind: 'file', name: `m${i}` } });
        for (const r of report.results) outcomes[r.status] = (outcomes[r.status] ?? 0) + 1;
        if (report.results.every((r) => r.status === 'rejected' || r.status === 'unchanged')) expect(snapshot(dir), `input ${i}`).toEqual(before);
      } catch (e) {
        expect(e, `input ${i}`).toBeInstanceOf(KeyportError);
        const code = (e as KeyportError).code;
        expect(code, `input ${i}: ${(e as Error).message}`).not.toBe(ErrorCodes.Internal);
        outcomes[code] = (outcomes[code] ?? 0) + 1;
        expect(snapshot(dir), `input ${i}`).toEqual(before);
      }
    }
    // The mutations reached the merge, not only the framing check.
    expect(outcomes.rejected ?? 0).toBeGreaterThan(100);
    expect(outcomes.unchanged ?? 0).toBeGreaterThan(50);
    // Whatever was stored still reads back and lists.
    for (const record of await keyring.list()) expect(readPackets(await keyring.readPublic(record.summary.fingerprint)).length).toBeGreaterThan(0);
  });
});
