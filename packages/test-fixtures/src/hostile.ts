import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import http from 'node:http';
import * as openpgp from 'openpgp';
import { armorWithChecksum } from './checksum.js';
import { listenOnLoopback } from './listen.js';

/*
 * The attacker's test bed (issue 10): certificates a hostile key server would send, built packet
 * by packet and signed with node:crypto Ed25519, so each one is exactly as broken (or as valid)
 * as the attack needs, independent of the client's and of openpgp.js's notion of validity; and a
 * server that serves them over HKP and VKS with the real servers' paths and content types.
 */

// ---------------------------------------------------------------------------------------------
// Packets

/** One OpenPGP packet, new-format header. */
export function encodePacket(tag: number, body: Uint8Array): Buffer {
  const n = body.length;
  let header: Buffer;
  if (n < 192) header = Buffer.from([0xc0 | tag, n]);
  else if (n < 8384) header = Buffer.from([0xc0 | tag, ((n - 192) >> 8) + 192, (n - 192) & 0xff]);
  else header = Buffer.from([0xc0 | tag, 0xff, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
  return Buffer.concat([header, body]);
}

export interface HostilePacket {
  tag: number;
  body: Buffer;
}

/** Splits bytes into packets (old and new format, no partial lengths): the fixture's own reader, independent of the client's. */
export function splitPackets(bytes: Uint8Array): HostilePacket[] {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const out: HostilePacket[] = [];
  let i = 0;
  while (i < b.length) {
    const ctb = b[i]!;
    if ((ctb & 0x80) === 0) throw new Error(`not a packet header at ${i}`);
    let tag: number;
    let len: number;
    if (ctb & 0x40) {
      tag = ctb & 0x3f;
      const l0 = b[i + 1]!;
      if (l0 < 192) [len, i] = [l0, i + 2];
      else if (l0 < 224) [len, i] = [((l0 - 192) << 8) + b[i + 2]! + 192, i + 3];
      else if (l0 === 255) [len, i] = [b.readUInt32BE(i + 2), i + 6];
      else throw new Error('partial body lengths are not used by key servers');
    } else {
      tag = (ctb >> 2) & 0x0f;
      const lt = ctb & 3;
      if (lt === 0) [len, i] = [b[i + 1]!, i + 2];
      else if (lt === 1) [len, i] = [b.readUInt16BE(i + 1), i + 3];
      else if (lt === 2) [len, i] = [b.readUInt32BE(i + 1), i + 5];
      else throw new Error('indeterminate length');
    }
    if (i + len > b.length) throw new Error('truncated packet');
    out.push({ tag, body: b.subarray(i, i + len) });
    i += len;
  }
  return out;
}

/** Decodes armor (any number of blocks) or passes binary through. */
export async function hostileBinary(data: Uint8Array | string): Promise<Uint8Array> {
  const text = typeof data === 'string' ? data : Buffer.from(data).toString('latin1');
  if (!text.includes('-----BEGIN PGP')) return typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  const blocks = text.match(/-----BEGIN PGP[^]*?-----END PGP[^-]*-----/g) ?? [];
  const parts = await Promise.all(blocks.map(async (b) => (await openpgp.unarmor(b)).data as Uint8Array));
  return Buffer.concat(parts);
}

const ED25519_OID = Buffer.from([0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x0f, 0x01]);

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}
function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}
function mpi(bytes: Buffer): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const v = bytes.subarray(i);
  const bits = (v.length - 1) * 8 + (v[0] === 0 ? 0 : 32 - Math.clz32(v[0]!));
  return Buffer.concat([u16(bits), v]);
}
function subpacket(type: number, data: Uint8Array): Buffer {
  if (data.length + 1 >= 192) throw new Error('long subpackets are not needed here');
  return Buffer.concat([Buffer.from([data.length + 1, type]), data]);
}

/** A v4 Ed25519 (legacy EdDSA, algorithm 22) key with its private half for signing. */
export interface HostileKey {
  body: Buffer;
  fingerprint: string;
  keyId: string;
  privateKey?: KeyObject;
}

/** A v4 key packet body's fingerprint (RFC 4880 §12.2). */
export function v4Fingerprint(body: Uint8Array): string {
  return createHash('sha1').update(Buffer.concat([Buffer.from([0x99]), u16(body.length), body])).digest('hex').toUpperCase();
}

function keyFromBody(body: Buffer, privateKey?: KeyObject): HostileKey {
  const fingerprint = v4Fingerprint(body);
  return { body, fingerprint, keyId: fingerprint.slice(-16), privateKey };
}

/** A fresh Ed25519 key; `created` in seconds. */
export function newEd25519Key(created = 1_700_000_000): HostileKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const body = Buffer.concat([Buffer.from([4]), u32(created), Buffer.from([22, ED25519_OID.length]), ED25519_OID, mpi(Buffer.concat([Buffer.from([0x40]), raw]))]);
  return keyFromBody(body, privateKey);
}

/** The first primary key packet of `packets`, as a key that can be named but not signed with. */
function primaryKeyOf(packets: HostilePacket[]): HostileKey {
  const primary = packets.find((p) => p.tag === 6);
  if (!primary) throw new Error('no primary key packet');
  return keyFromBody(Buffer.from(primary.body));
}

/** The primary key packet of an existing certificate, as a key the attacker can name but not sign with. */
export async function primaryOf(certificate: string | Uint8Array): Promise<HostileKey> {
  return primaryKeyOf(splitPackets(await hostileBinary(certificate)));
}

const keyPrefix = (k: HostileKey) => Buffer.concat([Buffer.from([0x99]), u16(k.body.length), k.body]);

export const SigClass = { PositiveUid: 0x13, SubkeyBinding: 0x18, PrimaryKeyBinding: 0x19, KeyRevocation: 0x20, GenericUid: 0x10 } as const;

/**
 * A v4 signature packet body by `signer` (which must hold its private key) over `signed`, the
 * class's hashed prefix (RFC 4880 §5.2.4). `garble` flips a bit of the signature so it no
 * longer verifies while still parsing.
 */
export function signatureBody(
  signer: HostileKey,
  sigClass: number,
  signed: Buffer,
  options: { created?: number; keyFlags?: number; embedded?: Buffer; reason?: [number, string]; garble?: boolean } = {},
): Buffer {
  if (!signer.privateKey) throw new Error(`no private key for ${signer.fingerprint}`);
  const hashed = [subpacket(2, u32(options.created ?? 1_700_000_100)), subpacket(33, Buffer.concat([Buffer.from([4]), Buffer.from(signer.fingerprint, 'hex')]))];
  if (options.keyFlags !== undefined) hashed.push(subpacket(27, Buffer.from([options.keyFlags])));
  if (options.reason) hashed.push(subpacket(29, Buffer.concat([Buffer.from([options.reason[0]]), Buffer.from(options.reason[1], 'utf8')])));
  if (options.embedded) hashed.push(subpacket(32, options.embedded));
  const hashedArea = Buffer.concat(hashed);
  const head = Buffer.concat([Buffer.from([4, sigClass, 22, 8]), u16(hashedArea.length), hashedArea]);
  const trailer = Buffer.concat([Buffer.from([4, 0xff]), u32(head.length)]);
  const digest = createHash('sha256').update(Buffer.concat([signed, head, trailer])).digest();
  const sig = sign(null, digest, signer.privateKey);
  if (options.garble) sig[5]! ^= 0x01;
  const unhashed = subpacket(16, Buffer.from(signer.keyId, 'hex'));
  return Buffer.concat([head, u16(unhashed.length), unhashed, digest.subarray(0, 2), mpi(sig.subarray(0, 32)), mpi(sig.subarray(32))]);
}

/** What a self-signed user ID or certification signs. */
export function userIdSigned(primary: HostileKey, userId: Uint8Array): Buffer {
  return Buffer.concat([keyPrefix(primary), Buffer.from([0xb4]), u32(userId.length), userId]);
}

/** What a subkey binding or back-signature signs. */
function subkeySigned(primary: HostileKey, subkey: HostileKey): Buffer {
  return Buffer.concat([keyPrefix(primary), keyPrefix(subkey)]);
}

/** A self-signed user ID (packet 13 + its 0x13 signature). */
export function signedUserId(primary: HostileKey, userId: string | Uint8Array): Buffer {
  const uid = typeof userId === 'string' ? Buffer.from(userId, 'utf8') : Buffer.from(userId);
  return Buffer.concat([encodePacket(13, uid), encodePacket(2, signatureBody(primary, SigClass.PositiveUid, userIdSigned(primary, uid), { keyFlags: 0x03 }))]);
}

/** How a foreign key ends up as a subkey of the attacker's certificate. */
export type SubkeyBinding =
  /** Bound by the attacker as a signing subkey, without the back-signature only the victim could make. */
  | 'attacker'
  /** Bound by the attacker as an encryption subkey: needs no back-signature, so the binding is valid. */
  | 'attacker-encrypt'
  /** A binding signature issued by a third key, not by the certificate's primary. */
  | 'third-key'
  /** No binding signature at all. */
  | 'unbound';

/** The attacker's certificate: a fresh primary with a self-signed user ID, optionally carrying `subkey` and unsigned user IDs. */
export function attackerCertificate(options: { subkey?: HostileKey; binding?: SubkeyBinding; unsignedUserIds?: string[]; userId?: string } = {}): { key: HostileKey; bytes: Buffer } {
  const key = newEd25519Key();
  const parts = [encodePacket(6, key.body), signedUserId(key, options.userId ?? `Mallory <mallory-${key.keyId.toLowerCase()}@attacker.example>`)];
  for (const uid of options.unsignedUserIds ?? []) parts.push(encodePacket(13, Buffer.from(uid, 'utf8')));
  if (options.subkey) {
    parts.push(encodePacket(14, options.subkey.body));
    const binding = options.binding ?? 'attacker';
    if (binding === 'attacker') parts.push(encodePacket(2, signatureBody(key, SigClass.SubkeyBinding, subkeySigned(key, options.subkey), { keyFlags: 0x02 })));
    if (binding === 'attacker-encrypt') parts.push(encodePacket(2, signatureBody(key, SigClass.SubkeyBinding, subkeySigned(key, options.subkey), { keyFlags: 0x0c })));
    if (binding === 'third-key') {
      const third = newEd25519Key();
      parts.push(encodePacket(2, signatureBody(third, SigClass.SubkeyBinding, subkeySigned(key, options.subkey), { keyFlags: 0x02 })));
    }
  }
  return { key, bytes: Buffer.concat(parts) };
}

/**
 * `count` key revocations (0x20) of `victim` from random issuers, each a real signature by a key
 * the answer does not carry, so none can be verified.
 */
export function thirdPartyRevocations(victim: HostileKey, count: number): Buffer {
  const signers = Array.from({ length: Math.min(count, 64) }, () => newEd25519Key());
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    // A fresh issuer fingerprint per signature (as a flood from random issuers has); the
    // signing key is reused from a small pool because it cannot be verified either way.
    const issuer = { ...signers[i % signers.length]!, fingerprint: newIssuerFingerprint(i), keyId: '' };
    issuer.keyId = issuer.fingerprint.slice(-16);
    out.push(encodePacket(2, signatureBody(issuer, SigClass.KeyRevocation, keyPrefix(victim), { reason: [0, 'revoked by a stranger'], created: 1_700_000_000 + i })));
  }
  return Buffer.concat(out);
}

function newIssuerFingerprint(i: number): string {
  return createHash('sha1').update(`hostile issuer ${i}`).digest('hex').toUpperCase();
}

/**
 * A flooded certificate (CVE-2019-13050 style): `certifications` third-party certifications of
 * the victim's first user ID from `signers` keys the answer does not carry.
 */
export async function floodedCertificate(victimCertificate: string | Uint8Array, certifications: number, signers: number): Promise<Buffer> {
  const bytes = Buffer.from(await hostileBinary(victimCertificate));
  const packets = splitPackets(bytes);
  const victim = primaryKeyOf(packets);
  const uidAt = packets.findIndex((p) => p.tag === 13);
  const uid = packets[uidAt]!.body;
  const pool = Array.from({ length: signers }, () => newEd25519Key());
  const flood: Buffer[] = [];
  for (let i = 0; i < certifications; i++) flood.push(encodePacket(2, signatureBody(pool[i % signers]!, SigClass.GenericUid, userIdSigned(victim, uid), { created: 1_700_000_000 + i })));
  // The flood goes right after the first user ID's own signatures.
  let insertAt = uidAt + 1;
  while (packets[insertAt]?.tag === 2) insertAt++;
  return Buffer.concat([...packets.slice(0, insertAt).map((p) => encodePacket(p.tag, p.body)), ...flood, ...packets.slice(insertAt).map((p) => encodePacket(p.tag, p.body))]);
}

/** Terminal-hostile strings: each must reach a terminal escaped, never raw. */
const TERMINAL_ATTACKS = {
  oscTitle: '\x1b]0;pwned-title\x07',
  osc52: '\x1b]52;c;ZWNobyBwd25lZA==\x07', // base64 of "echo pwned" into the clipboard
  sgr: '\x1b[8m\x1b[31mhidden',
  crlf: 'line\r\nforged: row',
  bidi: '\u202Egro.elpmaxe@evil',
  c1: '\u009b31m',
} as const;

/** A user ID carrying every terminal attack, with an address so look-ups by email find it. */
export const ESCAPE_USER_ID = `Eve ${Object.values(TERMINAL_ATTACKS).join(' ')} <eve@escape.example>`;

/** Bytes that must not appear raw in human output: ESC, other C0 controls except \n and \t, DEL, C1 (as UTF-8 or raw), bidi overrides. */
// eslint-disable-next-line no-control-regex -- matching control bytes is the point
export const RAW_TERMINAL_BYTES = /[\x00-\x08\x0b-\x1f\x7f\u0080-\u009f\u202a-\u202e\u2066-\u2069]/u;

// ---------------------------------------------------------------------------------------------
// The server

/** One attack class per mode. */
export type HostileServerMode =
  | 'subkey-attacker-bound'
  | 'subkey-attacker-encrypt'
  | 'subkey-third-bound'
  | 'subkey-unbound'
  | 'unsigned-uid'
  | 'thousand-certs'
  | 'revocation-flood'
  | 'flooded'
  | 'escapes'
  | 'rate-limited'
  | 'html-404'
  | 'truncated'
  | 'garbage';

export interface HostileServerOptions {
  mode: HostileServerMode;
  /** The victim's real certificate (armored or binary); the look-ups the attack answers are about it. */
  victim: string | Uint8Array;
  /** For `thousand-certs`: how many attacker certificates (default 1,000). */
  certificates?: number;
  /** For `revocation-flood`: how many third-party revocations (default 5,000). */
  revocations?: number;
  /** For `flooded`: certifications and signers (default 2,000 from 50). */
  flood?: { certifications: number; signers: number };
  /** For `rate-limited`: the Retry-After in seconds (default 3,600). */
  retryAfter?: number;
}

export interface RunningHostileServer {
  url: string;
  /** The victim's fingerprint, key ID and first email address, i.e. what tests ask for. */
  victim: { fingerprint: string; keyId: string; email: string };
  /** For `escapes`: the attacker key that carries ESCAPE_USER_ID (asked for by its own fingerprint). */
  escapeKey?: { fingerprint: string; keyId: string };
  /** The exact bytes (binary) a key look-up is answered with, to feed the same answer to gpg. */
  answer: Buffer;
  requests: { method: string; url: string }[];
  stop(): Promise<void>;
}

/** An unresolvable key server (RFC 2606 reserves `.invalid`): DNS fails at once, no network is touched. */
export const UNRESOLVABLE_SERVER = 'http://keys.hostile.invalid';

const HTML_404 = '<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1><p>The requested URL was not found on this server.</p><hr><address>Apache/2.4.57 (Debian) Server at www.example.org Port 80</address></body></html>\n';
const ESCAPED_ERROR = `No key found ${TERMINAL_ATTACKS.oscTitle}${TERMINAL_ATTACKS.osc52}${TERMINAL_ATTACKS.sgr}${TERMINAL_ATTACKS.crlf}${TERMINAL_ATTACKS.bidi}`;

/** Armor as SKS, Hockeypuck and Hagrid send it: with the CRC-24 line (GnuPG 2.2 misreads some armor without one); lines of 60 as openpgp.js writes them. */
const armored = (bytes: Uint8Array) => armorWithChecksum(bytes, 60);

/** HKP's index percent-encoding (SKS style): every byte outside printable ASCII and ':' and '%' as %XX. */
function hkpEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) out += b < 0x20 || b > 0x7e || b === 0x3a || b === 0x25 ? `%${b.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(b);
  return out;
}

function emailOfCert(packets: HostilePacket[]): string {
  for (const p of packets) if (p.tag === 13) {
    const m = /<([^>]+)>/.exec(p.body.toString('utf8'));
    if (m) return m[1]!.toLowerCase();
  }
  return '';
}

/**
 * A key server that answers look-ups about the victim with the chosen attack, over HKP
 * (/pks/lookup op=get|index, mr) and VKS (/vks/v1/by-fingerprint|by-keyid|by-email). Anything
 * else gets the real servers' "not found".
 */
export async function startHostileServer(options: HostileServerOptions): Promise<RunningHostileServer> {
  const victimBytes = Buffer.from(await hostileBinary(options.victim));
  const victimPackets = splitPackets(victimBytes);
  const victim = primaryKeyOf(victimPackets);
  const victimEmail = emailOfCert(victimPackets);
  const requests: RunningHostileServer['requests'] = [];
  let answer: Buffer;
  let escapeKey: RunningHostileServer['escapeKey'];
  // The victim's address (and its name) copied onto certificates the victim never signed.
  const copiedUid = victimPackets.filter((p) => p.tag === 13).map((p) => p.body.toString('utf8'))[0] ?? `<${victimEmail}>`;
  switch (options.mode) {
    case 'subkey-attacker-bound':
      answer = attackerCertificate({ subkey: victim, binding: 'attacker' }).bytes;
      break;
    case 'subkey-attacker-encrypt':
      answer = attackerCertificate({ subkey: victim, binding: 'attacker-encrypt' }).bytes;
      break;
    case 'subkey-third-bound':
      answer = attackerCertificate({ subkey: victim, binding: 'third-key' }).bytes;
      break;
    case 'subkey-unbound':
      answer = attackerCertificate({ subkey: victim, binding: 'unbound' }).bytes;
      break;
    case 'unsigned-uid':
      answer = attackerCertificate({ subkey: victim, binding: 'unbound', unsignedUserIds: [copiedUid] }).bytes;
      break;
    case 'thousand-certs': {
      const n = options.certificates ?? 1000;
      const certs: Buffer[] = [victimBytes];
      for (let i = 0; i < n; i++) certs.push(attackerCertificate({ subkey: victim, binding: i % 2 ? 'attacker' : 'unbound', unsignedUserIds: [copiedUid] }).bytes);
      answer = Buffer.concat(certs);
      break;
    }
    case 'revocation-flood': {
      // The flood sits right after the primary key packet, where key revocations belong.
      const first = encodePacket(6, victim.body);
      answer = Buffer.concat([first, thirdPartyRevocations(victim, options.revocations ?? 5000), ...victimPackets.slice(1).map((p) => encodePacket(p.tag, p.body))]);
      break;
    }
    case 'flooded':
      answer = await floodedCertificate(victimBytes, options.flood?.certifications ?? 2000, options.flood?.signers ?? 50);
      break;
    case 'escapes': {
      const eve = newEd25519Key();
      escapeKey = { fingerprint: eve.fingerprint, keyId: eve.keyId };
      answer = Buffer.concat([encodePacket(6, eve.body), signedUserId(eve, ESCAPE_USER_ID)]);
      break;
    }
    case 'truncated': {
      // The real certificate, cut in the middle of a packet.
      answer = victimBytes.subarray(0, Math.floor(victimBytes.length / 2));
      break;
    }
    case 'garbage':
      answer = Buffer.from(createHash('sha512').update('garbage').digest().toString('hex').repeat(8), 'latin1');
      break;
    default:
      answer = victimBytes;
  }

  const escapeFpr = escapeKey?.fingerprint;
  // In `escapes` mode only Eve's key is served: every other look-up gets the escaped error body.
  const served = escapeFpr !== undefined ? { fingerprint: escapeFpr, email: 'eve@escape.example' } : { fingerprint: victim.fingerprint, email: victimEmail };
  /** Is this look-up about a key or address the attack answers for? */
  const aboutVictim = (hex: string | undefined, email: string | undefined) => {
    if (hex) return served.fingerprint.endsWith(hex.toUpperCase());
    if (email) return email.toLowerCase() === served.email;
    return false;
  };

  const indexText = () => {
    const lines = ['info:1:1'];
    if (options.mode === 'escapes') {
      lines.push(`pub:${escapeFpr}:22:256:1700000000::`);
      lines.push(`uid:${hkpEscape(ESCAPE_USER_ID)}:1700000100::`);
    } else {
      lines.push(`pub:${victim.fingerprint}:22:256:1700000000::`);
      lines.push(`uid:${hkpEscape(copiedUid)}:1700000100::`);
    }
    return `${lines.join('\n')}\n`;
  };

  const sendAnswer = (res: http.ServerResponse, vks: boolean) => {
    if (options.mode === 'rate-limited') {
      return res.writeHead(429, { 'content-type': 'text/html', 'retry-after': String(options.retryAfter ?? 3600) }).end('<html><body><h1>429 Too Many Requests</h1></body></html>');
    }
    if (options.mode === 'html-404') return res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' }).end(HTML_404);
    if (options.mode === 'garbage') return res.writeHead(200, { 'content-type': 'application/pgp-keys' }).end(answer);
    if (options.mode === 'truncated') {
      // Armored, with the armor intact: only the packets inside are cut.
      return res.writeHead(200, { 'content-type': 'application/pgp-keys' }).end(armored(answer));
    }
    const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/pgp-keys' };
    if (vks) headers['content-disposition'] = 'attachment; filename="key.asc"';
    return res.writeHead(200, headers).end(armored(answer));
  };

  const notFound = (res: http.ServerResponse, vks: boolean) => {
    // Error bodies are text a client may print: in `escapes` mode they carry the attacks, as a
    // server error (HKP) and as Hagrid's 503 with a JSON `message` (VKS).
    if (options.mode === 'escapes') {
      if (vks) return res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ message: ESCAPED_ERROR }));
      return res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(ESCAPED_ERROR);
    }
    const body = vks ? 'No key found for this fingerprint.' : '<html><body>No results found: No keys found</body></html>';
    return res.writeHead(404, { 'content-type': vks ? 'text/plain; charset=utf-8' : 'text/html; charset=UTF-8' }).end(body);
  };

  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests.push({ method: req.method ?? 'GET', url: req.url ?? '' });
      const url = new URL(req.url ?? '/', 'http://hostile');
      const p = url.pathname;
      let m: RegExpExecArray | null;
      if (req.method === 'POST') {
        if (options.mode === 'escapes') return res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ message: `maintenance ${ESCAPED_ERROR}` }));
        return res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'read only' }));
      }
      // These modes answer every look-up alike, whatever it asks for.
      if (options.mode === 'html-404' || options.mode === 'rate-limited') return sendAnswer(res, p.startsWith('/vks/'));
      if ((m = /^\/vks\/v1\/by-(fingerprint|keyid|email)\/(.+)$/.exec(p))) {
        const value = decodeURIComponent(m[2]!).replace(/^0x/i, '');
        const about = m[1] === 'email' ? aboutVictim(undefined, value) : aboutVictim(value, undefined);
        return about ? sendAnswer(res, true) : notFound(res, true);
      }
      if (p === '/pks/lookup') {
        const op = url.searchParams.get('op') ?? 'index';
        const search = (url.searchParams.get('search') ?? '').replace(/^<|>$/g, '');
        const hex = /^(?:0x)?([0-9a-fA-F]{16}|[0-9a-fA-F]{40})$/.exec(search)?.[1];
        const about = aboutVictim(hex, hex ? undefined : search);
        if (!about) return notFound(res, false);
        if (op === 'index' || op === 'vindex') {
          if (options.mode === 'garbage') return res.writeHead(200, { 'content-type': 'text/plain' }).end(answer);
          return res.writeHead(200, { 'content-type': 'text/plain' }).end(indexText());
        }
        if (op === 'get') return sendAnswer(res, false);
        return res.writeHead(501).end('Not implemented');
      }
      return notFound(res, p.startsWith('/vks/'));
    });
  });
  const { url, stop } = await listenOnLoopback(server);
  return { url, victim: { fingerprint: victim.fingerprint, keyId: victim.keyId, email: victimEmail }, escapeKey, answer, requests, stop };
}

/** Signatures on a certificate not issued by its primary key (issuer fingerprint or key ID subpacket), counted by the fixture's own reader. */
export function thirdPartySignatures(certificate: Uint8Array): number {
  const packets = splitPackets(certificate);
  const primary = packets.find((p) => p.tag === 6);
  if (!primary) return 0;
  const own = v4Fingerprint(primary.body);
  let n = 0;
  for (const p of packets) if (p.tag === 2 && !issuedBy(p.body, own)) n++;
  return n;
}

function issuedBy(sig: Buffer, fingerprint: string): boolean {
  if (sig[0] !== 4) return false;
  const hashedLen = sig.readUInt16BE(4);
  const hashed = sig.subarray(6, 6 + hashedLen);
  const unhashedLen = sig.readUInt16BE(6 + hashedLen);
  const unhashed = sig.subarray(8 + hashedLen, 8 + hashedLen + unhashedLen);
  for (const area of [hashed, unhashed]) {
    let i = 0;
    while (i < area.length) {
      let len = area[i]!;
      let at = i + 1;
      if (len >= 192 && len < 255) [len, at] = [((len - 192) << 8) + area[i + 1]! + 192, i + 2];
      else if (len === 255) [len, at] = [area.readUInt32BE(i + 1), i + 5];
      const type = area[at]! & 0x7f;
      const data = area.subarray(at + 1, at + len);
      if (type === 33 && data.subarray(1).toString('hex').toUpperCase() === fingerprint) return true;
      if (type === 16 && data.toString('hex').toUpperCase() === fingerprint.slice(-16)) return true;
      i = at + len;
    }
  }
  return false;
}
