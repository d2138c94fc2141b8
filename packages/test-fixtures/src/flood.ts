import { createHash, createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { armorWithChecksum } from './checksum.js';

/**
 * A CVE-2019-13050-style flooded certificate: a victim key whose one user ID carries
 * `certifications` third-party certifications made by `signers` signing keys (in turn, so each
 * signer certifies about certifications / signers times, at distinct creation times).
 *
 * Everything is built from raw packets and signed with node:crypto's Ed25519 (legacy EdDSA, as
 * GnuPG 2.2 reads it) rather than through openpgp.js, which is what makes 150,000 real, verifiable
 * signatures take seconds. Keys are derived from fixed seeds and Ed25519 signatures are
 * deterministic, so the same parameters always give the same bytes.
 */
export interface FloodedKeyOptions {
  certifications: number;
  signers: number;
}

export interface FloodSigner {
  fingerprint: string;
  keyId: string;
  /** Binary public certificate of the signer (primary, user ID, self-signature). */
  certificate: Uint8Array;
}

export interface FloodedKey {
  fingerprint: string;
  keyId: string;
  userId: string;
  certifications: number;
  /** Binary transferable public key: the victim with every certification. */
  binaryFile: string;
  /** The same, ASCII-armored (with a CRC-24 line), as a key server would send it. */
  armoredFile: string;
  /** Binary victim key without any third-party certification: what a clean import stores. */
  cleanFile: string;
  signers: FloodSigner[];
}

/** Bump when the layout of the generated data changes, so stale caches are not reused. */
const GENERATOR_VERSION = 1;
const PACKAGE_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Where generated keys are kept between runs (KEYPORT_FLOOD_CACHE overrides it). */
export const FLOOD_CACHE_DIR = process.env.KEYPORT_FLOOD_CACHE ?? path.join(PACKAGE_DIR, 'node_modules', '.cache', 'keyport-flood');

const VICTIM_USER_ID = 'Flooded Victim <victim@flood.example>';
/** 2019-06-28, the week CVE-2019-13050 was published; fixed so the output is deterministic. */
const BASE_TIME = 1561680000;
const ED25519_OID = Buffer.from([0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x0f, 0x01]);
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const ALGO_EDDSA_LEGACY = 22;
const HASH_SHA256 = 8;

/**
 * The flooded key for these parameters, generated on first use (150,000 certifications take
 * about ten seconds on one core) and then read from the cache.
 */
export function floodedKey(options: FloodedKeyOptions): FloodedKey {
  const { certifications, signers } = options;
  if (!Number.isInteger(certifications) || certifications < 0 || !Number.isInteger(signers) || signers < 1) {
    throw new Error('floodedKey: certifications must be an integer >= 0 and signers an integer >= 1');
  }
  const dir = path.join(FLOOD_CACHE_DIR, `v${GENERATOR_VERSION}-c${certifications}-s${signers}`);
  const manifestFile = path.join(dir, 'manifest.json');
  if (existsSync(manifestFile)) return readManifest(dir, manifestFile);
  generate(dir, manifestFile, certifications, signers);
  return readManifest(dir, manifestFile);
}

/** The binary public certificates of the given signers, concatenated (for a keyring import). */
export function floodSignerCertificates(key: FloodedKey, which: readonly number[]): Uint8Array {
  return Buffer.concat(which.map((i) => key.signers[i]!.certificate));
}

interface Manifest {
  fingerprint: string;
  keyId: string;
  userId: string;
  certifications: number;
  signers: { fingerprint: string; keyId: string; certificate: string }[];
}

function readManifest(dir: string, file: string): FloodedKey {
  const m = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
  return {
    fingerprint: m.fingerprint,
    keyId: m.keyId,
    userId: m.userId,
    certifications: m.certifications,
    binaryFile: path.join(dir, 'flooded.pgp'),
    armoredFile: path.join(dir, 'flooded.asc'),
    cleanFile: path.join(dir, 'clean.pgp'),
    signers: m.signers.map((s) => ({ fingerprint: s.fingerprint, keyId: s.keyId, certificate: new Uint8Array(Buffer.from(s.certificate, 'base64')) })),
  };
}

interface Ed25519Key {
  privateKey: KeyObject;
  publicBody: Buffer;
  fingerprint: Buffer;
  /** The hashed form of the key packet (0x99, two-byte length, body), prefix of every hash over it. */
  hashPrefix: Buffer;
}

function deriveKey(label: string, created: number): Ed25519Key {
  const seed = createHash('sha256').update(`keyport-flood:${label}`).digest();
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  const point = Buffer.concat([Buffer.from([0x40]), spki.subarray(spki.length - 32)]);
  const publicBody = Buffer.concat([
    Buffer.from([4]),
    u32(created),
    Buffer.from([ALGO_EDDSA_LEGACY, ED25519_OID.length]),
    ED25519_OID,
    mpi(point),
  ]);
  const hashPrefix = Buffer.concat([Buffer.from([0x99, publicBody.length >> 8, publicBody.length & 0xff]), publicBody]);
  const fingerprint = createHash('sha1').update(hashPrefix).digest();
  return { privateKey, publicBody, fingerprint, hashPrefix };
}

/**
 * A v4 certification (or positive self-certification) of `userId` on `target`, issued by
 * `issuer`: creation time and issuer fingerprint hashed, issuer key ID unhashed (as GnuPG writes).
 */
function certification(issuer: Ed25519Key, target: Ed25519Key, userId: Buffer, type: number, created: number, extraHashed: Buffer = Buffer.alloc(0)): Buffer {
  const hashed = Buffer.concat([
    Buffer.from([5, 2]),
    u32(created),
    Buffer.from([22, 33, 4]),
    issuer.fingerprint,
    extraHashed,
  ]);
  const head = Buffer.concat([Buffer.from([4, type, ALGO_EDDSA_LEGACY, HASH_SHA256, hashed.length >> 8, hashed.length & 0xff]), hashed]);
  const digest = createHash('sha256')
    .update(target.hashPrefix)
    .update(Buffer.concat([Buffer.from([0xb4]), u32(userId.length)]))
    .update(userId)
    .update(head)
    .update(Buffer.concat([Buffer.from([4, 0xff]), u32(head.length)]))
    .digest();
  // Legacy EdDSA in a v4 signature signs the digest itself.
  const rs = sign(null, digest, issuer.privateKey);
  const unhashed = Buffer.concat([Buffer.from([9, 16]), issuer.fingerprint.subarray(12)]);
  return Buffer.concat([head, Buffer.from([0, unhashed.length]), unhashed, digest.subarray(0, 2), mpi(rs.subarray(0, 32)), mpi(rs.subarray(32))]);
}

function generate(dir: string, manifestFile: string, certifications: number, signerCount: number): void {
  const victim = deriveKey('victim', BASE_TIME);
  const userId = Buffer.from(VICTIM_USER_ID, 'utf8');
  // Key flags: certify and sign.
  const victimSelf = certification(victim, victim, userId, 0x13, BASE_TIME, Buffer.from([2, 27, 0x03]));
  const signers = Array.from({ length: signerCount }, (_, i) => deriveKey(`signer-${i}`, BASE_TIME + 60));
  const signerCerts = signers.map((s, i) => {
    const uid = Buffer.from(`Flood Signer ${i} <signer-${i}@flood.example>`, 'utf8');
    return Buffer.concat([packet(6, s.publicBody), packet(13, uid), packet(2, certification(s, s, uid, 0x13, BASE_TIME + 60, Buffer.from([2, 27, 0x03])))]);
  });
  const clean = Buffer.concat([packet(6, victim.publicBody), packet(13, userId), packet(2, victimSelf)]);
  const parts: Buffer[] = [clean];
  for (let j = 0; j < certifications; j++) {
    const created = BASE_TIME + 3600 + Math.floor(j / signerCount);
    parts.push(packet(2, certification(signers[j % signerCount]!, victim, userId, 0x10, created)));
  }
  const flooded = Buffer.concat(parts);

  // Written under a temporary name and renamed: parallel test workers may generate at once.
  const staging = `${dir}.tmp-${process.pid}`;
  mkdirSync(staging, { recursive: true });
  writeFileSync(path.join(staging, 'flooded.pgp'), flooded);
  writeFileSync(path.join(staging, 'flooded.asc'), armorWithChecksum(flooded, 64));
  writeFileSync(path.join(staging, 'clean.pgp'), clean);
  const fpr = (k: Ed25519Key) => k.fingerprint.toString('hex').toUpperCase();
  const manifest: Manifest = {
    fingerprint: fpr(victim),
    keyId: fpr(victim).slice(24),
    userId: VICTIM_USER_ID,
    certifications,
    signers: signers.map((s, i) => ({ fingerprint: fpr(s), keyId: fpr(s).slice(24), certificate: signerCerts[i]!.toString('base64') })),
  };
  writeFileSync(path.join(staging, 'manifest.json'), `${JSON.stringify(manifest)}\n`);
  try {
    renameSync(staging, dir);
  } catch (e) {
    // Another process finished first: its copy is identical.
    if (!existsSync(manifestFile)) throw e;
  }
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** An MPI: bit count, then the value without leading zero bytes (RFC 9580 §3.2). */
function mpi(value: Buffer): Buffer {
  let start = 0;
  while (start < value.length - 1 && value[start] === 0) start++;
  const v = value.subarray(start);
  const bits = v.length === 0 ? 0 : (v.length - 1) * 8 + (32 - Math.clz32(v[0]!));
  return Buffer.concat([Buffer.from([bits >> 8, bits & 0xff]), v]);
}

/** A packet with a new-format header. */
function packet(tag: number, body: Buffer): Buffer {
  const n = body.length;
  const header =
    n < 192 ? Buffer.from([0xc0 | tag, n])
    : n < 8384 ? Buffer.from([0xc0 | tag, ((n - 192) >> 8) + 192, (n - 192) & 0xff])
    : Buffer.from([0xc0 | tag, 255, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
  return Buffer.concat([header, body]);
}
