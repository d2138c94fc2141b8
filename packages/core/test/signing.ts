import * as openpgp from 'openpgp';
import { PacketTag, readPackets, type RawPacket } from '../src/index.js';

/** When test keys are made, and when their signatures are: fixed, so inputs are the same on every run. */
export const CREATED = new Date('2025-01-01T00:00:00Z');
export const SIGNED = new Date('2025-01-02T00:00:00Z');

/** A new Curve25519 key with one user ID. */
export async function newKey(name: string, email = `${name.toLowerCase()}@example.org`): Promise<openpgp.PrivateKey> {
  const { privateKey } = await openpgp.generateKey({ type: 'curve25519', userIDs: [{ name, email }], format: 'object', date: CREATED });
  return privateKey;
}

/** A real signature by `signer` of `type` over `data` (openpgp.js's sign inputs), `fill` setting its subpackets. */
export async function signature(
  signer: openpgp.PrivateKey,
  type: number,
  data: Record<string, unknown>,
  fill: (sig: openpgp.SignaturePacket) => void = () => {},
): Promise<RawPacket> {
  const sig = new openpgp.SignaturePacket();
  sig.signatureType = type as openpgp.enums.signature;
  sig.publicKeyAlgorithm = signer.keyPacket.algorithm;
  sig.hashAlgorithm = openpgp.enums.hash.sha256;
  fill(sig);
  // The typings omit sign()'s fifth parameter, which the implementation reads.
  const sign = sig.sign.bind(sig) as (key: unknown, data: unknown, date: Date, detached: boolean, config: unknown) => Promise<void>;
  await sign(signer.keyPacket, data, SIGNED, false, openpgp.config);
  return { tag: PacketTag.Signature, body: sig.write() };
}

/** The public certificate of `key` as raw packets. */
export const publicPackets = (key: openpgp.PrivateKey): RawPacket[] => readPackets(key.toPublic().write());
export const fingerprintOf = (key: openpgp.PrivateKey) => key.getFingerprint().toUpperCase();
