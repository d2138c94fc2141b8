import { promises as fs } from 'node:fs';
import { ErrorCodes, KeyringError } from '../errors.js';
import { storageError } from '../fs/atomic.js';
import { keyMaterial, publicKeyLength, serializeCertificate, splitCertificates, type CertificateParts } from '../openpgp/certificate.js';
import { PacketTag, readPackets, readPacketsLenient, type RawPacket } from '../openpgp/packets.js';
import type { SecretPrimaryState } from './types.js';

/**
 * The embedded keyring's files: how a stored certificate or secret key file is read and checked,
 * and the small file operations the store, its index and its recovery share.
 */

/** Names of certificate and secret key files. */
export const KEY_FILE = /^[0-9A-F]{40,64}\.pgp$/;
/** Files read or written at once: enough to keep the disk busy, few enough for the fd limit. */
export const FILE_CONCURRENCY = 16;

/** Secret packets are merged by fingerprint; a real secret key replaces a stub, never the reverse. */
export function mergeSecretPackets(have: RawPacket[], incoming: RawPacket[]): { packets: RawPacket[]; added: number } {
  const byFpr = new Map(have.map((p) => [keyMaterial(p).fingerprint, p]));
  let added = 0;
  for (const p of incoming) {
    const fpr = keyMaterial(p).fingerprint;
    const old = byFpr.get(fpr);
    if (!old || (isStub(old) && !isStub(p))) {
      byFpr.set(fpr, p);
      added++;
    }
  }
  return { packets: [...byFpr.values()], added };
}

/** GnuPG's gnu-dummy S2K (mode 1001) or divert-to-card (1002): no usable secret here. */
export function isStub(packet: RawPacket): boolean {
  const body = packet.body;
  let pos: number;
  try {
    pos = publicKeyLength(body);
  } catch {
    return false;
  }
  const usage = body[pos];
  if (usage !== 254 && usage !== 255) return false;
  pos += 2; // usage, symmetric algorithm
  if (body[0] === 6) pos += 1; // v6 carries a count byte before the fields
  const s2kType = body[pos];
  return s2kType === 101 && body[pos + 2] === 0x47 && body[pos + 3] === 0x4e && body[pos + 4] === 0x55;
}

export function secretPrimaryState(secret: RawPacket[], fpr: string): SecretPrimaryState {
  const primary = secret.find((p) => p.tag === 5 && keyMaterial(p).fingerprint === fpr);
  if (!primary) return 'absent';
  return isStub(primary) ? 'stub' : 'present';
}

/** The one certificate a stored file holds. */
export function partsOf(bytes: Uint8Array): CertificateParts | undefined {
  return splitCertificates(readPackets(bytes)).certificates[0]?.parts;
}

/**
 * The certificate a stored file holds, checked: it must frame as packets and hold one
 * certificate whose primary key is `fpr`. Anything else is a damaged file (KP1201, naming it).
 */
export function storedParts(file: string, bytes: Uint8Array, fpr: string): CertificateParts {
  let reason: string;
  try {
    const parts = partsOf(bytes);
    if (parts && keyMaterial(parts.primary).fingerprint === fpr) return parts;
    reason = parts ? 'it holds another key' : 'it holds no certificate';
  } catch (e) {
    reason = (e as Error).message;
  }
  throw damagedCertificate(file, fpr, reason);
}

/**
 * The cheap check for whole-file readers (export, publish): the file frames as packets and
 * starts with the key's own primary. Damage inside a packet that still frames is caught when
 * the certificate is parsed (import, rebuild-index).
 */
export function assertFramed(file: string, bytes: Uint8Array, fpr: string): void {
  const reason = framingDamage(readPacketsLenient(bytes), fpr);
  if (reason !== undefined) throw damagedCertificate(file, fpr, reason);
}

/** What is wrong with a stored certificate file's framing or primary key, or undefined. */
export function framingDamage({ packets, error }: ReturnType<typeof readPacketsLenient>, fpr: string): string | undefined {
  if (error) return error.message;
  const first = packets[0];
  if (!first || first.tag !== PacketTag.PublicKey) return 'it does not start with a public key';
  try {
    return keyMaterial(first).fingerprint === fpr ? undefined : 'it holds another key';
  } catch (e) {
    return (e as Error).message;
  }
}

function damagedCertificate(file: string, fpr: string, reason: string): KeyringError {
  return new KeyringError(ErrorCodes.KeyringCorrupt, `the certificate file ${file} is damaged (${reason})`, {
    nextStep: `import a good copy of key ${fpr} to repair it (keyport import --file FILE, or keyport import ${fpr})`,
  });
}

/** The readable start of a damaged certificate file, when it still holds the key's own primary; otherwise nothing. */
export function salvage(readable: RawPacket[], fpr: string): Uint8Array | null {
  try {
    const parts = splitCertificates(readable).certificates[0]?.parts;
    return parts && keyMaterial(parts.primary).fingerprint === fpr ? serializeCertificate(parts) : null;
  } catch {
    return null;
  }
}

export function isDamage(e: unknown): e is KeyringError {
  return e instanceof KeyringError && e.code === ErrorCodes.KeyringCorrupt;
}

export async function removeFile(file: string): Promise<void> {
  await fs.rm(file, { force: true }).catch((e: unknown) => {
    throw storageError(e, file);
  });
}

export async function exists(p: string) {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

export async function runLimited(jobs: (() => Promise<void>)[], limit: number) {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
}
