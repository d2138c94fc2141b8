import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Folder holding the generated fixture keys (see scripts/generate.mjs). */
export const KEYS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'keys');

export interface FixtureKey {
  file: string;
  fingerprint: string;
  keyId: string;
  created: string;
  userIds: string[];
  subkeys: string[];
  expires?: string;
  secretFile?: string;
  passphrase?: string;
  revocationReason?: string;
  revokedUserId?: string;
}

export type FixtureName =
  | 'rsa4096'
  | 'ed25519'
  | 'expired'
  | 'revoked'
  | 'to-revoke'
  | 'expired-subkey'
  | 'revoked-uid'
  | 'pair-old'
  | 'pair-new'
  | 'secret'
  | 'stub';

/** Facts about each fixture, recorded by openpgp.js when it was generated. */
export const manifest = JSON.parse(readFileSync(path.join(KEYS_DIR, 'manifest.json'), 'utf8')) as Record<FixtureName, FixtureKey>;

export function fixturePath(relative: string): string {
  return path.join(KEYS_DIR, relative);
}

export function fixtureBytes(relative: string): Uint8Array {
  return new Uint8Array(readFileSync(fixturePath(relative)));
}

/** The armored public certificate of a named fixture key. */
export function fixtureArmored(name: FixtureName): string {
  return readFileSync(fixturePath(manifest[name].file), 'utf8');
}

export const malformed = {
  truncatedArmor: 'malformed/truncated.asc',
  badCrc: 'malformed/bad-crc.asc',
  garbage: 'malformed/garbage.bin',
  signatureOnly: 'malformed/signature-only.asc',
  truncatedBinary: 'malformed/truncated.bin',
} as const;

/** The Debian keyring used by the oracle tests and benchmarks (package debian-keyring). */
export const DEBIAN_KEYRING = '/usr/share/keyrings/debian-keyring.gpg';

export * from './gpg.js';
export * from './sks.js';
export * from './hkp-fixture.js';
export * from './hagrid-fixture.js';
export * from './tls.js';
export * from './wkd-fixture.js';
export * from './demo.js';
export * from './hostile.js';
export * from './flood.js';
export * from './socks-fixture.js';
export { closedLoopbackPort, listenOnLoopback, startAnsweringServer } from './listen.js';
export { crc24 } from './checksum.js';
