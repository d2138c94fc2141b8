import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes, HttpTransport, dearmorAll, readPackets, splitCertificates, emailOf } from '@keyport/core';
import { fixtureArmored, fixtureWkdHash, manifest, startWkdFixture, type RunningWkdFixture } from '@keyport/test-fixtures';
import { WkdClient, parsePolicy, selectForAddress, wkdHash, wkdLocations } from '../src/index.js';

const uidsOf = (bytes: Uint8Array) =>
  splitCertificates(readPackets(bytes)).certificates.map((c) => c.parts.userIds.map((u) => Buffer.from(u.packet.body).toString('utf8')));

describe('WKD hash', () => {
  it('matches the published test vectors', () => {
    expect(wkdHash('test1')).toBe('stnkabub89rpcphiz4ppbxixkwyt1pic');
    expect(wkdHash('mail')).toBe('dizb37aqa5h4skgu7jf1xjr4q71w4paq');
    // The draft's example; ASCII upper case is lowered before hashing.
    expect(wkdHash('Joe.Doe')).toBe('iy9q119eutrkn8s1mk4r39qejnbu3n5q');
    expect(wkdHash('Joe.Doe')).toBe(wkdHash('joe.doe'));
  });

  it('lowers ASCII only, always gives 32 characters, and agrees with the fixture server', () => {
    expect(wkdHash('ÄLICE')).not.toBe(wkdHash('älice'));
    expect(wkdHash('ÄLICE')).toBe(wkdHash('Älice'));
    for (const local of ['a', 'rita', 'Very.Long+Tag_Local-Part.123', 'ünïcode']) {
      expect(wkdHash(local)).toHaveLength(32);
      expect(wkdHash(local)).toBe(fixtureWkdHash(local));
    }
  });

  it('builds both URLs with the domain lowercased and the local part escaped in ?l=', () => {
    const where = wkdLocations('Joe.Doe@Example.ORG');
    expect(where.advanced.key.href).toBe('https://openpgpkey.example.org/.well-known/openpgpkey/example.org/hu/iy9q119eutrkn8s1mk4r39qejnbu3n5q?l=Joe.Doe');
    expect(where.direct.key.href).toBe('https://example.org/.well-known/openpgpkey/hu/iy9q119eutrkn8s1mk4r39qejnbu3n5q?l=Joe.Doe');
    expect(where.direct.policy.href).toBe('https://example.org/.well-known/openpgpkey/policy');
    expect(() => wkdLocations('not-an-address')).toThrow(/not an email address/);
  });
});

describe('WKD policy file', () => {
  it('reads keywords with and without values, comments and case', () => {
    expect(parsePolicy('# comment\nMailbox-Only\nprotocol-version: 5\n\nsubmission-address: key-submission@example.org # why\nnonsense line here\n')).toEqual({
      'mailbox-only': true,
      'protocol-version': '5',
      'submission-address': 'key-submission@example.org',
    });
    expect(parsePolicy('')).toEqual({});
  });
});

describe('WKD client against a TLS fixture', () => {
  let wkd: RunningWkdFixture;
  let client: WkdClient;
  beforeAll(async () => {
    wkd = await startWkdFixture({
      'example.org': { method: 'advanced', policy: 'protocol-version: 5\n', keys: { rita: [fixtureArmored('rsa4096')], nobody: [fixtureArmored('ed25519')], empty: [] } },
      'work.example': { method: 'direct', keys: { rita: [fixtureArmored('rsa4096')] } },
      'wild.example': { method: 'direct', wildcardSubdomain: true, keys: { eddie: [fixtureArmored('ed25519')] } },
      'both.example': { method: 'advanced', keys: { x: [fixtureArmored('rsa4096'), fixtureArmored('ed25519')] } },
    });
    const http = new HttpTransport({ timeoutMs: 10_000, connectTimeoutMs: 5_000, maxBytes: 1 << 20, perHostConcurrency: 4, userAgent: 'test', ca: wkd.pki.caPem, env: {} });
    client = new WkdClient(http, () => wkd.connectTo);
  });
  afterAll(() => wkd.stop());

  it('advanced method: fetches from openpgpkey.<domain> and keeps only the queried user ID', async () => {
    const found = await client.lookup('rita@example.org');
    expect(found).toMatchObject({ method: 'advanced', url: expect.stringContaining('https://openpgpkey.example.org/.well-known/openpgpkey/example.org/hu/') });
    expect(uidsOf(found!.bytes)).toEqual([['Rita RSA <rita@example.org>']]);
    expect(wkd.requests.some((r) => r.startsWith('example.org '))).toBe(false);
  });

  it('direct method when the openpgpkey subdomain does not exist', async () => {
    const found = await client.lookup('Rita@Work.Example');
    expect(found).toMatchObject({ method: 'direct', url: expect.stringContaining('https://work.example/.well-known/openpgpkey/hu/') });
    expect(uidsOf(found!.bytes)).toEqual([['Rita at work <rita@work.example>']]);
  });

  it('direct method when the subdomain exists but has neither key nor policy (wildcard DNS)', async () => {
    const found = await client.lookup('eddie@wild.example');
    expect(found?.method).toBe('direct');
    expect(wkd.requests).toContain('openpgpkey.wild.example /.well-known/openpgpkey/wild.example/policy');
  });

  it('an advanced WKD without the key is "not found", and the direct method is not tried', async () => {
    const before = wkd.requests.length;
    expect(await client.lookup('ghost@example.org')).toBeNull();
    expect(wkd.requests.slice(before).every((r) => r.startsWith('openpgpkey.example.org '))).toBe(true);
  });

  it('passes a certificate without the address on untouched (import screening rejects it)', async () => {
    const found = await client.lookup('nobody@example.org');
    expect(uidsOf(found!.bytes)).toEqual([manifest.ed25519.userIds]);
  });

  it('several certificates in one answer; search lists only those carrying the address, marked with the source', async () => {
    const hits = await client.search('x@both.example');
    expect(hits).toEqual([]);
    const rita = await client.search('rita@example.org');
    expect(rita).toHaveLength(1);
    expect(rita[0]).toMatchObject({ fingerprint: manifest.rsa4096.fingerprint, userIds: ['Rita RSA <rita@example.org>'], source: expect.stringMatching(/^wkd \(advanced\) https:\/\//) });
  });

  it('reads the policy file under either method', async () => {
    expect(await client.policy('rita@example.org')).toEqual({ method: 'advanced', policy: { 'protocol-version': '5' } });
    expect(await client.policy('rita@work.example')).toBeNull();
  });

  it('is HTTPS only and checks the certificate: a client without the test CA refuses the server', async () => {
    const untrusting = new WkdClient(new HttpTransport({ timeoutMs: 5_000, connectTimeoutMs: 5_000, maxBytes: 1 << 20, perHostConcurrency: 4, userAgent: 'test', env: {} }), () => wkd.connectTo);
    await expect(untrusting.lookup('rita@example.org')).rejects.toMatchObject({ code: ErrorCodes.NetworkUnreachable, message: expect.stringMatching(/failed the TLS check/) });
  });
});

describe('selectForAddress', () => {
  it('keeps every certificate, cut to the address where it has it', () => {
    const both = Buffer.concat([dearmorAll(Buffer.from(fixtureArmored('rsa4096'))), dearmorAll(Buffer.from(fixtureArmored('ed25519')))]);
    const out = selectForAddress(both, 'eddie@home.example');
    const uids = uidsOf(out);
    expect(uids[0]).toEqual(manifest.rsa4096.userIds);
    expect(uids[1]!.map((u) => emailOf(u))).toEqual(['eddie@home.example']);
  });
});
