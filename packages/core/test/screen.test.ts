import { randomBytes } from 'node:crypto';
import * as openpgp from 'openpgp';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, inspectSignature, PacketTag, readPackets, writePackets, type RawPacket } from '../src/index.js';
import { keyMaterial, secretPacketProblem } from '../src/openpgp/certificate.js';
import { SigType } from '../src/openpgp/packets.js';
import { freshKeyring } from './helpers.js';
import { fingerprintOf, newKey, publicPackets, signature } from './signing.js';

// Attacker inputs from issue 10 (items 1, 2, 6, 8, 12), built with real signatures so that the
// only thing standing between them and the keyring is the screening under test.

const file = { kind: 'file' as const, name: 'test' };
const server = (query: string) => ({ kind: 'server' as const, url: 'https://hkp.invalid', query });


const primaryPacket = (key: openpgp.PrivateKey): RawPacket => publicPackets(key)[0]!;


async function publicSubkey(packet: RawPacket): Promise<openpgp.PublicSubkeyPacket> {
  const sub = new openpgp.PublicSubkeyPacket();
  await sub.read(keyMaterial(packet).publicBody);
  return sub;
}

/** `signer`'s binding of `subkey` (a key packet) under `owner`'s primary, for the given usage flags. */
async function binding(signer: openpgp.PrivateKey, owner: openpgp.PrivateKey, subkey: RawPacket, flags: number): Promise<RawPacket> {
  return signature(signer, SigType.SubkeyBinding, { key: owner.keyPacket, bind: await publicSubkey(subkey) }, (s) => {
    s.keyFlags = new Uint8Array([flags]);
  });
}

/** The attacker's own certificate (self-signed user ID, own subkey) plus extra packets. */
const withExtra = (attacker: openpgp.PrivateKey, extra: RawPacket[]) => [...publicPackets(attacker), ...extra];

/** A user ID packet (bytes as given) with no signature: anyone can append one to any key. */
const unsignedUserId = (text: string | Uint8Array): RawPacket => ({ tag: PacketTag.UserId, body: typeof text === 'string' ? new TextEncoder().encode(text) : text });

const asSubkey = (primary: RawPacket): RawPacket => ({ tag: PacketTag.PublicSubkey, body: primary.body });

/** A v4 key revocation by a random issuer with a random signature value: unverifiable junk. */
function randomRevocation(): RawPacket {
  const issuer = randomBytes(20);
  const hashed = Buffer.concat([Buffer.from([5, 2]), Buffer.from([0x67, 0x70, 0, 0]), Buffer.from([22, 33, 4]), issuer]);
  const mpi = () => Buffer.concat([Buffer.from([0x00, 0xff]), randomBytes(32)]);
  const body = Buffer.concat([Buffer.from([4, SigType.KeyRevocation, 22, 8, 0, hashed.length]), hashed, Buffer.from([0, 0]), randomBytes(2), mpi(), mpi()]);
  return { tag: PacketTag.Signature, body: new Uint8Array(body) };
}

const countSigs = (bytes: Uint8Array, type: number) => readPackets(bytes).filter((p) => p.tag === PacketTag.Signature && inspectSignature(p.body)?.type === type).length;

describe('screen before match (server answers)', () => {
  it('refuses an attacker certificate that carries the requested key as a subkey, bound by the attacker, by a third key or not at all', async () => {
    const victim = await newKey('Victim', 'victim@example.org');
    const attacker = await newKey('Mallory', 'mallory@evil.example');
    const third = await newKey('Third', 'third@evil.example');
    const victimPrimary = primaryPacket(victim);
    const sub = asSubkey(victimPrimary);
    const variants = {
      // A signing subkey without the victim's back-signature is not validly bound.
      'bound by the attacker (signing, no back-signature)': withExtra(attacker, [sub, await binding(attacker, attacker, victimPrimary, 0x02)]),
      'bound by a third key': withExtra(attacker, [sub, await binding(third, attacker, victimPrimary, 0x0c)]),
      'not bound at all': withExtra(attacker, [sub]),
    };
    for (const [label, packets] of Object.entries(variants)) {
      const ctx = freshKeyring();
      const report = await ctx.importer.import(writePackets(packets), { origin: server(fingerprintOf(victim)) });
      expect(report.results, label).toHaveLength(1);
      expect(report.results[0], label).toMatchObject({ status: 'rejected', fingerprint: fingerprintOf(attacker) });
      expect(report.results[0]!.reason, label).toMatch(/does not match the requested fingerprint/);
      expect(await ctx.keyring.count(), label).toBe(0);
    }
  });

  it('does not take a subkey or user ID kept by a self-revocation alone as an answer', async () => {
    const victim = await newKey('Victim', 'victim@example.org');
    const attacker = await newKey('Mallory', 'mallory@evil.example');
    const victimPrimary = primaryPacket(victim);
    const subkeyRevocation = await signature(attacker, SigType.SubkeyRevocation, { key: attacker.keyPacket, bind: await publicSubkey(victimPrimary) });
    const uid = new openpgp.UserIDPacket();
    uid.read(new TextEncoder().encode('Victim <victim@example.org>'));
    const uidRevocation = await signature(attacker, SigType.CertRevocation, { key: attacker.keyPacket, userID: uid });
    const answer = writePackets(withExtra(attacker, [unsignedUserId('Victim <victim@example.org>'), uidRevocation, asSubkey(victimPrimary), subkeyRevocation]));
    const ctx = freshKeyring();
    for (const query of [fingerprintOf(victim), 'victim@example.org']) {
      const report = await ctx.importer.import(answer, { origin: server(query) });
      expect(report.results[0], query).toMatchObject({ status: 'rejected', fingerprint: fingerprintOf(attacker) });
    }
    expect(await ctx.keyring.count()).toBe(0);
  });

  it('refuses a user ID copying the victim address without a self-signature (email look-up)', async () => {
    const attacker = await newKey('Mallory', 'mallory@evil.example');
    const ctx = freshKeyring();
    const packets = withExtra(attacker, [unsignedUserId('Victim <victim@example.org>')]);
    const report = await ctx.importer.import(writePackets(packets), { origin: server('victim@example.org') });
    expect(report.results[0]).toMatchObject({ status: 'rejected', fingerprint: fingerprintOf(attacker) });
    expect(report.results[0]!.reason).toMatch(/no user ID with the address victim@example.org \(only validly self-signed user IDs count\)/);
    expect(await ctx.keyring.count()).toBe(0);
  });

  it('adds none of 1,000 such certificates in one answer, and the victim is still found by its fingerprint', async () => {
    const victim = await newKey('Victim', 'victim@example.org');
    const ctx = freshKeyring();
    await ctx.importer.import(victim.toPublic().write(), { origin: file });
    const sub = asSubkey(primaryPacket(victim));
    const answer: RawPacket[] = [...publicPackets(victim)];
    for (let i = 0; i < 1000; i++) {
      const attacker = await newKey(`Mallory ${i}`, `m${i}@evil.example`);
      answer.push(...withExtra(attacker, [unsignedUserId('Victim <victim@example.org>'), sub]));
    }
    for (const query of [fingerprintOf(victim), 'victim@example.org']) {
      const report = await ctx.importer.import(writePackets(answer), { origin: server(query) });
      expect(report.summary, query).toEqual({ new: 0, updated: 0, unchanged: 1, rejected: 1000 });
    }
    expect(await ctx.keyring.count()).toBe(1);
    expect((await ctx.keyring.resolve(fingerprintOf(victim))).summary.fingerprint).toBe(fingerprintOf(victim));
  });

  it('keeps none of 5,000 third-party key revocations, sync after sync', async () => {
    const victim = await newKey('Victim', 'victim@example.org');
    const ctx = freshKeyring();
    await ctx.importer.import(victim.toPublic().write(), { origin: file });
    const before = await ctx.keyring.readPublic(fingerprintOf(victim));
    const flood = Array.from({ length: 5000 }, randomRevocation);
    const answer = writePackets([...publicPackets(victim).slice(0, 1), ...flood, ...publicPackets(victim).slice(1)]);
    for (let round = 0; round < 2; round++) {
      const report = await ctx.importer.import(answer, { origin: server(fingerprintOf(victim)), updateOnly: true });
      expect(report.results).toEqual([expect.objectContaining({ status: 'unchanged', added: { userIds: 0, subkeys: 0, signatures: 0, revocations: 0 } })]);
    }
    expect(await ctx.keyring.readPublic(fingerprintOf(victim))).toEqual(before);
    expect((await ctx.keyring.get(fingerprintOf(victim)))!.summary.revoked).toBe(false);
  });

  it('keeps a key revocation by a designated revoker that verifies, and only when the keyring holds the revoker', async () => {
    const revoker = await newKey('Revoker', 'revoker@example.org');
    const victim = await newKey('Victim', 'victim@example.org');
    // The victim names the revoker in a direct-key self-signature (revocation key subpacket).
    const designation = await signature(victim, SigType.DirectKey, { key: victim.keyPacket }, (s) => {
      s.revocationKeyClass = 0x80;
      s.revocationKeyAlgorithm = revoker.keyPacket.algorithm;
      s.revocationKeyFingerprint = revoker.keyPacket.getFingerprintBytes()!;
    });
    const victimPackets = publicPackets(victim);
    const designated = [victimPackets[0]!, designation, ...victimPackets.slice(1)];
    const revocation = await signature(revoker, SigType.KeyRevocation, { key: victim.keyPacket }, (s) => {
      s.reasonForRevocationFlag = openpgp.enums.reasonForRevocation.keyCompromised;
      s.reasonForRevocationString = 'by the designated revoker';
    });
    const answer = writePackets([designated[0]!, revocation, ...Array.from({ length: 50 }, randomRevocation), ...designated.slice(1)]);

    const without = freshKeyring();
    await without.importer.import(writePackets(designated), { origin: file });
    const dropped = await without.importer.import(answer, { origin: server(fingerprintOf(victim)) });
    expect(dropped.results[0]!.status).toBe('unchanged');
    expect(countSigs(await without.keyring.readPublic(fingerprintOf(victim)), SigType.KeyRevocation)).toBe(0);

    const held = freshKeyring();
    await held.importer.import(writePackets(designated), { origin: file });
    await held.importer.import(revoker.toPublic().write(), { origin: file });
    const kept = await held.importer.import(answer, { origin: server(fingerprintOf(victim)) });
    expect(kept.results[0]).toMatchObject({ status: 'updated', added: { revocations: 1 } });
    expect(countSigs(await held.keyring.readPublic(fingerprintOf(victim)), SigType.KeyRevocation)).toBe(1);
  });

  it('sync of a fingerprint adds nothing when the answer is another key that validly binds the requested key as its subkey', async () => {
    const victim = await newKey('Victim', 'victim@example.org');
    const attacker = await newKey('Mallory', 'mallory@evil.example');
    const ctx = freshKeyring();
    await ctx.importer.import(victim.toPublic().write(), { origin: file });
    const victimPrimary = primaryPacket(victim);
    // Encryption usage needs no back-signature: this binding is valid.
    const answer = writePackets(withExtra(attacker, [asSubkey(victimPrimary), await binding(attacker, attacker, victimPrimary, 0x0c)]));
    const report = await ctx.importer.import(answer, { origin: server(fingerprintOf(victim)), updateOnly: true });
    expect(report.results[0]).toMatchObject({ status: 'rejected', fingerprint: fingerprintOf(attacker) });
    expect(report.results[0]!.reason).toMatch(/only updates the key it asked about/);
    // A plain look-up of a key held as a primary is not answered by another key's subkey either.
    const lookup = await ctx.importer.import(answer, { origin: server(fingerprintOf(victim)) });
    expect(lookup.results[0]!.status).toBe('rejected');
    expect(lookup.results[0]!.reason).toMatch(/is a primary key in your keyring/);
    expect(await ctx.keyring.count()).toBe(1);
  });

  it('accepts a certificate found by a validly bound subkey, and refuses two that claim the same subkey', async () => {
    const owner = await newKey('Owner', 'owner@example.org');
    const other = await newKey('Other', 'other@example.org');
    const ownerSubkey = publicPackets(owner).find((p) => p.tag === PacketTag.PublicSubkey)!;
    const subFpr = keyMaterial(ownerSubkey).fingerprint;
    const ctx = freshKeyring();
    const found = await ctx.importer.import(owner.toPublic().write(), { origin: server(subFpr) });
    expect(found.results[0]).toMatchObject({ status: 'new', fingerprint: fingerprintOf(owner) });
    const rival = withExtra(other, [ownerSubkey, await binding(other, other, ownerSubkey, 0x0c)]);
    const fresh = freshKeyring();
    const both = await fresh.importer.import(writePackets([...publicPackets(owner), ...rival]), { origin: server(subFpr) });
    expect(both.summary.rejected).toBe(2);
    expect(both.results[0]!.reason).toMatch(/2 certificates in the answer claim the requested subkey/);
    expect(await fresh.keyring.count()).toBe(0);
  });

  it('matches nothing against a text or short key-ID request', async () => {
    const victim = await newKey('Victim', 'victim@example.org');
    const ctx = freshKeyring();
    for (const query of ['Victim', fingerprintOf(victim).slice(-8)]) {
      const report = await ctx.importer.import(victim.toPublic().write(), { origin: server(query) });
      expect(report.results[0], query).toMatchObject({ status: 'rejected', reason: expect.stringContaining('is not a fingerprint, key ID or email address') });
    }
    expect(await ctx.keyring.count()).toBe(0);
  });

  it('notes that email answers are unverified and caps how many keys one email answer adds', async () => {
    const keys = await Promise.all(Array.from({ length: 4 }, (_, i) => newKey(`Same ${i}`, 'same@example.org')));
    const ctx = freshKeyring();
    const report = await ctx.importer.import(writePackets(keys.flatMap(publicPackets)), { origin: server('same@example.org'), maxNewPerEmailAnswer: 3 });
    expect(report.summary).toMatchObject({ new: 3, rejected: 1 });
    expect(report.results[3]!.reason).toMatch(/more than 3 new keys/);
    for (const r of report.results.slice(0, 3)) expect(r.notes).toEqual([expect.stringMatching(/does not prove that an address belongs to a key/)]);
    expect(await ctx.keyring.count()).toBe(3);
  });
});

describe('look-up precedence', () => {
  it('a full primary fingerprint names that key even when another key carries it as a subkey; key IDs list the candidates', async () => {
    const victim = await newKey('Victim', 'victim@example.org');
    const attacker = await newKey('Mallory', 'mallory@evil.example');
    const ctx = freshKeyring();
    const victimPrimary = primaryPacket(victim);
    await ctx.importer.import(victim.toPublic().write(), { origin: file });
    await ctx.importer.import(writePackets(withExtra(attacker, [asSubkey(victimPrimary), await binding(attacker, attacker, victimPrimary, 0x0c)])), { origin: file });
    expect(await ctx.keyring.count()).toBe(2);
    expect((await ctx.keyring.resolve(fingerprintOf(victim))).summary.fingerprint).toBe(fingerprintOf(victim));
    const error = await ctx.keyring.resolve(fingerprintOf(victim).slice(-16)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ErrorCodes.KeyAmbiguous });
    expect((error as Error).message).toContain(fingerprintOf(victim));
    expect((error as Error).message).toContain(fingerprintOf(attacker));
  });
});

describe('secret key packets', () => {
  /** A secret-key packet: the victim's public body followed by `secret`. */
  const forged = (victim: openpgp.PrivateKey, secret: Uint8Array): RawPacket => ({
    tag: PacketTag.SecretKey,
    body: new Uint8Array(Buffer.concat([keyMaterial(primaryPacket(victim)).publicBody, secret])),
  });

  it('refuses a secret packet with garbage secret material and leaves the public key as it was', async () => {
    const victim = await newKey('Victim', 'victim@example.org');
    const ctx = freshKeyring();
    await ctx.importer.import(victim.toPublic().write(), { origin: file });
    const before = await ctx.keyring.readPublic(fingerprintOf(victim));
    const mpi = Buffer.concat([Buffer.from([0x00, 0xff]), randomBytes(32)]);
    const garbage = [
      randomBytes(40), // random usage octet
      Buffer.concat([Buffer.from([0]), mpi, Buffer.from([0, 0])]), // plaintext with a wrong checksum
      Buffer.concat([Buffer.from([254, 9, 200]), randomBytes(40)]), // unknown S2K specifier
      Buffer.from([254, 9, 3, 8]), // truncated iterated S2K
    ];
    for (const secret of garbage) {
      const report = await ctx.importer.import(writePackets([forged(victim, secret), ...publicPackets(victim).slice(1)]), { origin: file });
      expect(report.results[0]!.status).toBe('rejected');
      expect(report.results[0]!.reason).toMatch(/primary secret key is not well formed/);
    }
    expect(await ctx.keyring.get(fingerprintOf(victim))).toMatchObject({ hasSecret: false, secretPrimary: 'absent' });
    expect(await ctx.keyring.readPublic(fingerprintOf(victim))).toEqual(before);
  });

  it('accepts well-formed secret packets: unencrypted with a valid checksum, and passphrase-protected', async () => {
    const key = await newKey('Owner', 'owner@example.org');
    const plain = readPackets(key.write());
    expect(plain.filter((p) => p.tag === PacketTag.SecretKey || p.tag === PacketTag.SecretSubkey).map(secretPacketProblem)).toEqual([undefined, undefined]);
    const ctx = freshKeyring();
    const report = await ctx.importer.import(key.write(), { origin: file });
    expect(report.results[0]).toMatchObject({ status: 'new', secretKeysStored: 2 });
    const locked = await openpgp.encryptKey({ privateKey: key, passphrase: 'correct horse' });
    const packets = readPackets(locked.write()).filter((p) => p.tag === PacketTag.SecretKey || p.tag === PacketTag.SecretSubkey);
    expect(packets.map(secretPacketProblem)).toEqual([undefined, undefined]);
  });
});

describe('odd packets and user IDs', () => {
  it('skips an unsupported subkey with a note and imports the rest of a multi-key input', async () => {
    const a = await newKey('Alice', 'alice@example.org');
    const b = await newKey('Bob', 'bob@example.org');
    const v5 = { tag: PacketTag.PublicSubkey, body: new Uint8Array([5, 0x67, 0x70, 0, 0, 27, 0, 0, 0, 32, ...randomBytes(32)]) };
    const v3 = { tag: PacketTag.PublicSubkey, body: new Uint8Array([3, 0x67, 0x70, 0, 0, 0, 0, 1, 0x00, 0x08, 0xff, 0x00, 0x01, 0x01]) };
    const odd = { tag: PacketTag.PublicSubkey, body: new Uint8Array([42]) };
    const ctx = freshKeyring();
    const input = writePackets([...publicPackets(a), v5, v3, odd, ...publicPackets(b)]);
    const report = await ctx.importer.import(input, { origin: file });
    expect(report.summary).toMatchObject({ new: 2, rejected: 0 });
    expect(report.results[0]!.notes).toEqual([
      expect.stringMatching(/^subkey 2 skipped: version 5 keys are not supported/),
      expect.stringMatching(/^subkey 3 skipped: version 3 keys are not supported/),
      expect.stringMatching(/^subkey 4 skipped: version 42 keys are not supported/),
    ]);
    expect((await ctx.keyring.get(fingerprintOf(a)))!.summary.subkeys).toHaveLength(1);
  });

  it('keeps a validly self-signed Latin-1 user ID and shows its invalid bytes as \\xNN', async () => {
    const key = await newKey('Plain', 'plain@example.org');
    const latin1 = new Uint8Array(Buffer.from('Caf\xe9 M\xfcller <cafe@example.org>', 'latin1'));
    const uid = new openpgp.UserIDPacket();
    uid.read(latin1);
    uid.write = () => latin1;
    const cert = await signature(key, SigType.CertPositive, { key: key.keyPacket, userID: uid });
    const ctx = freshKeyring();
    const report = await ctx.importer.import(writePackets([...publicPackets(key), { tag: PacketTag.UserId, body: latin1 }, cert]), { origin: file });
    expect(report.results[0]!.status).toBe('new');
    const stored = readPackets(await ctx.keyring.readPublic(fingerprintOf(key)));
    expect(stored.some((p) => p.tag === PacketTag.UserId && Buffer.from(p.body).equals(Buffer.from(latin1)))).toBe(true);
    const summary = (await ctx.keyring.get(fingerprintOf(key)))!.summary;
    expect(summary.userIds.map((u) => u.userId)).toContain('Caf\\xe9 M\\xfcller <cafe@example.org>');
    expect(summary.userIds.find((u) => u.email === 'cafe@example.org')).toBeDefined();
    // And valid UTF-8 stays as it is.
    expect(summary.userIds.map((u) => u.userId)).toContain('Plain <plain@example.org>');
  });
});
