import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dearmorAll, PacketTag, readPackets, writePackets, type RawPacket } from '../src/index.js';
import { secretPacketProblem } from '../src/openpgp/certificate.js';
import { attackerCertificate, splitPackets, v4Fingerprint, type HostileKey } from '@keyport/test-fixtures';
import { freshKeyring } from './helpers.js';
import { newKey, signature } from './signing.js';

// Findings of the outside review of issue 10 in the import pipeline and the packet reader.

const KEYS = path.resolve(__dirname, '../../test-fixtures/keys');
const fixture = (name: string) => readFileSync(path.join(KEYS, name));
const TO_REVOKE = '0F4A40BF522A20BC1EACF0BCB46FD1CDA93DAFAF';
const ED25519 = 'FE15B9EFC66328DCC34F2E1D9777995843EF1A44';

const file = { kind: 'file' as const, name: 'test' };
const join = (...parts: Buffer[]) => new Uint8Array(Buffer.concat(parts));

describe('a revocation certificate after its key in the same input', () => {
  it.each([
    ['key, then revocation', ['to-revoke.pub.asc', 'to-revoke.rev.asc']],
    ['another key, the key, then its revocation', ['ed25519.pub.asc', 'to-revoke.pub.asc', 'to-revoke.rev.asc']],
    ['the key, another key, then the revocation', ['to-revoke.pub.asc', 'ed25519.pub.asc', 'to-revoke.rev.asc']],
    ['revocation first', ['to-revoke.rev.asc', 'to-revoke.pub.asc']],
  ])('revokes the key: %s', async (_, files) => {
    const { keyring, importer } = freshKeyring();
    const report = await importer.import(join(...files.map(fixture)), { origin: file });
    const result = report.results.find((r) => r.fingerprint === TO_REVOKE)!;
    expect(result.status).toBe('new');
    expect(result.added.revocations).toBe(1);
    expect((await keyring.get(TO_REVOKE))!.summary.revoked).toBe(true);
    if (files.includes('ed25519.pub.asc')) expect((await keyring.get(ED25519))!.summary.revoked).toBe(false);
    // Nothing more to add the second time.
    const again = await importer.import(join(...files.map(fixture)), { origin: file });
    expect(again.results.find((r) => r.fingerprint === TO_REVOKE)!.status).toBe('unchanged');
  });

  it('revokes a held key from binary key+revocation data (no armor boundaries)', async () => {
    const { dearmorAll } = await import('../src/index.js');
    const { keyring, importer } = freshKeyring();
    const binary = join(Buffer.from(dearmorAll(fixture('to-revoke.pub.asc'))), Buffer.from(dearmorAll(fixture('to-revoke.rev.asc'))));
    await importer.import(binary, { origin: file });
    expect((await keyring.get(TO_REVOKE))!.summary.revoked).toBe(true);
  });
});

describe('a lone revocation answering a look-up of another key', () => {
  const server = (query: string) => ({ kind: 'server' as const, url: 'https://hkp.invalid', query });

  it('is reported under the key asked about, naming the key the revocation is for', async () => {
    const { keyring, importer } = freshKeyring();
    await importer.import(fixture('ed25519.pub.asc'), { origin: file });
    await importer.import(fixture('to-revoke.pub.asc'), { origin: file });
    const report = await importer.import(fixture('to-revoke.rev.asc'), { origin: server(ED25519), updateOnly: true });
    expect(report.results).toHaveLength(1);
    expect(report.results[0]).toMatchObject({ fingerprint: ED25519, status: 'rejected' });
    expect(report.results[0]!.reason).toContain(`revocation issued by key ${TO_REVOKE}`);
    expect(report.results[0]!.reason).toContain(ED25519);
    expect((await keyring.get(TO_REVOKE))!.summary.revoked).toBe(false);
  });
});

describe('encrypted secret-key packets', () => {
  const primary = () => readPackets(dearmorAll(fixture('ed25519.pub.asc')))[0]!;
  /** The fixture's public primary key made a secret-key packet with `secret` appended. */
  const secretOf = (secret: number[], base: RawPacket = primary()): RawPacket => ({ tag: PacketTag.SecretKey, body: new Uint8Array([...base.body, ...secret]) });
  const fill = (n: number, byte = 0x5a) => new Array<number>(n).fill(byte);
  // Argon2 specifier: type 4, 16-octet salt, passes, parallelism, log2 memory.
  const argon2 = [4, ...fill(16, 1), 1, 4, 16];
  const iterated = [3, 8, ...fill(8, 1), 0x60];

  it.each([
    ['usage 253 (AEAD) on a v4 key, which gpg 2.2 refuses', [253, 9, 2, ...argon2, ...fill(15), ...fill(48)], /usage octet 253.*version 4/],
    ['Argon2 without AEAD (RFC 9580 allows it only with usage 253)', [254, 9, ...argon2, ...fill(16), ...fill(48)], /Argon2/],
    ['a legacy usage octet naming a cipher directly', [9, ...fill(16), ...fill(48)], /usage octet 9/],
  ])('refuses %s', async (_, secret, reason) => {
    const packet = secretOf(secret);
    expect(secretPacketProblem(packet)).toMatch(reason);
    const { keyring, importer } = freshKeyring();
    await importer.import(fixture('ed25519.pub.asc'), { origin: file });
    const report = await importer.import(writePackets([packet]), { origin: file });
    expect(report.results[0]).toMatchObject({ status: 'rejected' });
    expect((await keyring.get(ED25519))!.hasSecret).toBe(false);
  });

  it('accepts what gpg accepts: CFB with an iterated S2K, and a gnu-dummy stub', () => {
    expect(secretPacketProblem(secretOf([254, 9, ...iterated, ...fill(16), ...fill(48)]))).toBeUndefined();
    expect(secretPacketProblem(secretOf([254, 9, 101, 0, 0x47, 0x4e, 0x55, 1]))).toBeUndefined();
  });
});

describe('packet framing as strict as gpg', () => {
  const edBinary = () => Buffer.from(dearmorAll(fixture('ed25519.pub.asc')));
  const uid = Buffer.from('Mallory <m@evil.example>');

  it.each([
    // A user ID in two partial chunks (2 bytes, then the rest): gpg "partial length invalid for packet type 13".
    ['a user ID with a partial length', Buffer.concat([Buffer.from([0xcd, 0xe1]), uid.subarray(0, 2), Buffer.from([uid.length - 2]), uid.subarray(2)]), /partial length invalid for packet type 13/],
    ['a signature with a partial length', Buffer.from([0xc2, 0xe0, 4, 1, 3]), /partial length invalid for packet type 2/],
    // Old format, tag 13, length type 3 (indeterminate: "to the end of the input").
    ['an old-format user ID of indeterminate length', Buffer.concat([Buffer.from([0x80 | (13 << 2) | 3]), uid]), /indeterminate length invalid for packet type 13/],
  ])('refuses %s after a good key, and imports nothing (as gpg)', async (_, tail, message) => {
    const { readPacketsLenient } = await import('../src/openpgp/packets.js');
    const input = new Uint8Array(Buffer.concat([edBinary(), tail]));
    expect(readPacketsLenient(input).error?.message).toMatch(message);
    const { keyring, importer } = freshKeyring();
    await expect(importer.import(input, { origin: file })).rejects.toMatchObject({ code: 'KP1300' });
    expect(await keyring.list()).toEqual([]);
  });

  it('still frames partial and indeterminate lengths on data packets', async () => {
    const { readPacketsLenient } = await import('../src/openpgp/packets.js');
    const literal = Buffer.concat([Buffer.from([0xcb, 0xe1]), Buffer.from('ab'), Buffer.from([1]), Buffer.from('c')]);
    const oldLiteral = Buffer.concat([Buffer.from([0x80 | (11 << 2) | 3]), Buffer.from('abc')]);
    for (const bytes of [literal, oldLiteral]) {
      const framed = readPacketsLenient(new Uint8Array(bytes));
      expect(framed.error).toBeUndefined();
      expect(framed.packets.map((p) => [p.tag, Buffer.from(p.body).toString()])).toEqual([[11, 'abc']]);
    }
  });

  it('imports a key from a file that ends inside a later packet, with a note on the ignored tail (as gpg)', async () => {
    const { keyring, importer } = freshKeyring();
    // A public-key header announcing 16 bytes, of which 3 arrived.
    const input = new Uint8Array(Buffer.concat([edBinary(), Buffer.from([0xc6, 0x10, 0x61, 0x62, 0x63])]));
    const report = await importer.import(input, { origin: file });
    expect(report.results).toHaveLength(1);
    expect(report.results[0]).toMatchObject({ fingerprint: ED25519, status: 'new' });
    expect(report.results[0]!.notes).toEqual([expect.stringMatching(/ends inside a packet at byte \d+.*keys before it were imported/)]);
    expect((await keyring.get(ED25519))!.summary.userIds).toHaveLength(3);
  });

  it('imports the complete keys before a key cut inside its own packets, and rejects the cut one', async () => {
    const { keyring, importer } = freshKeyring();
    const toRevoke = Buffer.from(dearmorAll(fixture('to-revoke.pub.asc')));
    const input = new Uint8Array(Buffer.concat([edBinary(), toRevoke.subarray(0, -20)]));
    const report = await importer.import(input, { origin: file });
    expect(report.results).toEqual([
      expect.objectContaining({ fingerprint: ED25519, status: 'new' }),
      expect.objectContaining({ fingerprint: TO_REVOKE, status: 'rejected', reason: expect.stringMatching(/ends inside a packet at byte \d+ .*within this key/) }),
    ]);
    expect((await keyring.list()).map((r) => r.summary.fingerprint)).toEqual([ED25519]);
  });

  it('refuses a server answer cut inside a packet: a broken transfer is retried, not half-imported', async () => {
    const { importer } = freshKeyring();
    const cut = new Uint8Array(edBinary().subarray(0, -5));
    await expect(importer.import(cut, { origin: { kind: 'server', url: 'https://hkp.invalid', query: ED25519 } })).rejects.toMatchObject({ code: 'KP1300' });
  });
});

describe('look-ups answered by another certificate\'s subkey', () => {
  const server = (query: string) => ({ kind: 'server' as const, url: 'https://hkp.invalid', query });
  const ENCRYPTION_SUBKEY = 'E72AB5E118F3AA5CA216A006AD000AE5E74C7497';
  /** A key packet of the fixture as a key the attacker can name (and bind) but not sign with. */
  const fixtureKey = (fingerprint: string): HostileKey => {
    const body = splitPackets(dearmorAll(fixture('ed25519.pub.asc'))).map((p) => Buffer.from(p.body)).find((b) => (b[0] === 4 ? v4Fingerprint(b) === fingerprint : false));
    return { body: body!, fingerprint, keyId: fingerprint.slice(-16) };
  };

  it.each([
    ['the subkey fingerprint', ENCRYPTION_SUBKEY],
    ['the subkey key ID', ENCRYPTION_SUBKEY.slice(-16)],
  ])('refuses another certificate carrying a subkey the keyring already holds, asked for by %s', async (_, query) => {
    const { keyring, importer } = freshKeyring();
    await importer.import(fixture('ed25519.pub.asc'), { origin: file });
    const mallory = attackerCertificate({ subkey: fixtureKey(ENCRYPTION_SUBKEY), binding: 'attacker-encrypt' });
    const report = await importer.import(new Uint8Array(mallory.bytes), { origin: server(query) });
    expect(report.results).toEqual([expect.objectContaining({ fingerprint: mallory.key.fingerprint, status: 'rejected', reason: expect.stringContaining(`already holds ${query} as a subkey of ${ED25519}`) })]);
    expect((await keyring.list()).map((r) => r.summary.fingerprint)).toEqual([ED25519]);
    expect((await keyring.find(ENCRYPTION_SUBKEY)).map((r) => r.summary.fingerprint)).toEqual([ED25519]);
  });

  it('accepts a key-ID look-up answered only through a subkey when nothing else claims it, with a note', async () => {
    const { importer } = freshKeyring();
    const mallory = attackerCertificate({ subkey: fixtureKey(ED25519), binding: 'attacker-encrypt' });
    const report = await importer.import(new Uint8Array(mallory.bytes), { origin: server(ED25519.slice(-16)) });
    expect(report.results).toEqual([expect.objectContaining({ fingerprint: mallory.key.fingerprint, status: 'new', notes: [expect.stringMatching(/through its subkey .*compare the fingerprint/)] })]);
  });
});

describe('nothing dropped silently', () => {
  it('reports signatures that did not verify and were dropped', async () => {
    const packets = readPackets(dearmorAll(fixture('ed25519.pub.asc')));
    const last = packets[packets.length - 1]!;
    expect(last.tag).toBe(PacketTag.Signature);
    const body = new Uint8Array(last.body);
    body[body.length - 1]! ^= 0x01;
    const { importer } = freshKeyring();
    const report = await importer.import(writePackets([...packets.slice(0, -1), { tag: last.tag, body }]), { origin: file });
    expect(report.results).toEqual([expect.objectContaining({ fingerprint: ED25519, status: 'new', notes: [expect.stringMatching(/^1 signature did not verify and was dropped/)] })]);
  });
});

describe('a designated revoker\'s lone revocation of the requested key', () => {
  it('is refused with a reason that names it as such, not as "another key"', async () => {
    const revoker = await newKey('Revoker');
    const victim = await newKey('Victim');
    const designation = await signature(victim, 0x1f, { key: victim.keyPacket }, (s) => {
      s.revocationKeyClass = 0x80;
      s.revocationKeyAlgorithm = revoker.keyPacket.algorithm;
      s.revocationKeyFingerprint = revoker.keyPacket.getFingerprintBytes()!;
    });
    const revocation = await signature(revoker, 0x20, { key: victim.keyPacket }, () => {});
    const victimPackets = readPackets(victim.toPublic().write());
    const victimFpr = victim.getFingerprint().toUpperCase();
    const revokerFpr = revoker.getFingerprint().toUpperCase();

    const { keyring, importer } = freshKeyring();
    await importer.import(writePackets([victimPackets[0]!, designation, ...victimPackets.slice(1)]), { origin: file });
    await importer.import(revoker.toPublic().write(), { origin: file });
    const report = await importer.import(writePackets([revocation]), { origin: { kind: 'server', url: 'https://hkp.invalid', query: victimFpr } });
    expect(report.results).toEqual([
      expect.objectContaining({ fingerprint: victimFpr, status: 'rejected', reason: expect.stringContaining(`issued by its designated revoker ${revokerFpr}`) }),
    ]);
    expect(report.results[0]!.reason).not.toMatch(/different key/);
    expect((await keyring.get(victimFpr))!.summary.revoked).toBe(false);
  });
});

describe('key revocations after a server certificate\'s last subkey', () => {
  it('applies the key\'s own revocation, and drops other issuers\' as third-party signatures without a result each', async () => {
    const { thirdPartyRevocations, primaryOf } = await import('@keyport/test-fixtures');
    const { keyring, importer } = freshKeyring();
    await importer.import(fixture('to-revoke.pub.asc'), { origin: file });
    const answer = Buffer.concat([
      Buffer.from(dearmorAll(fixture('to-revoke.pub.asc'))),
      thirdPartyRevocations(await primaryOf(fixture('to-revoke.pub.asc').toString()), 200),
      Buffer.from(dearmorAll(fixture('to-revoke.rev.asc'))),
    ]);
    const report = await importer.import(new Uint8Array(answer), { origin: { kind: 'server', url: 'https://hkp.invalid', query: TO_REVOKE }, updateOnly: true });
    expect(report.results).toEqual([expect.objectContaining({ fingerprint: TO_REVOKE, status: 'updated', added: expect.objectContaining({ revocations: 1 }) })]);
    expect((await keyring.get(TO_REVOKE))!.summary.revoked).toBe(true);
  });
});
