import http from 'node:http';
import * as openpgp from 'openpgp';
import { listenOnLoopback } from './listen.js';
import { armorWithChecksum, checksumLine, crc24 } from './checksum.js';

/** Which real server the fixture imitates (protocols.md §2.5, §2.6, §1.8). */
export type HkpDialect = 'sks' | 'hockeypuck-2.2' | 'hockeypuck-2.4' | 'hagrid';

/** Misbehaviour for `op=get` (and `endless`/`drip`/`reset`/`html-200` for index too). */
/**
 * How the fixture misbehaves. `bad-checksum`: the right packets under a wrong CRC-24 line.
 * `damaged`: one base64 character changed in transit, under the CRC-24 of the original data.
 * `escapes`: index lines carry every control byte of the user IDs %-encoded, so CR, LF and ESC
 * reach the client intact, and every other request gets an HTTP 500 whose body is full of
 * terminal escape sequences. `escapes-503`: every request gets a 503 (`Retry-After: 0`) whose
 * JSON `message` is full of them. `rate-limited`: HTTP 429 with `retryAfter` for every request.
 * `truncated`: `op=get` answers cut in the middle.
 */
export type HostileMode = 'wrong-key' | 'extra-key' | 'secret-key' | 'endless' | 'drip' | 'reset' | 'html-200' | 'bad-checksum' | 'damaged' | 'escapes' | 'escapes-503' | 'rate-limited' | 'truncated';

/** What the `escapes` and `escapes-503` modes put in error answers: a window title, a clipboard write (OSC 52), colours, a C1 CSI, CR/LF and a bidi override. */
const HOSTILE_ERROR_TEXT = 'busy \u001b]0;PWNED\u0007\u001b]52;c;ZWNobyBwd25lZA==\u0007\u001b[8mhidden\u001b[0m\u009b31m\r\nforged line \u202eevil';

export interface HkpFixtureOptions {
  dialect: HkpDialect;
  /** Armored (or binary) certificates the server holds. */
  keys: (string | Uint8Array)[];
  hostile?: HostileMode;
  /** For `secret-key`: the armored private key to serve. */
  secretKey?: string;
  /** SKS refuses text searches with more hits than this (HTTP 500 "Too many responses"). */
  maxHits?: number;
  /** For `rate-limited`: the Retry-After every request is answered with (HTTP 429); default 3600. */
  retryAfter?: string;
}

export interface RunningHkpFixture {
  url: string;
  /** Every request line received, for assertions on what the client sent. */
  requests: { method: string; url: string; body: string }[];
  stop(): Promise<void>;
}

interface Held {
  key: openpgp.PublicKey;
  fingerprint: string;
  keyIds: string[];
  fingerprints: string[];
  binary: Uint8Array;
}

const HTML_PAGE = '<!DOCTYPE html><html><head><title>Welcome</title></head><body><h1>Please log in to the network</h1></body></html>';

async function load(input: string | Uint8Array): Promise<Held> {
  const key = typeof input === 'string' ? await openpgp.readKey({ armoredKey: input }) : await openpgp.readKey({ binaryKey: input });
  const pub = key.toPublic();
  const fingerprints = [pub.getFingerprint(), ...pub.subkeys.map((s) => s.getFingerprint())].map((f) => f.toUpperCase());
  return { key: pub, fingerprint: fingerprints[0]!, fingerprints, keyIds: fingerprints.map((f) => f.slice(-16)), binary: pub.write() };
}

async function mergeHeld(have: Held, upload: Held): Promise<Held> {
  // openpgp.js's update() keeps only what verifies, as a server does for self-signatures.
  const key = await have.key.update(upload.key);
  return { ...have, key, binary: key.write() };
}

/** A user ID as the dialect escapes it; with `controls`, control bytes %-encoded too (they would end the line). */
function escapeUid(uid: string, dialect: HkpDialect, controls = false): string {
  const escaped = escapeUidAs(uid, dialect);
  // eslint-disable-next-line no-control-regex -- the control bytes are what is encoded
  return controls ? escaped.replace(/[\u0000-\u001f\u007f]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`) : escaped;
}

function escapeUidAs(uid: string, dialect: HkpDialect): string {
  // Hockeypuck: only ':' escaped, as lowercase %3a; everything else raw UTF-8.
  if (dialect.startsWith('hockeypuck')) return uid.replace(/:/g, '%3a');
  let out = '';
  for (const b of Buffer.from(uid, 'utf8')) {
    const c = String.fromCharCode(b);
    const hex = `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    if (dialect === 'sks') out += c === '%' ? '%%' : c === ':' || b >= 0x80 ? hex : c;
    // Hagrid (rust-url DEFAULT_ENCODE_SET): ':' and '%' are NOT encoded.
    else out += b < 0x20 || b > 0x7e || ' "#<>`?{}'.includes(c) ? hex : c;
  }
  return out;
}

async function indexLines(held: Held[], dialect: HkpDialect, fingerprintOn: boolean, controls = false): Promise<string> {
  const lines = [`info:1:${held.length}`];
  for (const h of held) {
    const k = h.key;
    const info = k.getAlgorithmInfo();
    const algo = (openpgp.enums.publicKey as unknown as Record<string, number>)[info.algorithm] ?? 0;
    const bits = info.bits ?? (info.curve?.includes('25519') ? 256 : 0);
    const created = Math.floor(k.getCreationTime().getTime() / 1000);
    const exp = await k.getExpirationTime().catch(() => null);
    const expires = dialect === 'hagrid' || !(exp instanceof Date) ? '' : String(Math.floor(exp.getTime() / 1000));
    const revoked = await k.isRevoked().catch(() => false);
    const flags = dialect === 'hockeypuck-2.2' ? '' : revoked ? 'r' : '';
    const id = dialect === 'hockeypuck-2.2' && !fingerprintOn ? h.fingerprint.slice(-16) : h.fingerprint;
    lines.push(`pub:${id}:${algo}:${bits}:${created}:${expires}:${flags}`);
    for (const u of k.users) {
      if (!u.userID) continue;
      const sigTime = u.selfCertifications[0]?.created;
      const t = sigTime ? String(Math.floor(sigTime.getTime() / 1000)) : '';
      lines.push(`uid:${escapeUid(u.userID.userID, dialect, controls)}:${t}::`);
    }
  }
  const eol = dialect === 'hagrid' ? '\r\n' : '\n';
  return lines.join(eol) + eol;
}

/**
 * Hockeypuck serves a v4 key with a hard revocation (no reason, "no reason given" or "key
 * compromised") as nothing but its revocation signature (protocols.md §2.4).
 */
function hockeypuckRedacted(h: Held): Uint8Array | undefined {
  const hard = h.key.revocationSignatures.find((s) => s.reasonForRevocationFlag === null || s.reasonForRevocationFlag === undefined || s.reasonForRevocationFlag === 0 || s.reasonForRevocationFlag === 2);
  if (!hard) return undefined;
  const list = new openpgp.PacketList<openpgp.SignaturePacket>();
  list.push(hard);
  return list.write();
}

function armorKeys(held: Held[], dialect?: HkpDialect): string {
  if (dialect?.startsWith('hockeypuck')) held = held.map((h) => {
    const redacted = hockeypuckRedacted(h);
    return redacted ? { ...h, binary: redacted } : h;
  });
  const total = held.reduce((n, h) => n + h.binary.length, 0);
  const all = new Uint8Array(total);
  let off = 0;
  for (const h of held) {
    all.set(h.binary, off);
    off += h.binary.length;
  }
  return armorAs(all, dialect);
}

/**
 * Armor as the server writes it: no headers, base64 in lines of 72 characters (SKS) or 64 (Go's
 * armor encoder, Hockeypuck), then the CRC-24 line, which both always send (gpg 2.2 cannot read
 * an answer without it: "invalid radix64 character").
 */
function armorAs(bytes: Uint8Array, dialect: HkpDialect | undefined): string {
  return armorWithChecksum(bytes, dialect === 'sks' || dialect === undefined ? 72 : 64);
}

/** An armored block with a wrong checksum line (`bad-checksum`), or a right one for data then damaged (`damaged`). */
function tamperedArmor(armored: string, mode: 'bad-checksum' | 'damaged'): string {
  const lines = armored.trimEnd().split('\n');
  const bodyStart = lines.indexOf('') + 1;
  const checksumAt = lines.findIndex((l) => l.startsWith('='));
  const data = Buffer.from(lines.slice(bodyStart, checksumAt).join(''), 'base64');
  lines[checksumAt] = checksumLine(crc24(data) ^ (mode === 'bad-checksum' ? 1 : 0));
  if (mode === 'damaged') {
    const line = lines[bodyStart]!;
    const swapped = line[20] === 'A' ? 'B' : 'A';
    lines[bodyStart] = `${line.slice(0, 20)}${swapped}${line.slice(21)}`;
  }
  return [...lines, ''].join('\n');
}

/**
 * A local HKP server that answers exactly like the chosen real server does, including its
 * quirks, and optionally misbehaves. For unit-level tests of every dialect; the real SKS
 * (startSks) covers the rest.
 */
export async function startHkpFixture(options: HkpFixtureOptions): Promise<RunningHkpFixture> {
  const held = await Promise.all(options.keys.map(load));
  const requests: RunningHkpFixture['requests'] = [];
  const { dialect } = options;
  const notFound = (res: http.ServerResponse) => {
    if (dialect === 'sks') res.writeHead(404, { 'content-type': 'text/html; charset=UTF-8' }).end('<html><body>No results found: No keys found</body></html>');
    else if (dialect === 'hagrid') res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' }).end('No key found for this fingerprint.');
    else res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not Found\n');
  };

  const find = (search: string, exact: boolean): Held[] | 'bad' => {
    const hex = /^0x([0-9a-fA-F]+)$/.exec(search);
    const bare = /^([0-9a-fA-F]{16}|[0-9a-fA-F]{40})$/.exec(search);
    if (dialect === 'hagrid') {
      const h = hex?.[1] ?? bare?.[1];
      if (h && (h.length === 16 || h.length === 40)) return held.filter((k) => k.fingerprints.includes(h.toUpperCase()) || k.keyIds.includes(h.toUpperCase())).slice(0, 1);
      if (search.includes('@')) return held.filter((k) => k.key.users.some((u) => u.userID?.email.toLowerCase() === search.toLowerCase())).slice(0, 1);
      return 'bad';
    }
    if (hex) {
      const h = hex[1]!.toUpperCase();
      if (dialect === 'hockeypuck-2.4' && h.length === 8) return 'bad';
      return held.filter((k) => k.fingerprints.includes(h) || k.keyIds.includes(h) || (h.length === 8 && k.keyIds.some((id) => id.endsWith(h))));
    }
    const lower = search.toLowerCase();
    if (dialect === 'hockeypuck-2.4' || exact) {
      return held.filter((k) => k.key.users.some((u) => u.userID?.email.toLowerCase() === lower.replace(/^<|>$/g, '')));
    }
    const words = lower.split(/\s+/).filter(Boolean);
    return held.filter((k) => k.key.users.some((u) => words.every((w) => (u.userID?.userID.toLowerCase() ?? '').includes(w))));
  };

  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('latin1')));
    req.on('end', () => {
      requests.push({ method: req.method ?? 'GET', url: req.url ?? '', body });
      const url = new URL(req.url ?? '/', 'http://fixture');
      const hostile = options.hostile;
      if (hostile === 'reset') return req.socket.destroy();
      if (hostile === 'rate-limited') return res.writeHead(429, { 'retry-after': options.retryAfter ?? '3600', 'content-type': 'text/plain' }).end('Too many requests');
      if (hostile === 'html-200') return res.writeHead(200, { 'content-type': 'text/html' }).end(HTML_PAGE);
      if (hostile === 'escapes-503') {
        return res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '0' }).end(JSON.stringify({ message: HOSTILE_ERROR_TEXT }));
      }
      if (hostile === 'endless') {
        res.writeHead(200, { 'content-type': 'application/pgp-keys' });
        const chunk = Buffer.alloc(64 * 1024, 0x41);
        const pump = () => {
          while (res.write(chunk));
        };
        res.on('drain', pump);
        return pump();
      }
      if (hostile === 'drip') {
        res.writeHead(200, { 'content-type': 'application/pgp-keys' });
        const t = setInterval(() => res.write('-'), 1000);
        return res.on('close', () => clearInterval(t));
      }
      if (url.pathname === '/pks/add' && req.method === 'POST') {
        const keytext = decodeURIComponent(/^keytext=([^&]*)/.exec(body)?.[1]?.replace(dialect === 'sks' ? /\+/g : /$^/, ' ') ?? '');
        if (!keytext) return res.writeHead(dialect === 'hagrid' ? 500 : 400).end('missing keytext');
        load(keytext).then(
          async (k) => {
            // Like SKS and Hockeypuck, an upload of a key already held is merged into it.
            const at = held.findIndex((h) => h.fingerprint === k.fingerprint);
            if (at < 0) held.push(k);
            else held[at] = await mergeHeld(held[at]!, k);
            if (dialect.startsWith('hockeypuck')) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ inserted: [{ version: 4, fingerprint: k.fingerprint.toLowerCase() }], updated: [], ignored: [], invalid: [] }));
            else if (dialect === 'hagrid') res.writeHead(200, { 'content-type': 'text/plain' }).end('Upload successful.');
            else res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body><h2>Key block added to key server database.</h2>1 key(s) added successfully.</body></html>');
          },
          () => {
            if (dialect.startsWith('hockeypuck')) res.writeHead(422).end('unparsable key');
            else if (dialect === 'hagrid') res.writeHead(200, { 'content-type': 'text/plain' }).end('Upload successful. Please note that identity information will only be published after verification.');
            else res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Add failed: Malformed key</body></html>');
          },
        ).catch(() => res.writeHead(500).end('merge failed'));
        return;
      }
      if (url.pathname !== '/pks/lookup') return res.writeHead(404).end('not found');
      const op = url.searchParams.get('op') ?? (dialect === 'sks' ? 'index' : '');
      const search = url.searchParams.get('search') ?? '';
      if (!search) return dialect === 'sks' ? notFound(res) : res.writeHead(400).end('Bad Request');
      if (op !== 'get' && op !== 'index') return res.writeHead(dialect === 'hagrid' ? 501 : 400).end('Invalid op parameter!');
      if (hostile === 'escapes' && op === 'get') return res.writeHead(500, { 'content-type': 'text/plain' }).end(HOSTILE_ERROR_TEXT);
      const found = find(search, url.searchParams.get('exact') === 'on');
      if (found === 'bad') return res.writeHead(400, { 'content-type': 'text/plain' }).end(dialect === 'hagrid' ? 'Invalid search query!' : 'Bad Request');
      if (dialect === 'sks' && found.length > (options.maxHits ?? 50)) {
        return res.writeHead(500, { 'content-type': 'text/html' }).end('<html><body>Error handling request: Too many responses, unable to process query</body></html>');
      }
      if (found.length === 0) return notFound(res);
      if (op === 'index') {
        void indexLines(found, dialect, url.searchParams.get('fingerprint') === 'on', hostile === 'escapes').then((text) =>
          res.writeHead(200, { 'content-type': dialect === 'hagrid' ? 'text/plain; charset=utf-8' : 'text/plain' }).end(text),
        );
        return;
      }
      let answer: string;
      if (hostile === 'secret-key' && options.secretKey) answer = options.secretKey;
      else if (hostile === 'wrong-key') answer = armorKeys(held.filter((h) => !found.includes(h)).slice(0, 1));
      else if (hostile === 'extra-key') answer = armorKeys([...found, ...held.filter((h) => !found.includes(h)).slice(0, 1)]);
      else answer = armorKeys(found, dialect);
      if (hostile === 'bad-checksum' || hostile === 'damaged') answer = tamperedArmor(answer, hostile);
      // Cut mid-body, as a dropped connection behind a proxy that buffers would leave it.
      if (hostile === 'truncated') answer = answer.slice(0, Math.floor(answer.length / 2));
      const type = dialect === 'hockeypuck-2.2' || dialect === 'hockeypuck-2.4' || dialect === 'hagrid' ? 'application/pgp-keys' : 'application/pgp-keys; charset=UTF-8';
      res.writeHead(200, { 'content-type': type }).end(dialect.startsWith('hockeypuck') ? `${answer}\n` : answer);
    });
  });
  const { url, stop } = await listenOnLoopback(server);
  return {
    url,
    requests,
    stop,
  };
}
