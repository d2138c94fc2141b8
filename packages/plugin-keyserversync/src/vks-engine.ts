import {
  DEFAULT_MAX_RAW_RESPONSE_BYTES,
  ErrorCodes,
  timedProbe,
  KeyportError,
  NetworkError,
  dearmorAll,
  emailOf,
  readPackets,
  PacketTag,
  type AddressStatus,
  type EngineCallOptions,
  type HttpResponse,
  type HttpTransport,
  type KeyQuery,
  type ProbeOutcome,
  type ProtocolEngine,
  type PublishStatus,
  type UploadOutcome,
  type VerificationAnswer,
} from '@keyport/core';

/** Hagrid's sample configuration gives tokens one hour; renew a little before that. */
const VKS_SESSION_LIFETIME_MS = 50 * 60 * 1000;

const STATUSES = new Set<AddressStatus>(['published', 'unpublished', 'pending', 'revoked']);

function apiUrl(server: URL, path: string): URL {
  const base = `${server.protocol}//${server.host}${server.pathname.replace(/\/+$/, '')}`;
  return new URL(`${base}${path}`);
}

/** The server's error text: `{"error"}` or `{"message"}` JSON, else a short plain line. */
function serverSays(res: HttpResponse): string {
  try {
    const j = JSON.parse(res.text()) as { error?: unknown; message?: unknown };
    const said = j.error ?? j.message;
    if (typeof said === 'string') return said;
  } catch {
    /* not JSON */
  }
  return res.text().replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 200);
}

function parseStatus(raw: unknown): Record<string, AddressStatus> {
  const out: Record<string, AddressStatus> = {};
  if (typeof raw !== 'object' || raw === null) return out;
  for (const [k, v] of Object.entries(raw)) if (STATUSES.has(v as AddressStatus)) out[k.toLowerCase()] = v as AddressStatus;
  return out;
}

/**
 * The Verifying Keyserver API of keys.openpgp.org and any Hagrid (protocols.md §1): look-ups by
 * uppercase fingerprint or key ID and by percent-encoded email, JSON upload of one certificate,
 * verification requests, and publish status.
 */
export class VksEngine implements ProtocolEngine {
  readonly id = 'vks';
  readonly label = 'VKS (keys.openpgp.org)';
  readonly sessionLifetimeMs = VKS_SESSION_LIFETIME_MS;

  /** `maxRawResponseBytes`: the cap on a look-up answer as read (the setting `network.maxRawResponseBytes`). */
  constructor(
    private readonly http: HttpTransport,
    private readonly maxRawResponseBytes: () => number = () => DEFAULT_MAX_RAW_RESPONSE_BYTES,
  ) {}

  supports(url: URL): boolean {
    return url.protocol === 'https:' || url.protocol === 'http:';
  }

  private fail(host: string, res: HttpResponse, what: string): KeyportError {
    const said = serverSays(res);
    if (res.status === 413) {
      return new KeyportError(ErrorCodes.UploadTooLarge, `${host} refused the ${what} as too large (over 1 MiB)`, { nextStep: 'remove photos or old signatures from the key and try again' });
    }
    if (res.status === 400) {
      return new KeyportError(ErrorCodes.QueryUnsupported, `${host} refused the ${what}: ${said || 'bad request'}`, {
        nextStep: /expired/i.test(said) ? 'upload the key again to get a new session' : 'check the key and the request',
      });
    }
    return new NetworkError(ErrorCodes.HttpStatus, `${host} answered HTTP ${res.status} to the ${what}${said ? `: ${said}` : ''}`, {
      retryable: res.status >= 500,
      nextStep: res.status >= 500 ? 'try again later' : 'check the server address',
    });
  }

  private lookupPath(query: KeyQuery): string | undefined {
    switch (query.kind) {
      case 'fingerprint':
        return `/vks/v1/by-fingerprint/${query.value.toUpperCase()}`;
      case 'keyId':
        return `/vks/v1/by-keyid/${query.value.toUpperCase()}`;
      case 'email':
        return `/vks/v1/by-email/${encodeURIComponent(query.value)}`;
      default:
        return undefined;
    }
  }

  async lookup(server: URL, query: KeyQuery, options: EngineCallOptions = {}): Promise<Uint8Array | null> {
    const path = this.lookupPath(query);
    if (!path) {
      throw new KeyportError(ErrorCodes.QueryUnsupported, `${server.host} looks keys up only by fingerprint, key ID or exact email address`, {
        nextStep: 'search a key server that supports text search (HKP), then import by fingerprint',
      });
    }
    const url = apiUrl(server, path);
    // Screening keeps a flooded key's answer to network.maxResponseBytes; the raw answer may be larger.
    const res = await this.http.request({ url, signal: options.signal, headers: { accept: 'application/pgp-keys' }, maxBytes: this.maxRawResponseBytes() });
    // Key on the status code, not the content type (it varies, protocols.md §1.4); but a 404 that
    // is a web page without Hagrid's "No key found" comes from a web server, not a key server.
    if (res.status === 404) {
      if (!/^\s*</.test(res.text().slice(0, 512)) || /no key found/i.test(serverSays(res))) return null;
      throw new KeyportError(ErrorCodes.NotAKeyserver, `${url.host} does not look like a key server: it answered HTTP 404 with a web page`, {
        nextStep: 'check the server address (a web site, captive portal or login page answers like this)',
      });
    }
    if (res.status !== 200) throw this.fail(url.host, res, 'look-up');
    return res.body;
  }

  async upload(server: URL, armoredPublicKeys: string, options: EngineCallOptions = {}): Promise<UploadOutcome> {
    if (/-----BEGIN PGP PRIVATE KEY BLOCK-----/.test(armoredPublicKeys)) {
      throw new KeyportError(ErrorCodes.Internal, 'refusing to upload a private key block');
    }
    const url = apiUrl(server, '/vks/v1/upload');
    const res = await this.http.request({
      url,
      method: 'POST',
      signal: options.signal,
      body: JSON.stringify({ keytext: armoredPublicKeys }),
      headers: { 'content-type': 'application/json', accept: 'application/json' },
    });
    if (res.status !== 200) throw this.fail(url.host, res, 'upload');
    let reply: unknown;
    try {
      reply = JSON.parse(res.text());
    } catch {
      throw new NetworkError(ErrorCodes.HttpStatus, `${url.host} answered the upload with something that is not JSON`, { nextStep: 'check that this is a VKS server (keys.openpgp.org or Hagrid)' });
    }
    // Several certificates in one upload: Hagrid answers a bare array of fingerprints.
    if (Array.isArray(reply)) {
      const accepted = reply.filter((x): x is string => typeof x === 'string').map((x) => x.toUpperCase());
      return { accepted, failed: [], message: `${accepted.length} keys uploaded (no verification session for several keys)` };
    }
    const obj = reply as { key_fpr?: unknown; status?: unknown; token?: unknown };
    if (typeof obj.key_fpr !== 'string' || typeof obj.token !== 'string') {
      throw new NetworkError(ErrorCodes.HttpStatus, `${url.host} answered the upload without key_fpr and token`, { nextStep: 'check that this is a VKS server' });
    }
    const addresses = parseStatus(obj.status);
    return { accepted: [obj.key_fpr.toUpperCase()], failed: [], message: 'uploaded', token: obj.token, addresses };
  }

  async requestVerification(
    server: URL,
    request: { token: string; addresses: string[]; locale?: string[] },
    options: EngineCallOptions = {},
  ): Promise<VerificationAnswer> {
    const url = apiUrl(server, '/vks/v1/request-verify');
    const res = await this.http.request({
      url,
      method: 'POST',
      signal: options.signal,
      body: JSON.stringify({ token: request.token, addresses: request.addresses, ...(request.locale?.length ? { locale: request.locale } : {}) }),
      headers: { 'content-type': 'application/json', accept: 'application/json' },
    });
    // Hagrid answers a token it no longer accepts with HTTP 400 and a message saying it expired.
    if (res.status === 400 && /expired/i.test(serverSays(res))) return { sessionExpired: true };
    if (res.status !== 200) throw this.fail(url.host, res, 'verification request');
    const obj = JSON.parse(res.text()) as { key_fpr?: string; status?: unknown };
    return { fingerprint: String(obj.key_fpr ?? '').toUpperCase(), addresses: parseStatus(obj.status) };
  }

  /**
   * Published (with the verified addresses the server serves), held without any verified
   * identity (served with no user ID), or not published (404).
   */
  async publishStatus(server: URL, fingerprint: string, options: EngineCallOptions = {}): Promise<PublishStatus> {
    const bytes = await this.lookup(server, { kind: 'fingerprint', value: fingerprint }, options);
    if (!bytes) return { state: 'not-published', addresses: [] };
    const text = Buffer.from(bytes).toString('latin1');
    const packets = readPackets(text.includes('-----BEGIN PGP') ? dearmorAll(bytes) : bytes);
    const addresses = packets
      .filter((p) => p.tag === PacketTag.UserId)
      .map((p) => emailOf(Buffer.from(p.body).toString('utf8')))
      .filter((a): a is string => a !== null);
    return addresses.length ? { state: 'published', addresses: [...new Set(addresses)].sort() } : { state: 'no-verified-identity', addresses: [] };
  }

  /**
   * Decisive answers only: Hagrid's own "not found" for a fingerprint nobody has ("No key found
   * for this fingerprint." from nginx, "No key found for fingerprint X" from Hagrid itself), or a
   * key. A bare or HTML 404 is any web server's and proves nothing.
   */
  async probe(server: URL, options: EngineCallOptions = {}): Promise<ProbeOutcome> {
    const url = apiUrl(server, `/vks/v1/by-fingerprint/${'0'.repeat(40)}`);
    const probed = await timedProbe(this.http, url, options.signal);
    if ('unreachable' in probed) return probed.unreachable;
    const { response: res, latencyMs } = probed;
    const text = res.text().trim();
    const vks = (res.status === 404 && /^No key found for (this )?fingerprint\b/i.test(text)) || (res.status === 200 && text.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----'));
    return vks
      ? { reachable: true, speaksProtocol: true, latencyMs, detail: `speaks VKS (HTTP ${res.status} in ${latencyMs} ms)` }
      : { reachable: true, speaksProtocol: false, latencyMs, detail: `answered HTTP ${res.status} but not as a VKS server` };
  }
}
