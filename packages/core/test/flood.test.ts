import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// The fixtures' CRC-24 is bit by bit (RFC 9580 §6.1): independent of the table-driven one under test.
import { crc24 as bitwiseCrc24, floodedKey, floodSignerCertificates } from '@keyport/test-fixtures';
import { crc24, EmbeddedKeyring, ErrorCodes, KeyportError, readPackets, splitCertificates } from '../src/index.js';
import { mergeCertificate, serializeCertificate } from '../src/openpgp/certificate.js';
import { readPacketsDroppingThirdParty } from '../src/openpgp/flood.js';
import { readPacketsLenient, writePackets } from '../src/openpgp/packets.js';
import { freshKeyring } from './helpers.js';

/** CVE-2019-13050 as reported: 150,000 certifications from 300 signers on one user ID (17.8 MB). */
const FLOOD = { certifications: 150_000, signers: 300 };

const file = { kind: 'file' as const, name: 'flooded.pgp' };
const read = (p: string) => new Uint8Array(readFileSync(p));

async function storedSignatureCount(keyring: EmbeddedKeyring, fingerprint: string): Promise<number> {
  const parts = await keyring.readStoredParts(fingerprint);
  return parts!.userIds.reduce((n, c) => n + c.sigs.length, 0) + parts!.direct.length;
}

describe('flooded keys (CVE-2019-13050)', () => {
  it('merges and serialises a user ID with 150,000 certifications without running out of stack', async () => {
    const key = floodedKey(FLOOD);
    const parts = splitCertificates(readPackets(read(key.binaryFile))).certificates[0]!.parts;
    const merged = await mergeCertificate(undefined, parts, { stripThirdParty: false });
    expect(merged.merged.userIds[0]!.sigs).toHaveLength(FLOOD.certifications + 1);
    const again = await mergeCertificate(merged.merged, parts, { stripThirdParty: false });
    expect(again.added).toEqual({ userIds: 0, subkeys: 0, signatures: 0, revocations: 0 });
    // Compared as one boolean: a deep equality of 17.8 MB element by element takes minutes.
    expect(Buffer.compare(serializeCertificate(merged.merged), read(key.binaryFile))).toBe(0);
  });

  it('a file import of the 150,000-certification key stores the clean key and says what it dropped', async () => {
    const key = floodedKey(FLOOD);
    const { keyring, importer } = freshKeyring();
    const report = await importer.import(read(key.binaryFile), { origin: file });
    expect(report.results).toHaveLength(1);
    expect(report.results[0]).toMatchObject({
      fingerprint: key.fingerprint,
      status: 'new',
      flooding: { dropped: FLOOD.certifications, userIds: 1, limit: 250 },
    });
    const stored = await keyring.readPublic(key.fingerprint);
    expect(Buffer.from(stored)).toEqual(readFileSync(key.cleanFile));
  });

  it('keeps the certifications of signers in the keyring on a flooded user ID, drops and counts the rest', async () => {
    const key = floodedKey({ certifications: 300, signers: 300 });
    const { keyring, importer } = freshKeyring();
    const known = [0, 7, 42, 299];
    await importer.import(floodSignerCertificates(key, known), { origin: { kind: 'file', name: 'signers.pgp' } });
    const report = await importer.import(read(key.binaryFile), { origin: file });
    expect(report.results[0]).toMatchObject({ status: 'new', flooding: { dropped: 300 - known.length, userIds: 1, limit: 250 } });
    const parts = (await keyring.readStoredParts(key.fingerprint))!;
    const issuers = parts.userIds[0]!.sigs.map((s) => Buffer.from(s.body).toString('hex'));
    expect(issuers).toHaveLength(1 + known.length);
    for (const i of known) {
      // Each kept certification names its signer's fingerprint in the hashed area.
      expect(issuers.some((hex) => hex.includes(key.signers[i]!.fingerprint.toLowerCase()))).toBe(true);
    }
  });

  it('keeps every certification of a user ID at or under the limit, as before', async () => {
    const key = floodedKey({ certifications: 250, signers: 50 });
    const { keyring, importer } = freshKeyring();
    const report = await importer.import(read(key.binaryFile), { origin: file });
    expect(report.results[0]!.status).toBe('new');
    expect(report.results[0]!.flooding).toBeUndefined();
    expect(await storedSignatureCount(keyring, key.fingerprint)).toBe(251);
  });

  it('the limit is a per-import option', async () => {
    const key = floodedKey({ certifications: 300, signers: 300 });
    const { keyring, importer } = freshKeyring();
    const report = await importer.import(read(key.binaryFile), { origin: file, maxCertificationsPerUserId: 1000 });
    expect(report.results[0]!.flooding).toBeUndefined();
    expect(await storedSignatureCount(keyring, key.fingerprint)).toBe(301);
  });

  it('a 24 MB armored server answer is screened to the clean key: the kept-size cap applies after screening', async () => {
    const key = floodedKey(FLOOD);
    const { keyring, importer } = freshKeyring();
    const answer = read(key.armoredFile);
    expect(answer.length).toBeGreaterThan(16 * 1024 * 1024);
    const origin = { kind: 'server' as const, url: 'http://127.0.0.1/', query: key.fingerprint };
    const report = await importer.import(answer, { origin, maxBytes: 64 * 1024 * 1024, maxKeptBytes: 16 * 1024 * 1024 });
    expect(report.results[0]).toMatchObject({ fingerprint: key.fingerprint, status: 'new' });
    expect(Buffer.from(await keyring.readPublic(key.fingerprint))).toEqual(readFileSync(key.cleanFile));
  });

  it('frames a server answer dropping third-party signatures as it reads, with the same framing errors', () => {
    const key = floodedKey({ certifications: 300, signers: 300 });
    const flooded = read(key.binaryFile);
    const screened = readPacketsDroppingThirdParty(flooded);
    expect(screened.error).toBeUndefined();
    expect(screened.dropped).toBe(300);
    expect(Buffer.compare(writePackets(screened.packets), read(key.cleanFile))).toBe(0);
    // The signers' own certificates are all self-signed: nothing is dropped.
    const signers = floodSignerCertificates(key, [0, 1, 2]);
    expect(readPacketsDroppingThirdParty(signers)).toMatchObject({ dropped: 0 });
    expect(readPacketsDroppingThirdParty(signers).packets).toHaveLength(9);
    const cut = flooded.subarray(0, flooded.length - 5);
    expect(readPacketsDroppingThirdParty(cut).error?.offset).toBe(readPacketsLenient(cut).error?.offset);
    expect(readPacketsDroppingThirdParty(cut).error?.message).toBe('truncated packet');
  });

  it('the four-bytes-a-step CRC-24 agrees with a bit-by-bit one at every length and alignment', () => {
    const data = read(floodedKey({ certifications: 300, signers: 300 }).armoredFile);
    for (let start = 0; start < 4; start++) {
      for (const length of [0, 1, 2, 3, 4, 5, 7, 64, 1001, data.length - start]) {
        const slice = data.subarray(start, start + length);
        expect(crc24(slice), `${start}+${length}`).toBe(bitwiseCrc24(slice));
      }
    }
  });

  it('refuses a server answer over the raw cap, or whose kept part is over the kept cap, and stores nothing', async () => {
    const key = floodedKey({ certifications: 300, signers: 300 });
    const { keyring, importer } = freshKeyring();
    const origin = { kind: 'server' as const, url: 'http://127.0.0.1/', query: key.fingerprint };
    const answer = read(key.armoredFile);
    const raw = await importer.import(answer, { origin, maxBytes: answer.length - 1, maxKeptBytes: 1 << 20 }).catch((e: unknown) => e);
    expect(raw).toBeInstanceOf(KeyportError);
    expect((raw as KeyportError).code).toBe(ErrorCodes.InputTooLarge);
    const kept = await importer.import(answer, { origin, maxBytes: 1 << 20, maxKeptBytes: 100 }).catch((e: unknown) => e);
    expect(kept).toBeInstanceOf(KeyportError);
    expect((kept as KeyportError).code).toBe(ErrorCodes.ResponseTooLarge);
    expect((kept as KeyportError).message).toMatch(/after .*third-party/);
    expect(await keyring.count()).toBe(0);
  });
});
