import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { fixtureBytes, malformed, manifest } from '@keyport/test-fixtures';
import {
  EmbeddedKeyring,
  ErrorCodes,
  KeyportError,
  armorPublicKey,
  dearmorAll,
  inspectSignature,
  keyMaterial,
  readPackets,
  writePackets,
  PacketTag,
} from '../src/index.js';
import { packetsContained } from '../src/openpgp/packets.js';
import { freshKeyring, snapshot } from './helpers.js';



const file = (name: string) => ({ kind: 'file' as const, name });

describe('embedded keyring and import pipeline', () => {
  let ctx: ReturnType<typeof freshKeyring>;
  beforeEach(() => {
    ctx = freshKeyring();
  });

  it('imports each fixture as new with the facts openpgp.js recorded', async () => {
    for (const name of ['rsa4096', 'ed25519', 'expired', 'revoked', 'expired-subkey', 'revoked-uid'] as const) {
      const fx = manifest[name];
      const report = await ctx.importer.import(fixtureBytes(fx.file), { origin: file(fx.file) });
      expect(report.results).toHaveLength(1);
      expect(report.results[0]).toMatchObject({ fingerprint: fx.fingerprint, status: 'new', reason: null });
      const rec = await ctx.keyring.get(fx.fingerprint);
      expect(rec?.summary.keyId).toBe(fx.keyId);
      expect(rec?.summary.created).toBe(fx.created);
      expect(rec?.summary.userIds.map((u) => u.userId).sort()).toEqual([...fx.userIds].sort());
      expect(rec?.summary.subkeys.map((s) => s.fingerprint).sort()).toEqual([...fx.subkeys].sort());
    }
    expect(await ctx.keyring.count()).toBe(6);
    const expired = await ctx.keyring.list('expired');
    expect(expired.map((r) => r.summary.fingerprint)).toEqual([manifest.expired.fingerprint]);
    expect(expired[0]!.summary.expires).toBe(manifest.expired.expires);
    const revoked = await ctx.keyring.list('revoked');
    expect(revoked.map((r) => r.summary.fingerprint)).toEqual([manifest.revoked.fingerprint]);
    expect(revoked[0]!.summary.revocation).toMatchObject({ code: 2, reason: 'laptop stolen' });
    const uidRec = await ctx.keyring.get(manifest['revoked-uid'].fingerprint);
    const former = uidRec!.summary.userIds.find((u) => u.userId === manifest['revoked-uid'].revokedUserId);
    expect(former).toMatchObject({ revoked: true, revocation: { code: 32, reason: 'left the company' } });
    expect(uidRec!.summary.userIds.find((u) => u !== former)!.revoked).toBe(false);
    const subExp = await ctx.keyring.get(manifest['expired-subkey'].fingerprint);
    expect(subExp!.summary.subkeys[0]!.expired).toBe(true);
    expect(subExp!.summary.expires).toBeNull();
    const ed = await ctx.keyring.get(manifest.ed25519.fingerprint);
    expect(ed!.summary.algorithm).toBe('ed25519');
    expect(ed!.summary.subkeys.map((s) => [s.algorithm, s.usage.join(',')]).sort()).toEqual([
      ['cv25519', 'encrypt'],
      ['ed25519', 'sign'],
    ]);
    const rsa = await ctx.keyring.get(manifest.rsa4096.fingerprint);
    expect([rsa!.summary.algorithm, rsa!.summary.bits]).toEqual(['rsa4096', 4096]);
  });

  it('re-importing reports unchanged and changes no byte of the keyring', async () => {
    const input = fixtureBytes(manifest.ed25519.file);
    await ctx.importer.import(input, { origin: file('a') });
    const before = snapshot(ctx.dir);
    const again = await ctx.importer.import(input, { origin: file('a') });
    expect(again.summary).toEqual({ new: 0, updated: 0, unchanged: 1, rejected: 0 });
    expect(snapshot(ctx.dir)).toEqual(before);
  });

  it('merges an older and a newer copy in either order without losing the newer parts', async () => {
    const older = fixtureBytes(manifest['pair-old'].file);
    const newer = fixtureBytes(manifest['pair-new'].file);
    expect((await ctx.importer.import(older, { origin: file('old') })).results[0]!.status).toBe('new');
    const up = await ctx.importer.import(newer, { origin: file('new') });
    expect(up.results[0]).toMatchObject({ status: 'updated' });
    expect(up.results[0]!.added.userIds).toBe(1);
    expect(up.results[0]!.added.subkeys).toBe(1);
    expect(up.results[0]!.added.revocations).toBe(1);
    const merged = snapshot(ctx.dir);
    const back = await ctx.importer.import(older, { origin: file('old') });
    expect(back.results[0]!.status).toBe('unchanged');
    expect(snapshot(ctx.dir)).toEqual(merged);
    const rec = await ctx.keyring.get(manifest['pair-old'].fingerprint);
    expect(rec!.summary.userIds.map((u) => u.userId).sort()).toEqual([...manifest['pair-new'].userIds].sort());
    expect(rec!.summary.subkeys.find((s) => s.fingerprint === manifest['pair-old'].subkeys[0])!.revoked).toBe(true);

    // The other order gives the same certificate.
    const other = freshKeyring();
    await other.importer.import(newer, { origin: file('new') });
    const down = await other.importer.import(older, { origin: file('old') });
    expect(down.results[0]!.status).toBe('updated');
    expect(down.results[0]!.added).toMatchObject({ userIds: 0, subkeys: 0, revocations: 0 });
    const a = (await other.keyring.get(manifest['pair-old'].fingerprint))!.summary;
    expect(a.userIds.length).toBe(2);
    expect(a.subkeys.length).toBe(2);
  });

  it('stores secret keys as they come and never exports them', async () => {
    const report = await ctx.importer.import(fixtureBytes(manifest.secret.secretFile!), { origin: file('sec') });
    expect(report.results[0]).toMatchObject({ status: 'new', fingerprint: manifest.secret.fingerprint, secretKeysStored: 2 });
    const rec = await ctx.keyring.get(manifest.secret.fingerprint);
    expect(rec).toMatchObject({ hasSecret: true, secretPrimary: 'present' });
    const pub = await ctx.keyring.readPublic(manifest.secret.fingerprint);
    const tags = readPackets(pub).map((p) => p.tag);
    expect(tags).not.toContain(PacketTag.SecretKey);
    expect(tags).not.toContain(PacketTag.SecretSubkey);
    expect(await ctx.keyring.list('secret')).toHaveLength(1);
    expect(await ctx.keyring.list('public')).toHaveLength(0);
    // The stored secret file is the encrypted packet exactly as imported.
    const stored = readPackets(readFileSync(path.join(ctx.dir, 'secret', `${manifest.secret.fingerprint}.pgp`)));
    expect(stored.every((p) => p.tag === PacketTag.SecretKey || p.tag === PacketTag.SecretSubkey)).toBe(true);
    expect(stored[0]!.body[stored[0]!.body.length - 1]).toBeDefined();

    await ctx.importer.import(fixtureBytes(manifest.stub.secretFile!), { origin: file('stub') });
    expect(await ctx.keyring.get(manifest.stub.fingerprint)).toMatchObject({ hasSecret: true, secretPrimary: 'stub' });
  });

  it('refuses secret material and keys that were not asked for when the source is a server', async () => {
    const secret = await ctx.importer.import(fixtureBytes(manifest.secret.secretFile!), {
      origin: { kind: 'server', url: 'https://example.invalid', query: manifest.secret.fingerprint },
    });
    expect(secret.results[0]).toMatchObject({ status: 'rejected' });
    expect(secret.results[0]!.reason).toMatch(/secret key material/);
    const wrong = await ctx.importer.import(fixtureBytes(manifest.ed25519.file), {
      origin: { kind: 'server', url: 'https://example.invalid', query: manifest.rsa4096.fingerprint },
    });
    expect(wrong.results[0]!.status).toBe('rejected');
    expect(wrong.results[0]!.reason).toMatch(/does not match/);
    const bySubkey = await ctx.importer.import(fixtureBytes(manifest.ed25519.file), {
      origin: { kind: 'server', url: 'https://example.invalid', query: manifest.ed25519.subkeys[1]! },
    });
    expect(bySubkey.results[0]!.status).toBe('new');
    const byEmail = await ctx.importer.import(fixtureBytes(manifest.rsa4096.file), {
      origin: { kind: 'server', url: 'https://example.invalid', query: 'nobody@example.org' },
    });
    expect(byEmail.results[0]!.status).toBe('rejected');
    expect(await ctx.keyring.count()).toBe(1);
  });

  it('attaches a lone revocation certificate to the key it revokes, and rejects it otherwise', async () => {
    const rev = fixtureBytes('to-revoke.rev.asc');
    const alone = await ctx.importer.import(rev, { origin: file('rev') });
    expect(alone.results[0]!.status).toBe('rejected');
    await ctx.importer.import(fixtureBytes(manifest['to-revoke'].file), { origin: file('key') });
    expect((await ctx.keyring.get(manifest['to-revoke'].fingerprint))!.summary.revoked).toBe(false);
    const applied = await ctx.importer.import(rev, { origin: file('rev') });
    expect(applied.results[0]).toMatchObject({ status: 'updated', fingerprint: manifest['to-revoke'].fingerprint });
    expect(applied.results[0]!.added.revocations).toBe(1);
    expect((await ctx.keyring.get(manifest['to-revoke'].fingerprint))!.summary.revoked).toBe(true);
  });

  it.each([
    ['truncated armor', malformed.truncatedArmor, ErrorCodes.InputMalformed],
    ['bad CRC', malformed.badCrc, ErrorCodes.InputMalformed],
    ['garbage', malformed.garbage, ErrorCodes.InputMalformed],
    ['truncated binary', malformed.truncatedBinary, ErrorCodes.InputMalformed],
  ])('rejects %s with a coded error and leaves the keyring unchanged', async (_label, name, code) => {
    await ctx.importer.import(fixtureBytes(manifest.ed25519.file), { origin: file('ok') });
    const before = snapshot(ctx.dir);
    const error = await ctx.importer.import(fixtureBytes(name), { origin: file(name) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeyportError);
    expect((error as KeyportError).code).toBe(code);
    expect((error as KeyportError).message).not.toContain('\n');
    expect(snapshot(ctx.dir)).toEqual(before);
  });

  it('refuses empty and oversized inputs', async () => {
    await expect(ctx.importer.import(new Uint8Array(), { origin: file('e') })).rejects.toMatchObject({ code: ErrorCodes.InputEmpty });
    await expect(ctx.importer.import(fixtureBytes(manifest.ed25519.file), { origin: file('big'), maxBytes: 10 })).rejects.toMatchObject({ code: ErrorCodes.InputTooLarge });
  });

  it('finds keys by fingerprint, key ID, subkey ID and email, and refuses short IDs', async () => {
    await ctx.importer.import(fixtureBytes(manifest.ed25519.file), { origin: file('a') });
    await ctx.importer.import(fixtureBytes(manifest.rsa4096.file), { origin: file('b') });
    const fx = manifest.ed25519;
    const spaced = fx.fingerprint.replace(/(.{4})/g, '$1 ');
    for (const q of [fx.fingerprint, fx.fingerprint.toLowerCase(), `0x${fx.keyId}`, spaced, fx.subkeys[0]!, fx.subkeys[0]!.slice(-16), 'EDDIE@example.org', 'Eddie <eddie@home.example>']) {
      expect((await ctx.keyring.resolve(q)).summary.fingerprint).toBe(fx.fingerprint);
    }
    await expect(ctx.keyring.resolve(fx.keyId.slice(-8))).rejects.toMatchObject({ code: ErrorCodes.KeyIdInvalid });
    await expect(ctx.keyring.resolve('nobody@example.org')).rejects.toMatchObject({ code: ErrorCodes.KeyNotFound });
  });

  it('exports an armored public key that round-trips through import', async () => {
    await ctx.importer.import(fixtureBytes(manifest['revoked-uid'].file), { origin: file('a') });
    const armored = armorPublicKey(await ctx.keyring.readPublic(manifest['revoked-uid'].fingerprint));
    const other = freshKeyring();
    const r = await other.importer.import(new TextEncoder().encode(armored), { origin: file('x') });
    expect(r.results[0]!.status).toBe('new');
    expect(await other.keyring.readPublic(manifest['revoked-uid'].fingerprint)).toEqual(await ctx.keyring.readPublic(manifest['revoked-uid'].fingerprint));
  });

  it('rebuilds a damaged index from the certificate files', async () => {
    await ctx.importer.import(fixtureBytes(manifest.ed25519.file), { origin: file('a') });
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path.join(ctx.dir, 'index.json'), '{not json');
    const reopened = new EmbeddedKeyring(ctx.dir);
    await expect(reopened.list()).rejects.toMatchObject({ code: ErrorCodes.KeyringCorrupt });
    expect(await reopened.rebuildIndex()).toEqual({ keys: 1, damaged: [] });
    expect((await reopened.list())[0]!.summary.fingerprint).toBe(manifest.ed25519.fingerprint);
  });

  it('deletes public keys, and secret keys only when told', async () => {
    await ctx.importer.import(fixtureBytes(manifest.secret.secretFile!), { origin: file('s') });
    await expect(ctx.keyring.delete(manifest.secret.fingerprint)).rejects.toMatchObject({ code: ErrorCodes.Usage });
    await ctx.keyring.delete(manifest.secret.fingerprint, { secret: true });
    expect(await ctx.keyring.count()).toBe(0);
    expect(readdirSync(path.join(ctx.dir, 'secret'))).toEqual([]);
  });
});

describe('server imports', () => {
  const debianFirstCert = () => {
    const packets = readPackets(readFileSync('/usr/share/keyrings/debian-keyring.gpg'));
    const next = packets.findIndex((p, i) => i > 0 && p.tag === PacketTag.PublicKey);
    return packets.slice(0, next);
  };

  it('strips third-party certifications by default and keeps them when the setting is off', async () => {
    const cert = debianFirstCert();
    const primaryKeyId = keyMaterial(cert[0]!).keyId;
    const thirdParty = (packets: ReturnType<typeof readPackets>) =>
      packets.filter((p) => p.tag === PacketTag.Signature && inspectSignature(p.body)?.issuerKeyId !== primaryKeyId).length;
    expect(thirdParty(cert)).toBeGreaterThan(0);
    const fpr = keyMaterial(cert[0]!).fingerprint;
    const origin = { kind: 'server' as const, url: 'https://example.invalid', query: fpr };
    const stripped = freshKeyring();
    const r = await stripped.importer.import(writePackets(cert), { origin });
    expect(r.results[0]!.status).toBe('new');
    expect(thirdParty(readPackets(await stripped.keyring.readPublic(fpr)))).toBe(0);
    const kept = freshKeyring();
    await kept.importer.import(writePackets(cert), { origin, stripThirdParty: false });
    expect(thirdParty(readPackets(await kept.keyring.readPublic(fpr)))).toBe(thirdParty(cert));
  });

  it('accepts a copy without user IDs (as Hagrid serves it) and drops nothing local when merging it', async () => {
    const ctx = freshKeyring();
    const full = readPackets(dearmorAll(fixtureBytes(manifest.ed25519.file)));
    const noUids: typeof full = [];
    let inUid = false;
    for (const p of full) {
      if (p.tag === PacketTag.UserId) inUid = true;
      else if (p.tag !== PacketTag.Signature) inUid = false;
      if (!inUid) noUids.push(p);
    }
    const origin = { kind: 'server' as const, url: 'https://example.invalid', query: manifest.ed25519.fingerprint };
    const lone = await ctx.importer.import(writePackets(noUids), { origin });
    expect(lone.results[0]).toMatchObject({ status: 'new', fingerprint: manifest.ed25519.fingerprint });
    expect((await ctx.keyring.get(manifest.ed25519.fingerprint))!.summary.userIds).toEqual([]);
    await ctx.importer.import(fixtureBytes(manifest.ed25519.file), { origin: file('full') });
    const before = snapshot(ctx.dir);
    const again = await ctx.importer.import(writePackets(noUids), { origin });
    expect(again.results[0]!.status).toBe('unchanged');
    expect(snapshot(ctx.dir)).toEqual(before);
    expect((await ctx.keyring.get(manifest.ed25519.fingerprint))!.summary.userIds).toHaveLength(3);
  });
});

describe('packet containment (the merge fast path)', () => {
  const cert = () => dearmorAll(fixtureBytes(manifest['to-revoke'].file));
  const revocation = () => readPackets(dearmorAll(fixtureBytes('to-revoke.rev.asc')));

  it('holds for the same packets in another order and with other headers', () => {
    const packets = readPackets(cert());
    const reordered = writePackets([...packets].reverse());
    // Old-format headers (tag << 2, four-byte length) for the same bodies.
    const oldFormat = Buffer.concat(
      packets.map((p) => {
        const head = Buffer.alloc(5);
        head[0] = 0x80 | (p.tag << 2) | 2;
        head.writeUInt32BE(p.body.length, 1);
        return Buffer.concat([head, Buffer.from(p.body)]);
      }),
    );
    expect(packetsContained(cert(), reordered)).toBe(true);
    expect(packetsContained(cert(), oldFormat)).toBe(true);
  });

  it('fails for a copy with one packet more, or with one byte changed', () => {
    const packets = readPackets(cert());
    expect(packetsContained(cert(), writePackets([...packets, ...revocation()]))).toBe(false);
    const damaged = packets.map((p) => ({ tag: p.tag, body: new Uint8Array(p.body) }));
    damaged[1]!.body[damaged[1]!.body.length - 1]! ^= 1;
    expect(packetsContained(cert(), writePackets(damaged))).toBe(false);
  });

  it('fails for a packet that differs only in the middle (same tag, length and last bytes)', () => {
    const packets = readPackets(cert());
    for (const order of ['same', 'reversed'] as const) {
      const damaged = packets.map((p) => ({ tag: p.tag, body: new Uint8Array(p.body) }));
      const target = damaged.find((p) => p.tag === PacketTag.Signature)!;
      target.body[Math.floor(target.body.length / 2)]! ^= 1;
      expect(packetsContained(cert(), writePackets(order === 'same' ? damaged : damaged.reverse()))).toBe(false);
    }
  });

  it('keyring.holds: true only for answers whose every packet is stored', async () => {
    const { keyring, importer } = freshKeyring();
    const fpr = manifest['to-revoke'].fingerprint;
    expect(await keyring.holds(fpr, cert())).toBe(false); // not stored yet
    await importer.import(cert(), { origin: { kind: 'file', name: 'x' } });
    const packets = readPackets(cert());
    const armored = new TextEncoder().encode(armorPublicKey(writePackets([...packets].reverse())));
    expect(await keyring.holds(fpr, cert())).toBe(true);
    expect(await keyring.holds(fpr.toLowerCase(), armored)).toBe(true);
    // A wrong checksum line over the same packets changes nothing that would be imported.
    const wrongChecksum = armorPublicKey(cert()).replace(/\n=(.)(...)\n/, (_, c: string, rest: string) => `\n=${c === 'A' ? 'B' : 'A'}${rest}\n`);
    expect(wrongChecksum).not.toBe(armorPublicKey(cert()));
    expect(await keyring.holds(fpr, new TextEncoder().encode(wrongChecksum))).toBe(true);
    // Anything new, cut off or unreadable is left to the checked import.
    expect(await keyring.holds(fpr, writePackets([...packets, ...revocation()]))).toBe(false);
    const truncated = armorPublicKey(cert()).split('-----END')[0]!;
    expect(await keyring.holds(fpr, new TextEncoder().encode(truncated))).toBe(false);
    expect(await keyring.holds(fpr, writePackets(packets).subarray(0, 40))).toBe(false);
    expect(await keyring.holds(fpr, new TextEncoder().encode('<html>busy</html>'))).toBe(false);
    expect(await keyring.holds(fpr, new Uint8Array())).toBe(false);
    expect(await keyring.holds(manifest.ed25519.fingerprint, cert())).toBe(false);
  });

  it('lets an import that brings nothing new leave every file alone, and one that does still merge', async () => {
    const { dir, keyring, importer } = freshKeyring();
    const origin = { origin: { kind: 'file' as const, name: 'x' } };
    await importer.import(cert(), origin);
    const before = snapshot(dir);
    const again = await importer.import(writePackets(readPackets(cert())), origin);
    expect(again.summary).toMatchObject({ unchanged: 1 });
    expect(snapshot(dir)).toEqual(before);
    const [primary, ...rest] = readPackets(cert());
    const revoked = await importer.import(writePackets([primary!, ...revocation(), ...rest]), origin);
    expect(revoked.results[0]).toMatchObject({ status: 'updated', added: { revocations: 1 } });
    expect((await keyring.resolve(manifest['to-revoke'].fingerprint)).summary.revoked).toBe(true);
  });
});
