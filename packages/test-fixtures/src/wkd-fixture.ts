import { createHash } from 'node:crypto';
import https from 'node:https';
import * as openpgp from 'openpgp';
import { listenOnLoopback } from './listen.js';
import { createTestPki, type TestPki } from './tls.js';

/** How a fixture domain publishes: under `openpgpkey.<domain>` (advanced) or `<domain>` (direct). */
export interface WkdFixtureDomain {
  method: 'advanced' | 'direct';
  /** Local part → armored certificates served for it (binary, concatenated, as the draft says). */
  keys: Record<string, string[]>;
  /** Policy file body; undefined serves none (404). */
  policy?: string;
  /** Direct method, but `openpgpkey.<domain>` exists too and serves no WKD (wildcard DNS). */
  wildcardSubdomain?: boolean;
}

export interface RunningWkdFixture {
  port: number;
  pki: TestPki;
  /** Host name → "127.0.0.1:port" for every host this fixture serves (keyport's wkd.connectTo). */
  connectTo: Record<string, string>;
  /** Every request as "host path", for assertions on the method used. */
  requests: string[];
  stop(): Promise<void>;
}

const ZBASE32 = 'ybndrfg8ejkmcpqxot1uwisza345h769';

/** The fixture's own WKD hash (kept apart from the plugin's so each checks the other). */
export function fixtureWkdHash(local: string): string {
  const digest = createHash('sha1').update(local.replace(/[A-Z]/g, (c) => c.toLowerCase()), 'utf8').digest();
  let bits = '';
  for (const b of digest) bits += b.toString(2).padStart(8, '0');
  let out = '';
  for (let i = 0; i < bits.length; i += 5) out += ZBASE32[parseInt(bits.slice(i, i + 5).padEnd(5, '0'), 2)];
  return out;
}

/**
 * A Web Key Directory over real TLS on loopback, for several domains at once (the Host header
 * picks the domain and layout). Hosts that a domain's method does not serve are left out of
 * `connectTo`, so keyport's look-up of them fails in DNS, as for a domain without that host.
 */
export async function startWkdFixture(domains: Record<string, WkdFixtureDomain>): Promise<RunningWkdFixture> {
  const served = new Map<string, { domain: string; layout: 'advanced' | 'direct' }>();
  for (const [domain, d] of Object.entries(domains)) {
    if (d.method === 'advanced' || d.wildcardSubdomain) served.set(`openpgpkey.${domain}`, { domain, layout: 'advanced' });
    // A domain's own web server exists either way; with the advanced method it has no WKD.
    served.set(domain, { domain, layout: 'direct' });
  }
  const pki = createTestPki([...served.keys()]);
  const binaries = new Map<string, Uint8Array>();
  for (const [domain, d] of Object.entries(domains)) {
    for (const [local, armored] of Object.entries(d.keys)) {
      const parts = await Promise.all(armored.map(async (a) => (await openpgp.readKey({ armoredKey: a })).write()));
      binaries.set(`${domain}/${fixtureWkdHash(local)}`, Buffer.concat(parts));
    }
  }
  const requests: string[] = [];
  const server = https.createServer({ cert: pki.certPem, key: pki.keyPem }, (req, res) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    const url = new URL(req.url ?? '/', `https://${host}`);
    requests.push(`${host} ${url.pathname}`);
    const site = served.get(host);
    const config = site ? domains[site.domain]! : undefined;
    const publishesHere = site && config && config.method === site.layout;
    const prefix = site?.layout === 'advanced' ? `/.well-known/openpgpkey/${site.domain}/` : '/.well-known/openpgpkey/';
    if (!site || !publishesHere || !url.pathname.startsWith(prefix)) return res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>');
    const rest = url.pathname.slice(prefix.length);
    if (rest === 'policy') {
      if (config.policy === undefined) return res.writeHead(404).end();
      return res.writeHead(200, { 'content-type': 'text/plain' }).end(config.policy);
    }
    const m = /^hu\/([a-z0-9]{32})$/.exec(rest);
    const body = m ? binaries.get(`${site.domain}/${m[1]}`) : undefined;
    if (!body) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'access-control-allow-origin': '*' }).end(body);
  });
  const { port, stop } = await listenOnLoopback(server, 'https');
  return {
    port,
    pki,
    connectTo: Object.fromEntries([...served.keys()].map((h) => [h, `127.0.0.1:${port}`])),
    requests,
    stop: async () => {
      await stop();
      pki.remove();
    },
  };
}
