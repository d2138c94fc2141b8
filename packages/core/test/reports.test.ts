import { describe, expect, it } from 'vitest';
import { mergeResultsByFingerprint } from '../src/import/merge-results.js';
import { serverEndpoint } from '../src/keyservers/endpoint.js';
import { hitAlgorithm, mergeHits } from '../src/keyservers/hits.js';
import { checkSettingsTogether, describeSetting, nearestKey, unknownSettingKeys } from '../src/settings-validate.js';
import { coreSettings } from '../src/settings.js';
import type { ImportResult } from '../src/keyring/types.js';
import type { SearchHit } from '../src/plugins/api.js';

const FPR = 'A'.repeat(40);
const added = (userIds: number, signatures = 0) => ({ userIds, subkeys: 0, signatures, revocations: 0 });

describe('one result per key', () => {
  it('copies of a new key are one new result whose counts add up; unrelated results stay', () => {
    const results: ImportResult[] = [
      { fingerprint: FPR, status: 'new', reason: null, added: added(2), userIds: ['a'] },
      { fingerprint: null, status: 'rejected', reason: 'damaged', added: added(0) },
      { fingerprint: FPR, status: 'new', reason: null, added: added(1, 3), userIds: ['a', 'b'], secretKeysStored: 1 },
      { fingerprint: FPR, status: 'rejected', reason: 'no valid self-signature', added: added(0) },
    ];
    expect(mergeResultsByFingerprint(results)).toEqual([
      { fingerprint: FPR, status: 'new', reason: null, added: added(3, 3), userIds: ['a', 'b'], secretKeysStored: 1 },
      { fingerprint: null, status: 'rejected', reason: 'damaged', added: added(0) },
    ]);
  });

  it('an accepted copy outranks a rejected one', () => {
    const merged = mergeResultsByFingerprint<ImportResult>([
      { fingerprint: FPR, status: 'rejected', reason: 'not the requested key', added: added(0) },
      { fingerprint: FPR, status: 'unchanged', reason: null, added: added(0) },
    ]);
    expect(merged).toEqual([{ fingerprint: FPR, status: 'unchanged', reason: null, added: added(0) }]);
  });
});

describe('search hits', () => {
  const hit = (over: Partial<SearchHit>): SearchHit => ({ fingerprint: FPR, keyId: FPR.slice(24), algorithmId: 1, algorithm: 'rsa', bits: 4096, created: null, expires: null, revoked: false, expired: false, disabled: false, userIds: ['a'], source: 'http://h', ...over });

  it('name algorithms as list does, with size and curve apart', () => {
    expect(hitAlgorithm(hit({}))).toEqual({ algorithm: 'rsa4096', bits: 4096, curve: null });
    expect(hitAlgorithm(hit({ algorithmId: 22, algorithm: 'eddsa', bits: 256 }))).toEqual({ algorithm: 'ed25519', bits: 255, curve: 'ed25519' });
    expect(hitAlgorithm(hit({ algorithmId: 19, algorithm: 'ecdsa', bits: 384 }))).toEqual({ algorithm: 'nistp384', bits: 384, curve: 'nistp384' });
    expect(hitAlgorithm(hit({ algorithmId: 17, algorithm: 'dsa', bits: 1024 }))).toEqual({ algorithm: 'dsa1024', bits: 1024, curve: null });
  });

  it('one hit per fingerprint, every source listed, user IDs united', () => {
    const merged = mergeHits([hit({ source: 'http://h' }), hit({ source: 'wkd', algorithm: 'rsa4096', userIds: ['b'] }), hit({ fingerprint: 'B'.repeat(40), source: 'wkd' })]);
    expect(merged.map((h) => [h.fingerprint, h.algorithm, h.sources, h.userIds])).toEqual([
      [FPR, 'rsa4096', ['http://h', 'wkd'], ['a', 'b']],
      ['B'.repeat(40), 'rsa4096', ['wkd'], ['a']],
    ]);
  });
});

describe('servers by endpoint', () => {
  it('hkp and hkps name the http(s) endpoint they reach', () => {
    expect(serverEndpoint('hkps://Keys.OpenPGP.org')).toBe('https://keys.openpgp.org');
    expect(serverEndpoint('hkps://keys.openpgp.org:443/')).toBe('https://keys.openpgp.org');
    expect(serverEndpoint('hkp://keys.example.org')).toBe('http://keys.example.org:11371');
    expect(serverEndpoint('hkp://keys.example.org:80')).toBe('http://keys.example.org');
    expect(serverEndpoint('https://keys.example.org/pks/')).toBe('https://keys.example.org/pks');
  });
});

describe('settings checked together', () => {
  const values = (over: Record<string, unknown>) => (key: string) => (key in over ? over[key] : coreSettings.find((d) => d.key === key)!.default);

  it('the defaults agree with each other', () => {
    expect(checkSettingsTogether(values({}))).toEqual([]);
  });

  it('a default outside the list, an empty list and one endpoint twice are problems', () => {
    expect(checkSettingsTogether(values({ 'keyservers.default': 'https://elsewhere.example' }))).toMatchObject([{ key: 'keyservers.default', severity: 'error' }]);
    expect(checkSettingsTogether(values({ 'keyservers.list': [] }))).toMatchObject([{ key: 'keyservers.list', severity: 'error' }]);
    expect(checkSettingsTogether(values({ 'keyservers.list': ['https://keyserver.ubuntu.com', 'hkps://keyserver.ubuntu.com'] }))).toMatchObject([{ key: 'keyservers.list', severity: 'warning' }]);
    // The same endpoint under another scheme is the listed server.
    expect(checkSettingsTogether(values({ 'keyservers.default': 'hkps://keyserver.ubuntu.com' }))).toEqual([]);
  });

  it('unknown keys come with the nearest known key; module namespaces are known', () => {
    const known = coreSettings.map((d) => d.key);
    expect(unknownSettingKeys({ netwrk: 1, network: { timeoutMS: 1, timeoutMs: 2 }, wkd: { connectTo: {} }, modules: { x: true } }, known, ['wkd'])).toEqual([
      { key: 'netwrk', nearest: 'network' },
      { key: 'network.timeoutMS', nearest: 'network.timeoutMs' },
    ]);
    expect(nearestKey('completely-different', known)).toBeUndefined();
  });

  it('config list learns type and allowed values from the schema', () => {
    const describe = (key: string) => describeSetting(coreSettings.find((d) => d.key === key)!);
    expect(describe('network.timeoutMs')).toEqual({ type: 'integer', allowed: '100..600000' });
    expect(describe('import.maxBytes')).toEqual({ type: 'integer', allowed: '> 0' });
    expect(describe('keyservers.list')).toEqual({ type: 'list of URLs', allowed: null });
    expect(describe('modules')).toEqual({ type: 'object of booleans', allowed: null });
  });
});
