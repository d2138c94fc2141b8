import { randomBytes } from 'node:crypto';
import http from 'node:http';
import * as openpgp from 'openpgp';
import { listenOnLoopback } from './listen.js';

/**
 * A local server that behaves like keys.openpgp.org (Hagrid behind its nginx config) as
 * protocols.md §1 describes it: VKS lookups (uppercase-only, signing/certifying subkeys only),
 * JSON upload with the `{key_fpr,status,token}` or bare-array reply, request-verify with token
 * lifetime and silently ignored addresses, served certificates that carry only verified
 * addresses and no third-party certifications, 503 maintenance with `message`, 429 on email
 * look-ups over a limit, 413 over 1 MiB, and a test-only way to "click" a verification link.
 */
export interface HagridFixtureOptions {
  /** Seconds an upload token stays valid (Hagrid's sample config: 3600). */
  tokenValiditySeconds?: number;
  /** Email look-ups allowed before answering 429. */
  emailLookupLimit?: number;
}

export interface RunningHagridFixture {
  url: string;
  requests: { method: string; url: string; body: string }[];
  /** Addresses a verification mail was "sent" to, in order. */
  mails: string[];
  /** Publishes `address` on the key that requested verification for it (clicking the mailed link). */
  clickVerification(address: string): void;
  /** Turns maintenance mode on (message) or off (null). */
  setMaintenance(message: string | null): void;
  /** Makes every token issued so far expire. */
  expireTokens(): void;
  stop(): Promise<void>;
}

interface Stored {
  key: openpgp.PublicKey;
  verified: Set<string>;
  pending: Set<string>;
}

const MAX_BODY = 1024 * 1024;

function emailsOf(key: openpgp.PublicKey): { address: string; revoked: boolean }[] {
  return key.users
    .filter((u) => u.userID?.email)
    .map((u) => ({ address: u.userID!.email.toLowerCase(), revoked: u.revocationSignatures.length > 0 }));
}

/** The certificate as Hagrid serves it: verified, unrevoked email user IDs only, no third-party certifications. */
function served(s: Stored): Uint8Array {
  const list = new openpgp.PacketList<openpgp.AnyPacket>();
  const k = s.key;
  const primaryKeyId = k.getKeyID();
  list.push(k.keyPacket);
  for (const sig of [...k.revocationSignatures, ...((k as unknown as { directSignatures: openpgp.SignaturePacket[] }).directSignatures ?? [])]) list.push(sig);
  for (const u of k.users) {
    const email = u.userID?.email.toLowerCase();
    if (!email || !s.verified.has(email) || u.revocationSignatures.length > 0) continue;
    list.push(u.userID!);
    for (const sig of u.selfCertifications) if (sig.issuerKeyID.equals(primaryKeyId)) list.push(sig);
  }
  for (const sub of k.subkeys) {
    list.push(sub.keyPacket);
    for (const sig of [...sub.bindingSignatures, ...sub.revocationSignatures]) list.push(sig);
  }
  return list.write();
}

export async function startHagridFixture(options: HagridFixtureOptions = {}): Promise<RunningHagridFixture> {
  const store = new Map<string, Stored>();
  const tokens = new Map<string, { fpr: string; addresses: string[]; expires: number }>();
  const requests: RunningHagridFixture['requests'] = [];
  const mails: string[] = [];
  const pendingLinks = new Map<string, string>(); // address -> fpr
  let maintenance: string | null = null;
  let emailLookups = 0;
  const validity = (options.tokenValiditySeconds ?? 3600) * 1000;

  const findByFpr = (hex: string) => {
    for (const s of store.values()) {
      if (s.key.getFingerprint().toUpperCase() === hex) return s;
      // Only signing/certifying subkeys (or ones without key flags) are linked (protocols.md §1.3).
      for (const sub of s.key.subkeys) {
        const flags = sub.bindingSignatures[0]?.keyFlags?.[0];
        const linkable = flags === undefined || (flags & 0x03) !== 0;
        if (linkable && sub.getFingerprint().toUpperCase() === hex) return s;
      }
    }
    return undefined;
  };
  const findByKeyId = (hex: string) => {
    for (const s of store.values()) {
      if (s.key.getKeyID().toHex().toUpperCase() === hex) return s;
      for (const sub of s.key.subkeys) {
        const flags = sub.bindingSignatures[0]?.keyFlags?.[0];
        if ((flags === undefined || (flags & 0x03) !== 0) && sub.getKeyID().toHex().toUpperCase() === hex) return s;
      }
    }
    return undefined;
  };
  const findByEmail = (addr: string) => [...store.values()].find((s) => s.verified.has(addr));

  const statusOf = (s: Stored) => {
    const status: Record<string, string> = {};
    for (const { address, revoked } of emailsOf(s.key)) {
      const value = revoked ? 'revoked' : s.verified.has(address) ? 'published' : s.pending.has(address) ? 'pending' : 'unpublished';
      const rank = { published: 3, pending: 2, unpublished: 1, revoked: 0 } as Record<string, number>;
      if (!status[address] || rank[value]! > rank[status[address]!]!) status[address] = value;
    }
    return status;
  };

  const json = (res: http.ServerResponse, code: number, body: unknown) =>
    res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const armoredKey = (res: http.ServerResponse, s: Stored, name: string) =>
    res
      .writeHead(200, { 'content-type': 'application/pgp-keys', 'access-control-allow-origin': '*', 'cache-control': 'no-cache', 'content-disposition': `attachment; filename="${name}.asc"` })
      .end(openpgp.armor(openpgp.enums.armor.publicKey, served(s)));

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY + 1) chunks.push(c);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? 'GET', url: req.url ?? '', body });
      void handle(req, res, body, size).catch((e: unknown) => json(res, 500, { error: String(e) }));
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, body: string, size: number) {
    const url = new URL(req.url ?? '/', 'http://hagrid');
    const p = url.pathname;
    let m: RegExpExecArray | null;
    if (req.method === 'GET' && (m = /^\/vks\/v1\/by-fingerprint\/(?:0x)?([^/]+)$/.exec(p))) {
      // nginx looks up the link file byte for byte: lowercase or 64-hex is simply not found.
      const s = /^[0-9A-F]{40}$/.test(m[1]!) ? findByFpr(m[1]!) : undefined;
      return s ? armoredKey(res, s, m[1]!) : res.writeHead(404).end('No key found for this fingerprint.');
    }
    if (req.method === 'GET' && (m = /^\/vks\/v1\/by-keyid\/(?:0x)?([^/]+)$/.exec(p))) {
      const s = /^[0-9A-F]{16}$/.test(m[1]!) ? findByKeyId(m[1]!) : undefined;
      return s ? armoredKey(res, s, m[1]!) : res.writeHead(404).end('No key found for this key id.');
    }
    if (req.method === 'GET' && (m = /^\/vks\/v1\/by-email\/(.+)$/.exec(p))) {
      if (++emailLookups > (options.emailLookupLimit ?? 1000)) {
        return res.writeHead(429, { 'content-type': 'text/html' }).end('<html><body><h1>Error 429 Too many requests</h1></body></html>');
      }
      const addr = decodeURIComponent(m[1]!).toLowerCase();
      const s = findByEmail(addr);
      return s ? armoredKey(res, s, addr) : res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' }).end(`No key found for email address ${addr}`);
    }
    if (req.method === 'POST' && (p === '/vks/v1/upload' || p === '/vks/v1/request-verify')) {
      if (maintenance !== null) return json(res, 503, { message: maintenance });
      if (size > MAX_BODY) return res.writeHead(413, { 'content-type': 'text/html' }).end('<html><body>413 Request Entity Too Large</body></html>');
      if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
        return json(res, 400, { error: 'expected application/json data. see https://keys.openpgp.org/about/api for api docs.' });
      }
      let data: Record<string, unknown>;
      try {
        data = JSON.parse(body) as Record<string, unknown>;
      } catch (e) {
        return json(res, 400, { error: `expected value at line 1 column 1: ${(e as Error).message}` });
      }
      if (p === '/vks/v1/upload') return upload(res, data);
      return requestVerify(res, data);
    }
    if (req.method === 'POST' && p === '/pks/add') {
      if (maintenance !== null) return res.writeHead(503, { 'content-type': 'text/plain' }).end(maintenance);
      const keytext = /^keytext=([^&]*)/.exec(body)?.[1];
      if (keytext === undefined) return res.writeHead(500, { 'content-type': 'text/html' }).end('<html>500</html>');
      // Rocket does no form decoding; Hagrid only percent-decodes, so `+` stays `+`.
      try {
        for (const k of await readPublic(decodeURIComponent(keytext))) await merge(k);
      } catch {
        /* Hagrid answers 200 even when it refused the key. */
      }
      return res.writeHead(200, { 'content-type': 'text/plain' }).end('Upload successful. Please note that identity information will only be published after verification.');
    }
    if (req.method === 'GET' && p === '/pks/lookup') {
      // nginx-level HKP subset (protocols.md §1.8): op=get|index, search by 16/40 hex or email.
      const op = url.searchParams.get('op') ?? '';
      let search = url.searchParams.get('search') ?? '';
      const bracket = /<([^>]+)>/.exec(search);
      if (bracket) search = bracket[1]!;
      if (!/^(index|get)$/.test(op) || !search) return res.writeHead(400).end('Invalid request');
      const hex = /^(?:0x)?([0-9a-fA-F]{16}|[0-9a-fA-F]{40})$/.exec(search)?.[1]?.toUpperCase();
      const s = hex ? (hex.length === 40 ? findByFpr(hex) : findByKeyId(hex)) : search.includes('@') ? findByEmail(search.toLowerCase()) : null;
      if (s === null) return res.writeHead(400).end('Invalid search query!');
      if (!s) return res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' }).end('No key found for this fingerprint.');
      if (op === 'get') return armoredKey(res, s, search);
      const k = s.key;
      const lines = [
        'info:1:1',
        `pub:${k.getFingerprint().toUpperCase()}:${(openpgp.enums.publicKey as unknown as Record<string, number>)[k.getAlgorithmInfo().algorithm] ?? 0}:${k.getAlgorithmInfo().bits ?? 256}:${Math.floor(k.getCreationTime().getTime() / 1000)}::`,
        ...k.users.filter((u) => u.userID && s.verified.has(u.userID.email.toLowerCase())).map((u) => `uid:${encodeURI(u.userID!.userID).replace(/%3A/gi, ':')}:::`),
      ];
      return res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(`${lines.join('\r\n')}\r\n`);
    }
    if (p.startsWith('/vks/')) return res.writeHead(400).end('Error 400 Invalid request');
    return res.writeHead(404).end('not found');
  }

  async function readPublic(text: string): Promise<openpgp.PublicKey[]> {
    const trimmed = text.trim();
    const keys = trimmed.startsWith('-----BEGIN')
      ? await openpgp.readKeys({ armoredKeys: trimmed })
      : await openpgp.readKeys({ binaryKeys: new Uint8Array(Buffer.from(trimmed, 'base64')) });
    if (keys.some((k) => k.isPrivate())) throw Object.assign(new Error('secret'), { secret: true });
    return keys as openpgp.PublicKey[];
  }

  /** Uploads merge into the stored full certificate and never remove anything. */
  async function merge(key: openpgp.PublicKey): Promise<Stored> {
    const fpr = key.getFingerprint().toUpperCase();
    const existing = store.get(fpr);
    if (!existing) {
      const s = { key, verified: new Set<string>(), pending: new Set<string>() };
      store.set(fpr, s);
      return s;
    }
    existing.key = (await existing.key.update(key)) as openpgp.PublicKey;
    return existing;
  }

  async function upload(res: http.ServerResponse, data: Record<string, unknown>) {
    if (typeof data.keytext !== 'string') return json(res, 400, { error: 'missing field `keytext` at line 1 column 2' });
    let keys: openpgp.PublicKey[];
    try {
      keys = await readPublic(data.keytext);
    } catch (e) {
      if ((e as { secret?: boolean }).secret) return json(res, 400, { error: "Whoops, please don't upload secret keys!" });
      return json(res, 400, { error: 'Parsing of key data failed.' });
    }
    if (keys.length === 0) return json(res, 400, { error: 'No key uploaded.' });
    if (keys.length > 1) {
      for (const k of keys) await merge(k);
      return json(res, 200, keys.map((k) => k.getFingerprint().toUpperCase()));
    }
    const s = await merge(keys[0]!);
    const fpr = keys[0]!.getFingerprint().toUpperCase();
    const addresses = emailsOf(s.key).filter((e) => !e.revoked).map((e) => e.address);
    const token = randomBytes(24).toString('base64url');
    tokens.set(token, { fpr, addresses, expires: Date.now() + validity });
    return json(res, 200, { key_fpr: fpr, status: statusOf(s), token });
  }

  function requestVerify(res: http.ServerResponse, data: Record<string, unknown>) {
    const t = typeof data.token === 'string' ? tokens.get(data.token) : undefined;
    if (!t || t.expires <= Date.now()) return json(res, 400, { error: 'Upload session expired. Please try again.' });
    const s = store.get(t.fpr)!;
    const asked = Array.isArray(data.addresses) ? data.addresses.map((a) => String(a).toLowerCase()) : [];
    for (const address of asked) {
      // Only addresses on the key at upload time and not yet published get mail; others are ignored.
      if (!t.addresses.includes(address) || s.verified.has(address) || s.pending.has(address)) continue;
      s.pending.add(address);
      mails.push(address);
      pendingLinks.set(address, t.fpr);
    }
    return json(res, 200, { key_fpr: t.fpr, status: statusOf(s), token: data.token });
  }

  const { url, stop } = await listenOnLoopback(server);
  return {
    url,
    requests,
    mails,
    clickVerification(address) {
      const fpr = pendingLinks.get(address.toLowerCase());
      if (!fpr) throw new Error(`no verification mail was sent to ${address}`);
      const s = store.get(fpr)!;
      // An address maps to one key: verifying it here unlinks it elsewhere.
      for (const other of store.values()) other.verified.delete(address.toLowerCase());
      s.pending.delete(address.toLowerCase());
      s.verified.add(address.toLowerCase());
      pendingLinks.delete(address.toLowerCase());
    },
    setMaintenance(message) {
      maintenance = message;
    },
    expireTokens() {
      for (const t of tokens.values()) t.expires = 0;
    },
    stop,
  };
}
