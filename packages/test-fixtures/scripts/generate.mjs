#!/usr/bin/env node
/**
 * Generates the checked-in OpenPGP fixtures in ../keys with openpgp.js and fixed creation dates.
 * Signatures contain randomness, so bytes differ between runs; the facts recorded in
 * keys/manifest.json (fingerprints, user IDs, dates) come from openpgp.js, not from keyport.
 *
 *   pnpm --filter @keyport/test-fixtures generate
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as openpgp from 'openpgp';
import { checksumLine, crc24 } from '../dist/checksum.js';

const out = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'keys');
mkdirSync(path.join(out, 'malformed'), { recursive: true });
const manifest = {};
const D = (s) => new Date(`${s}T00:00:00Z`);
const YEAR = 365 * 24 * 3600;

/**
 * Armor with a CRC line, so the bad-CRC fixture has something to contradict. The CRC-24 is the
 * fixtures' own (src/checksum.ts): test-fixtures must not depend on core (core's tests depend on
 * test-fixtures).
 */
function armor(bytes, kind = 'PUBLIC KEY BLOCK') {
  const b64 = Buffer.from(bytes).toString('base64').match(/.{1,64}/g);
  return [`-----BEGIN PGP ${kind}-----`, '', ...b64, checksumLine(crc24(bytes)), `-----END PGP ${kind}-----`, ''].join('\n');
}
const write = (name, text) => writeFileSync(path.join(out, name), text);

async function record(name, key, extra = {}) {
  const pub = key.toPublic();
  write(`${name}.pub.asc`, armor(pub.write()));
  manifest[name] = {
    file: `${name}.pub.asc`,
    fingerprint: key.getFingerprint().toUpperCase(),
    keyId: key.getKeyID().toHex().toUpperCase(),
    created: key.getCreationTime().toISOString(),
    userIds: key.users.filter((u) => u.userID).map((u) => u.userID.userID),
    subkeys: key.subkeys.map((s) => s.getFingerprint().toUpperCase()),
    ...extra,
  };
}

const gen = (opts) => openpgp.generateKey({ format: 'object', ...opts });

// RSA-4096 with two user IDs.
{
  const { privateKey } = await gen({
    type: 'rsa',
    rsaBits: 4096,
    userIDs: [{ name: 'Rita RSA', email: 'rita@example.org' }, { name: 'Rita at work', email: 'rita@work.example' }],
    date: D('2020-01-01'),
  });
  await record('rsa4096', privateKey);
}

// Ed25519 primary, Cv25519 encryption subkey, a signing subkey and three user IDs.
{
  const { privateKey } = await gen({
    type: 'ecc', curve: 'curve25519Legacy',
    userIDs: [{ name: 'Eddie Ed', email: 'eddie@example.org' }, { name: 'Eddie', email: 'eddie@home.example' }, { name: 'Eddie (no mail)' }],
    subkeys: [{}, { sign: true }],
    date: D('2021-03-01'),
  });
  await record('ed25519', privateKey);
}

// Expired: one-year validity from 2019.
{
  const { privateKey } = await gen({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'Old Timer', email: 'old@example.org' }], keyExpirationTime: YEAR, date: D('2019-01-01') });
  await record('expired', privateKey, { expires: new Date(D('2019-01-01').getTime() + YEAR * 1000).toISOString() });
}

// Revoked (key compromised), plus a key whose revocation certificate travels alone.
{
  const { privateKey } = await gen({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'Revoked Rob', email: 'rob@example.org' }], date: D('2020-06-01') });
  const { privateKey: revoked } = await openpgp.revokeKey({
    key: privateKey,
    reasonForRevocation: { flag: openpgp.enums.reasonForRevocation.keyCompromised, string: 'laptop stolen' },
    date: D('2021-06-01'),
    format: 'object',
  });
  await record('revoked', revoked, { revocationReason: 'laptop stolen' });

  const { privateKey: victim, revocationCertificate } = await gen({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'Soon Revoked', email: 'soon@example.org' }], date: D('2022-02-02') });
  await record('to-revoke', victim);
  // openpgp.js armors the certificate as a PUBLIC KEY BLOCK holding only the signature,
  // which is what Hockeypuck serves for hard-revoked keys.
  write('to-revoke.rev.asc', revocationCertificate);
}

// A subkey that expired while the primary lives on.
{
  const { privateKey } = await gen({
    type: 'ecc', curve: 'curve25519Legacy',
    userIDs: [{ name: 'Sub Expired', email: 'subexp@example.org' }],
    subkeys: [{ keyExpirationTime: YEAR }],
    date: D('2020-02-02'),
  });
  await record('expired-subkey', privateKey);
}

// One user ID revoked, one valid.
{
  const { privateKey } = await gen({
    type: 'ecc', curve: 'curve25519Legacy',
    userIDs: [{ name: 'Uma Valid', email: 'uma@example.org' }, { name: 'Uma Former', email: 'uma@former.example' }],
    date: D('2020-03-03'),
  });
  const idx = privateKey.users.findIndex((u) => u.userID?.email === 'uma@former.example');
  privateKey.users[idx] = await privateKey.users[idx].revoke(privateKey.keyPacket, { flag: openpgp.enums.reasonForRevocation.userIDInvalid, string: 'left the company' }, D('2021-03-03'));
  await record('revoked-uid', privateKey, { revokedUserId: 'Uma Former <uma@former.example>' });
}

// An older and a newer copy of one key: the newer adds a user ID, a subkey and revokes the old subkey.
{
  const { privateKey } = await gen({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'Paula Pair', email: 'paula@example.org' }], date: D('2022-01-01') });
  await record('pair-old', privateKey);
  const reformatted = await openpgp.reformatKey({
    privateKey,
    userIDs: [{ name: 'Paula Pair', email: 'paula@example.org' }, { name: 'Paula New', email: 'paula@new.example' }],
    date: D('2023-01-01'),
    format: 'object',
  });
  const newer = (await reformatted.privateKey.addSubkey({ date: D('2023-01-01') }));
  newer.subkeys[0] = await newer.subkeys[0].revoke(newer.keyPacket, { flag: openpgp.enums.reasonForRevocation.keySuperseded, string: 'rotated' }, D('2023-01-02'));
  await record('pair-new', newer);
}

// A secret key (passphrase "test") with two addresses, and one whose primary is a gnu-dummy stub.
{
  const { privateKey } = await gen({
    type: 'ecc', curve: 'curve25519Legacy',
    userIDs: [{ name: 'Sam Secret', email: 'sam@example.org' }, { name: 'Sam Secret', email: 'sam@work.example' }],
    date: D('2023-05-05'),
  });
  await record('secret', privateKey);
  const encrypted = await openpgp.encryptKey({ privateKey, passphrase: 'test' });
  write('secret.sec.asc', armor(encrypted.write(), 'PRIVATE KEY BLOCK'));
  manifest.secret.secretFile = 'secret.sec.asc';
  manifest.secret.passphrase = 'test';

  const { privateKey: offline } = await gen({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'Olga Offline', email: 'olga@example.org' }], date: D('2023-06-06') });
  await record('stub', offline);
  offline.keyPacket.makeDummy();
  write('stub.sec.asc', armor(offline.write(), 'PRIVATE KEY BLOCK'));
  manifest.stub.secretFile = 'stub.sec.asc';
}

// Malformed inputs.
{
  const good = (await import('node:fs')).readFileSync(path.join(out, 'ed25519.pub.asc'), 'utf8');
  const lines = good.split('\n');
  write('malformed/truncated.asc', lines.slice(0, Math.floor(lines.length / 2)).join('\n') + '\n');
  const body = lines.findIndex((l) => l === '') + 3;
  const damaged = [...lines];
  const l = damaged[body];
  damaged[body] = l.slice(0, 10) + (l[10] === 'A' ? 'B' : 'A') + l.slice(11);
  write('malformed/bad-crc.asc', damaged.join('\n'));
  write('malformed/garbage.bin', Buffer.from('This is not an OpenPGP key, just some text and \x00\x01\x02 bytes.\n'));
  write('malformed/signature-only.asc', (await import('node:fs')).readFileSync(path.join(out, 'to-revoke.rev.asc'), 'utf8'));
  const bin = (await openpgp.readKey({ armoredKey: good })).write();
  write('malformed/truncated.bin', Buffer.from(bin.subarray(0, bin.length - 20)));
}

writeFileSync(path.join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`wrote ${Object.keys(manifest).length} fixtures to ${out}`);
