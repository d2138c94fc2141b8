import {
  ErrorCodes,
  InputError,
  KeyportError,
  dearmorAll,
  readPackets,
  serializeCertificate,
  splitCertificates,
  summarize,
  userIdsWithEmail,
  type HttpResponse,
  type HttpTransport,
  type SearchHit,
} from '@keyport/core';
import { parsePolicy, type WkdPolicy } from './policy.js';
import { wkdHash } from './zbase32.js';

/** Where one address's key lives under each method. */
export interface WkdLocations {
  email: string;
  domain: string;
  advanced: { key: URL; policy: URL };
  direct: { key: URL; policy: URL };
}

export interface WkdAnswer {
  /** Certificates as served (binary), cut down to the queried address (see {@link selectForAddress}). */
  bytes: Uint8Array;
  url: string;
  method: 'advanced' | 'direct';
}

/** The two URLs of an address (draft-koch-openpgp-webkey-service §3.1). */
export function wkdLocations(address: string): WkdLocations {
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  const domain = address.slice(at + 1).toLowerCase();
  if (at <= 0 || !domain || /[\s/?#]/.test(address)) {
    throw new InputError(ErrorCodes.Usage, `"${address}" is not an email address`, { nextStep: 'WKD looks keys up by email address, e.g. alice@example.org' });
  }
  const hu = `hu/${wkdHash(local)}?l=${encodeURIComponent(local)}`;
  return {
    email: `${local}@${domain}`,
    domain,
    advanced: {
      key: new URL(`https://openpgpkey.${domain}/.well-known/openpgpkey/${domain}/${hu}`),
      policy: new URL(`https://openpgpkey.${domain}/.well-known/openpgpkey/${domain}/policy`),
    },
    direct: {
      key: new URL(`https://${domain}/.well-known/openpgpkey/${hu}`),
      policy: new URL(`https://${domain}/.well-known/openpgpkey/policy`),
    },
  };
}

/**
 * Keeps, of each certificate that has a user ID with `address`, only that user ID (as GnuPG
 * does: the directory vouches for the address, nothing else). Certificates without the address
 * are passed on untouched so keyport's import screening rejects them with the reason.
 */
export function selectForAddress(bytes: Uint8Array, address: string): Uint8Array {
  const binary = (bytes[0]! & 0x80) !== 0 ? bytes : dearmorAll(bytes);
  const { certificates } = splitCertificates(readPackets(binary));
  const out = certificates.map(({ parts }) => {
    const mine = userIdsWithEmail(parts, address);
    return serializeCertificate(mine.length > 0 ? { ...parts, userIds: mine } : parts);
  });
  return Buffer.concat(out);
}

/** A WKD client over keyport's HTTP transport (size cap, timeouts, no https downgrade). */
export class WkdClient {
  constructor(
    private readonly http: HttpTransport,
    /** Host name → "address:port" to connect to instead (the `wkd.connectTo` setting). */
    private readonly pins: () => Record<string, string>,
  ) {}

  /**
   * The certificates the address's domain publishes for it, or null. Advanced method first;
   * the direct method only when `openpgpkey.<domain>` does not exist, or exists without a WKD
   * (no key and no policy file there: a wildcard DNS record, typically).
   */
  async lookup(address: string, signal?: AbortSignal): Promise<WkdAnswer | null> {
    const where = wkdLocations(address);
    let advanced: HttpResponse | undefined;
    try {
      advanced = await this.get(where.advanced.key, signal);
    } catch (e) {
      if (!isHostNotFound(e)) throw e;
    }
    if (advanced?.status === 200) return this.answer(advanced, where, 'advanced');
    if (advanced && advanced.status !== 404) throw statusError(where.advanced.key, advanced);
    if (advanced && (await this.policyAt(where.advanced.policy, signal)) !== null) return null;
    const direct = await this.get(where.direct.key, signal);
    if (direct.status === 200) return this.answer(direct, where, 'direct');
    if (direct.status === 404) return null;
    throw statusError(where.direct.key, direct);
  }

  /** The domain's policy under either method, or null when it publishes none. */
  async policy(address: string, signal?: AbortSignal): Promise<{ method: 'advanced' | 'direct'; policy: WkdPolicy } | null> {
    const where = wkdLocations(address);
    try {
      const advanced = await this.policyAt(where.advanced.policy, signal);
      if (advanced) return { method: 'advanced', policy: advanced };
    } catch (e) {
      if (!isHostNotFound(e)) throw e;
    }
    const direct = await this.policyAt(where.direct.policy, signal);
    return direct ? { method: 'direct', policy: direct } : null;
  }

  /** Search hits for an address: one per published certificate that carries it. */
  async search(address: string, signal?: AbortSignal): Promise<SearchHit[]> {
    const found = await this.lookup(address, signal);
    if (!found) return [];
    const { certificates } = splitCertificates(readPackets(found.bytes));
    const hits: SearchHit[] = [];
    const now = Date.now();
    for (const { parts } of certificates) {
      if (userIdsWithEmail(parts, address).length === 0) continue;
      const s = await summarize(parts);
      hits.push({
        fingerprint: s.fingerprint,
        keyId: s.keyId,
        algorithmId: parts.primary.body[5] ?? null,
        algorithm: s.algorithm,
        bits: s.bits,
        created: s.created,
        expires: s.expires,
        revoked: s.revoked,
        expired: s.expires !== null && Date.parse(s.expires) <= now,
        disabled: false,
        userIds: s.userIds.map((u) => u.userId),
        source: `wkd (${found.method}) ${found.url}`,
      });
    }
    return hits;
  }

  private async policyAt(url: URL, signal?: AbortSignal): Promise<WkdPolicy | null> {
    const res = await this.get(url, signal);
    if (res.status === 200) return parsePolicy(res.text());
    if (res.status === 404) return null;
    throw statusError(url, res);
  }

  private get(url: URL, signal?: AbortSignal): Promise<HttpResponse> {
    const pin = this.pins()[url.hostname];
    const connectTo = pin ? parsePin(pin) : undefined;
    return this.http.request({ url, signal, connectTo, headers: { accept: 'application/octet-stream' } });
  }

  private answer(res: HttpResponse, where: WkdLocations, method: 'advanced' | 'direct'): WkdAnswer | null {
    if (res.body.length === 0) return null;
    const url = method === 'advanced' ? where.advanced.key : where.direct.key;
    return { bytes: selectForAddress(res.body, where.email), url: url.href, method };
  }
}

/** Checked by code, not class: a plugin may run against another copy of core. */
function isHostNotFound(e: unknown): boolean {
  return (e as { code?: unknown } | null)?.code === ErrorCodes.HostNotFound;
}

function parsePin(pin: string): { host: string; port: number } {
  const m = /^(.+):(\d+)$/.exec(pin);
  return m ? { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) } : { host: pin, port: 443 };
}

function statusError(url: URL, res: HttpResponse): KeyportError {
  return new KeyportError(ErrorCodes.HttpStatus, `${url.host} answered the WKD request with HTTP ${res.status}`, {
    nextStep: 'the domain\'s Web Key Directory is misconfigured; ask a key server instead (--server)',
  });
}
