import {
  DEFAULT_MAX_RAW_RESPONSE_BYTES,
  ErrorCodes,
  timedProbe,
  dearmorAll,
  keyMaterial,
  readPackets,
  splitCertificates,
  KeyportError,
  NetworkError,
  type EngineCallOptions,
  type HttpResponse,
  type HttpTransport,
  type KeyQuery,
  type ProbeOutcome,
  type ProtocolEngine,
  type SearchHit,
  type UploadOutcome,
} from '@keyport/core';
import { IndexFormatError, algorithmLabel, parseMachineIndex } from './mr-index.js';

const SCHEMES = new Set(['hkp:', 'hkps:', 'http:', 'https:']);

/**
 * The HTTP base URL of an HKP server: `hkp://` is plain HTTP on port 11371 unless a port is
 * given, `hkps://` is HTTPS on 443; the configured port and any path prefix are kept.
 */
export function hkpBase(server: URL): URL {
  const protocol = server.protocol === 'hkp:' ? 'http:' : server.protocol === 'hkps:' ? 'https:' : server.protocol;
  const port = server.port || (server.protocol === 'hkp:' ? '11371' : '');
  const base = new URL(`${protocol}//${server.hostname.includes(':') ? `[${server.hostname}]` : server.hostname}${port ? `:${port}` : ''}`);
  base.pathname = server.pathname.replace(/\/+$/, '');
  return base;
}

function lookupUrl(server: URL, params: Record<string, string>): URL {
  const base = hkpBase(server);
  const url = new URL(`${base.href.replace(/\/$/, '')}/pks/lookup`);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url;
}

/** The `search` value for a query: IDs with `0x`, emails bare (with `exact=on`), text as is. */
export function searchParams(query: KeyQuery): Record<string, string> {
  switch (query.kind) {
    case 'fingerprint':
    case 'keyId':
      return { search: `0x${query.value}` };
    case 'email':
      return { search: query.value, exact: 'on' };
    default:
      return { search: query.value };
  }
}

/**
 * Percent-encodes like GnuPG's /pks/add: every byte except ASCII letters and digits, uppercase
 * hex. `+` must be `%2B` (Hagrid does not turn `+` into a space, SKS does), newlines `%0A`.
 */
export function formEncode(text: string): string {
  let out = '';
  for (const b of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Only whitespace? Checked on bytes: answers run to megabytes and are not text to decode. */
function isBlank(body: Uint8Array): boolean {
  for (const b of body) if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return false;
  return true;
}

function isHtml(res: HttpResponse): boolean {
  const type = (res.headers['content-type'] ?? '').toLowerCase();
  const head = Buffer.from(res.body.subarray(0, 512)).toString('latin1').trimStart().toLowerCase();
  return head.startsWith('<!doctype html') || head.startsWith('<html') || (type.includes('text/html') && head.startsWith('<'));
}

/** The server's message as one short line: markup, styles and boilerplate removed. */
function firstLine(res: HttpResponse): string {
  const text = res
    .text()
    .replace(/<(style|script|head)[^>]*>[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<div class="disclaimer">[\s\S]*?<\/div>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return text.slice(0, 200);
}

/**
 * How HKP servers say "no such key" (protocols.md §2.6): SKS with an HTML page (even with
 * options=mr), Hagrid with "No key found for ...", Hockeypuck with Go's plain "Not Found".
 * A web server's own 404 page says none of these.
 */
const HKP_NOT_FOUND = /no results found|no keys found|^no key found for/i;
/** Hockeypuck's answer is Go's generic one: it counts only if other paths do not get it too. */
const GENERIC_NOT_FOUND = /^not found$/i;

/** Is this 404 an HKP server's "not found", or some other web server's? */
function hkpNotFound(res: HttpResponse): 'hkp' | 'generic' | false {
  if (res.status !== 404) return false;
  const said = firstLine(res);
  if (HKP_NOT_FOUND.test(said)) return 'hkp';
  return GENERIC_NOT_FOUND.test(said) && !isHtml(res) ? 'generic' : false;
}

/** HKP (SKS, Hockeypuck, Hagrid's subset) over the core HTTP transport. */
export class HkpEngine implements ProtocolEngine {
  readonly id = 'hkp';
  readonly label = 'HKP';

  /** `maxRawResponseBytes`: the cap on a look-up answer as read (the setting `network.maxRawResponseBytes`). */
  constructor(
    private readonly http: HttpTransport,
    private readonly maxRawResponseBytes: () => number = () => DEFAULT_MAX_RAW_RESPONSE_BYTES,
  ) {}

  supports(url: URL): boolean {
    return SCHEMES.has(url.protocol);
  }

  private statusError(host: string, res: HttpResponse, what: string): KeyportError {
    const said = firstLine(res);
    if (res.status === 400 || res.status === 501) {
      return new KeyportError(ErrorCodes.QueryUnsupported, `${host} does not support this ${what} (HTTP ${res.status}${said ? `: ${said}` : ''})`, {
        nextStep: 'try a full fingerprint or an exact email address, or another server',
      });
    }
    if (res.status === 413) {
      return new KeyportError(ErrorCodes.UploadTooLarge, `${host} refused the ${what} as too large (HTTP 413)`, { nextStep: 'send fewer keys at once' });
    }
    if (res.status === 500 && /too many|insufficiently specific/i.test(res.text())) {
      return new KeyportError(ErrorCodes.QueryTooBroad, `${host}: the query matches too many keys`, { nextStep: 'use more specific words, an email address or a fingerprint' });
    }
    return new NetworkError(ErrorCodes.HttpStatus, `${host} answered HTTP ${res.status} to the ${what}${said ? `: ${said}` : ''}`, {
      retryable: res.status >= 500,
      nextStep: res.status >= 500 ? 'try again later or use another server' : 'check the server address',
    });
  }

  private notKeyserver(host: string, res: HttpResponse): KeyportError {
    const said = isHtml(res) ? '' : firstLine(res);
    const what = isHtml(res) ? 'a web page' : `an answer that is not HKP${said ? ` ("${said.slice(0, 80)}")` : ''}`;
    return new KeyportError(ErrorCodes.NotAKeyserver, `${host} does not look like a key server: it answered HTTP ${res.status} with ${what}`, {
      nextStep: 'check the server address (a web site, captive portal or login page answers like this)',
    });
  }

  async search(server: URL, query: KeyQuery, options: EngineCallOptions = {}): Promise<SearchHit[]> {
    const url = lookupUrl(server, { op: 'index', options: 'mr', fingerprint: 'on', ...searchParams(query) });
    const res = await this.http.request({ url, signal: options.signal, headers: { accept: 'text/plain' } });
    // Only an HKP-shaped 404 means "no keys"; a web server's 404 page means a wrong address.
    if (res.status === 404) {
      if (hkpNotFound(res)) return [];
      throw this.notKeyserver(url.host, res);
    }
    if (res.status !== 200) throw this.statusError(url.host, res, 'search');
    if (isHtml(res)) throw this.notKeyserver(url.host, res);
    let keys;
    try {
      keys = parseMachineIndex(res.text());
    } catch (e) {
      if (e instanceof IndexFormatError) throw new KeyportError(ErrorCodes.NotAKeyserver, `${url.host}: ${e.message}`, { nextStep: 'check the server address' });
      throw e;
    }
    const now = Date.now();
    const source = hkpBase(server).href.replace(/\/$/, '');
    return keys.map((k) => ({
      fingerprint: k.fingerprint,
      keyId: k.keyId,
      algorithmId: k.algorithmId,
      algorithm: algorithmLabel(k.algorithmId),
      bits: k.bits,
      created: k.created?.toISOString() ?? null,
      expires: k.expires?.toISOString() ?? null,
      revoked: k.revoked,
      expired: (k.expires !== null && k.expires.getTime() <= now) || k.serverSaysExpired,
      disabled: k.disabled,
      userIds: k.userIds,
      source,
    }));
  }

  async lookup(server: URL, query: KeyQuery, options: EngineCallOptions = {}): Promise<Uint8Array | null> {
    const url = lookupUrl(server, { op: 'get', options: 'mr', ...searchParams(query) });
    // A flooded key's answer is far larger than what is kept of it: the import pipeline holds
    // the screened certificates to network.maxResponseBytes.
    const res = await this.http.request({ url, signal: options.signal, headers: { accept: 'application/pgp-keys' }, maxBytes: this.maxRawResponseBytes() });
    if (res.status === 404) {
      if (hkpNotFound(res)) return null;
      throw this.notKeyserver(url.host, res);
    }
    if (res.status !== 200) throw this.statusError(url.host, res, 'key request');
    if (isHtml(res)) throw this.notKeyserver(url.host, res);
    // An empty 200 is "no key", not a malformed key.
    if (isBlank(res.body)) return null;
    return res.body;
  }

  async upload(server: URL, armoredPublicKeys: string, options: EngineCallOptions = {}): Promise<UploadOutcome> {
    if (/-----BEGIN PGP PRIVATE KEY BLOCK-----/.test(armoredPublicKeys)) {
      throw new KeyportError(ErrorCodes.Internal, 'refusing to upload a private key block');
    }
    const base = hkpBase(server);
    // No query string: SKS answers "Unexpected POST request" (with 200) to /pks/add?options=mr.
    const url = new URL(`${base.href.replace(/\/$/, '')}/pks/add`);
    const res = await this.http.request({
      url,
      method: 'POST',
      signal: options.signal,
      // keytext must be the first field: SKS reads the body with the pattern "keytext=%s".
      body: `keytext=${formEncode(armoredPublicKeys)}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const text = res.text();
    if (res.status === 422) return { accepted: [], failed: [{ fingerprint: null, reason: firstLine(res) || 'the server could not use the key' }], message: text };
    if (res.status !== 200) throw this.statusError(url.host, res, 'upload');
    // Hockeypuck: JSON with inserted / updated / ignored / invalid.
    const type = res.headers['content-type'] ?? '';
    if (type.includes('json') || text.trimStart().startsWith('{')) {
      try {
        const json = JSON.parse(text) as Record<string, unknown[] | undefined>;
        const fpr = (e: unknown) => (typeof e === 'string' ? (e.split('/').pop() ?? e).toUpperCase() : String((e as { fingerprint?: string }).fingerprint ?? '').toUpperCase());
        return {
          accepted: [...(json.inserted ?? []), ...(json.updated ?? []), ...(json.ignored ?? [])].map(fpr),
          failed: (json.invalid ?? []).map((e) => ({ fingerprint: fpr(e) || null, reason: String((e as { comment?: string }).comment ?? 'invalid') })),
          message: `${json.inserted?.length ?? 0} inserted, ${json.updated?.length ?? 0} updated, ${json.ignored?.length ?? 0} unchanged, ${json.invalid?.length ?? 0} invalid`,
        };
      } catch {
        /* not JSON after all: fall through to the text forms */
      }
    }
    // SKS answers HTML 200 with "Add failed" lines; Hagrid answers 200 even when it refused the
    // key. A plain 200 proves nothing, so every uploaded key is confirmed with a lookup.
    const plain = firstLine(res);
    const failures: UploadOutcome['failed'] = [...text.matchAll(/Add failed:?\s*([^<\n]*)/gi)].map((m) => ({ fingerprint: null, reason: m[1]!.trim() || 'refused' }));
    const accepted: string[] = [];
    for (const fpr of uploadedFingerprints(armoredPublicKeys)) {
      const back = await this.lookup(server, { kind: 'fingerprint', value: fpr }, options);
      if (back) accepted.push(fpr);
      else if (failures.length === 0) failures.push({ fingerprint: fpr, reason: `the server answered "${plain || `HTTP ${res.status}`}" but does not serve the key` });
    }
    return { accepted, failed: failures, message: plain };
  }

  /**
   * Decisive answers only: a machine-readable index, or an HKP server's own "not found" for a
   * key nobody has. A generic "Not Found" (Hockeypuck's) counts only when a path no key server
   * serves gets something else, so a server that says it to everything is not taken for HKP.
   */
  async probe(server: URL, options: EngineCallOptions = {}): Promise<ProbeOutcome> {
    const url = lookupUrl(server, { op: 'index', options: 'mr', fingerprint: 'on', search: `0x${'0'.repeat(40)}` });
    const probed = await timedProbe(this.http, url, options.signal);
    if ('unreachable' in probed) return probed.unreachable;
    const { response: res, latencyMs } = probed;
    const notFound = hkpNotFound(res);
    if (notFound === 'generic') {
      const control = await timedProbe(this.http, new URL(`${hkpBase(server).href.replace(/\/$/, '')}/pks/keyport-probe-${Date.now()}`), options.signal);
      const same = 'unreachable' in control || (control.response.status === 404 && firstLine(control.response) === firstLine(res));
      if (same) return { reachable: true, speaksProtocol: false, latencyMs, detail: 'answered "Not Found" to everything: not an HKP server' };
    }
    if (notFound) return { reachable: true, speaksProtocol: true, latencyMs, detail: `speaks HKP (HTTP 404 for an unknown key in ${latencyMs} ms)` };
    if (isHtml(res)) return { reachable: true, speaksProtocol: false, latencyMs, detail: `answered HTTP ${res.status} with a web page: not a key server (or a captive portal)` };
    if (res.status === 200 && /^(info|pub):/m.test(res.text())) return { reachable: true, speaksProtocol: true, latencyMs, detail: `speaks HKP (HTTP 200 in ${latencyMs} ms)` };
    return { reachable: true, speaksProtocol: false, latencyMs, detail: `answered HTTP ${res.status} but not as an HKP server` };
  }
}

/** Fingerprints of the certificates in an armored upload. */
function uploadedFingerprints(armored: string): string[] {
  const packets = readPackets(dearmorAll(new TextEncoder().encode(armored)));
  return splitCertificates(packets).certificates.map((c) => keyMaterial(c.parts.primary).fingerprint);
}
