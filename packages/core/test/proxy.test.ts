import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closedLoopbackPort, createTestPki, listenOnLoopback, startSocksFixture, type RunningSocksFixture, type TestPki } from '@keyport/test-fixtures';
import { ErrorCodes, HttpTransport, KeyportError, type HttpExchange } from '../src/index.js';

/** A name no resolver knows: only the proxy fixtures map it to loopback, so reaching it proves the proxy resolved it. */
const PROXY_ONLY = 'keys.proxy-only.test';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

let pki: TestPki;
beforeAll(() => {
  pki = createTestPki([PROXY_ONLY]);
});
afterAll(() => pki.remove());

/** An origin server on loopback that counts what it was asked. */
async function origin(secure = false): Promise<{ port: number; hits: string[] }> {
  const hits: string[] = [];
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    hits.push(`${req.method} ${req.headers.host} ${req.url}`);
    res.end(`hello ${req.url}`);
  };
  const server = secure ? https.createServer({ cert: pki.certPem, key: pki.keyPem }, handler) : http.createServer(handler);
  const { port, stop } = await listenOnLoopback(server);
  cleanups.push(stop);
  return { port, hits };
}

async function socks(options: Parameters<typeof startSocksFixture>[0] = {}): Promise<RunningSocksFixture> {
  const fixture = await startSocksFixture(options);
  cleanups.push(() => fixture.stop());
  return fixture;
}

/**
 * A minimal HTTP proxy: absolute-form requests for http, CONNECT tunnels for https. It maps
 * PROXY_ONLY to loopback and records the request lines it saw.
 */
async function httpProxy(target: number, refuseConnect?: number): Promise<{ url: string; lines: string[] }> {
  const lines: string[] = [];
  const server = http.createServer((req, res) => {
    lines.push(`${req.method} ${req.url}`);
    const url = new URL(req.url!);
    const upstream = http.request({ host: '127.0.0.1', port: target, path: url.pathname, method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode!, up.headers);
      up.pipe(res);
    });
    req.pipe(upstream);
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket) => {
    lines.push(`${req.method} ${req.url}`);
    if (refuseConnect) return void client.end(`HTTP/1.1 ${refuseConnect} Forbidden\r\n\r\n`);
    const upstream = net.connect(target, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection established\r\n\r\n');
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  const { url, stop } = await listenOnLoopback(server);
  cleanups.push(stop);
  return { url, lines };
}

function transport(over: Partial<ConstructorParameters<typeof HttpTransport>[0]> = {}) {
  return new HttpTransport({ timeoutMs: 5000, connectTimeoutMs: 3000, maxBytes: 64 * 1024, perHostConcurrency: 4, userAgent: 'keyport-test', env: {}, ca: pki.caPem, ...over });
}

async function failure(p: Promise<unknown>): Promise<KeyportError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(KeyportError);
  return e as KeyportError;
}

describe('SOCKS5 proxies', () => {
  it('socks5h hands the name to the proxy: a name only the proxy knows is reached, over http and https', async () => {
    const plain = await origin();
    const secure = await origin(true);
    const proxy = await socks({ hosts: { [PROXY_ONLY]: `127.0.0.1:${plain.port}`, [`${PROXY_ONLY}-tls`]: `127.0.0.1:${secure.port}` } });
    const t = transport({ proxy: proxy.url });
    expect((await t.request({ url: `http://${PROXY_ONLY}/a` })).text()).toBe('hello /a');
    expect(plain.hits).toEqual([`GET ${PROXY_ONLY} /a`]);
    expect(proxy.requests).toEqual([{ credentials: null, host: PROXY_ONLY, port: 80, resolvedByProxy: true }]);

    // https: the TLS check is against the URL's name, through the tunnel.
    const tls = await socks({ hosts: { [PROXY_ONLY]: `127.0.0.1:${secure.port}` } });
    expect((await transport({ proxy: tls.url }).request({ url: `https://${PROXY_ONLY}/b` })).text()).toBe('hello /b');
    expect(tls.resolvedNames()).toEqual([PROXY_ONLY]);
    expect(secure.hits).toEqual([`GET ${PROXY_ONLY} /b`]);
  });

  it('socks5 resolves the name here and sends the proxy an address', async () => {
    const plain = await origin();
    const proxy = await socks();
    const res = await transport({ proxy: `socks5://127.0.0.1:${proxy.port}` }).request({ url: `http://localhost:${plain.port}/c` });
    expect(res.text()).toBe('hello /c');
    expect(proxy.requests).toHaveLength(1);
    expect(proxy.requests[0]).toMatchObject({ resolvedByProxy: false, port: plain.port });
    expect(net.isIP(proxy.requests[0]!.host)).not.toBe(0);
  });

  it('sends the user name and password of the proxy URL, and a refusal names the proxy (KP1512)', async () => {
    const plain = await origin();
    const proxy = await socks({ auth: { required: true, password: 'right' } });
    const base = `127.0.0.1:${proxy.port}`;
    expect((await transport({ proxy: `socks5h://alice:right@${base}` }).request({ url: `http://127.0.0.1:${plain.port}/d` })).status).toBe(200);
    expect(proxy.requests[0]!.credentials).toEqual({ username: 'alice', password: 'right' });
    const e = await failure(transport({ proxy: `socks5h://alice:wrong@${base}` }).request({ url: `http://127.0.0.1:${plain.port}/d` }));
    expect(e.code).toBe(ErrorCodes.ProxyAuthFailed);
    expect(e.message).toBe(`the proxy socks5h://${base} refused the user name and password`);
    expect(plain.hits).toHaveLength(1);
  });

  it.each([
    [0x01, 'general failure'],
    [0x04, 'host unreachable'],
    [0x05, 'connection refused by the destination'],
    [0x06, 'TTL expired (the destination did not answer in time)'],
  ] as const)('SOCKS reply %i is reported as the proxy failing: %s (KP1511)', async (code, words) => {
    const proxy = await socks({ reply: code });
    const e = await failure(transport({ proxy: proxy.url }).request({ url: `https://${PROXY_ONLY}/`, retries: 0 }));
    expect(e.code).toBe(ErrorCodes.ProxyRefused);
    expect(e.message).toBe(`the proxy socks5h://127.0.0.1:${proxy.port} could not connect to ${PROXY_ONLY}:443: ${words}`);
  });

  it('a proxy that is not running is named, not the key server (KP1510), and nothing goes direct', async () => {
    const plain = await origin();
    const port = await closedLoopbackPort();
    const t = transport({ proxy: `socks5h://127.0.0.1:${port}` });
    const e = await failure(t.request({ url: `http://127.0.0.1:${plain.port}/e` }));
    expect(e.code).toBe(ErrorCodes.ProxyUnreachable);
    expect(e.message).toBe(`the proxy socks5h://127.0.0.1:${port} refused the connection; nothing was sent`);
    expect(e.nextStep).toMatch(/proxy/);
    expect(plain.hits).toEqual([]);
  });

  it('proxy URLs that cannot work are refused up front (KP1514), a bad variable when used', async () => {
    for (const proxy of ['ftp://proxy:21', 'socks4://proxy:1080', 'http://']) {
      expect(() => transport({ proxy })).toThrow(expect.objectContaining({ code: ErrorCodes.ProxyInvalid }));
    }
    expect(() => transport({ tor: true, torProxy: 'socks5://127.0.0.1:9050' })).toThrow(expect.objectContaining({ code: ErrorCodes.ProxyInvalid }));
    const e = await failure(transport({ env: { ALL_PROXY: 'gopher://x' } }).request({ url: 'http://127.0.0.1:9/' }));
    expect(e.code).toBe(ErrorCodes.ProxyInvalid);
    expect(e.message).toMatch(/^ALL_PROXY: /);
  });
});

describe('Tor', () => {
  it('gives every request its own random SOCKS credentials, and lets Tor resolve the names', async () => {
    const plain = await origin();
    const tor = await socks({ hosts: { [PROXY_ONLY]: `127.0.0.1:${plain.port}` } });
    const t = transport({ tor: true, torProxy: tor.url });
    await Promise.all(Array.from({ length: 8 }, (_, i) => t.request({ url: `http://${PROXY_ONLY}/k${i}` })));
    expect(plain.hits).toHaveLength(8);
    expect(tor.requests).toHaveLength(8);
    const users = new Set(tor.requests.map((r) => r.credentials?.username));
    const passwords = new Set(tor.requests.map((r) => r.credentials?.password));
    expect(users.size).toBe(8);
    expect(passwords.size).toBe(8);
    for (const r of tor.requests) expect(r.credentials?.username).toMatch(/^[0-9a-f]{24}$/);
    expect(tor.resolvedNames()).toEqual(Array(8).fill(PROXY_ONLY));
  });

  it('Tor not running: a coded error that says so, nothing sent directly, later requests fail at once', async () => {
    const plain = await origin();
    const port = await closedLoopbackPort();
    const t = transport({ tor: true, torProxy: `socks5h://127.0.0.1:${port}` });
    const e = await failure(t.request({ url: `http://127.0.0.1:${plain.port}/f` }));
    expect(e.code).toBe(ErrorCodes.TorNotRunning);
    expect(e.message).toBe(`Tor is not running at 127.0.0.1:${port} (the proxy refused the connection); nothing was sent`);
    expect(e.nextStep).toMatch(/start Tor/);
    const again = await failure(t.request({ url: `http://127.0.0.1:${plain.port}/g` }));
    expect(again).toBe(e);
    expect(plain.hits).toEqual([]);
  });

  it('Tor ignores NO_PROXY and pinned addresses go through it too', async () => {
    const plain = await origin();
    const tor = await socks();
    const t = transport({ tor: true, torProxy: tor.url, env: { NO_PROXY: '*' } });
    await t.request({ url: `http://127.0.0.1:${plain.port}/h` });
    await t.request({ url: `http://${PROXY_ONLY}/i`, connectTo: { host: '127.0.0.1', port: plain.port } });
    expect(tor.requests.map((r) => `${r.host}:${r.port}`)).toEqual([`127.0.0.1:${plain.port}`, `127.0.0.1:${plain.port}`]);
    expect(plain.hits).toEqual([`GET 127.0.0.1:${plain.port} /h`, `GET ${PROXY_ONLY} /i`]);
  });
});

describe('HTTP proxies, NO_PROXY and the exchange log', () => {
  it('plain http goes in absolute form, https through CONNECT with the TLS check against the server name', async () => {
    const plain = await origin();
    const proxy = await httpProxy(plain.port);
    expect((await transport({ proxy: proxy.url }).request({ url: `http://${PROXY_ONLY}/j` })).text()).toBe('hello /j');
    expect(proxy.lines).toEqual([`GET http://${PROXY_ONLY}/j`]);

    const secure = await origin(true);
    const tunnel = await httpProxy(secure.port);
    expect((await transport({ env: { HTTPS_PROXY: tunnel.url } }).request({ url: `https://${PROXY_ONLY}/k` })).text()).toBe('hello /k');
    expect(tunnel.lines).toEqual([`CONNECT ${PROXY_ONLY}:443`]);
    expect(secure.hits).toEqual([`GET ${PROXY_ONLY} /k`]);
  });

  it('a refused CONNECT and an http proxy that is down name the proxy', async () => {
    const refusing = await httpProxy(1, 403);
    const e = await failure(transport({ proxy: refusing.url }).request({ url: `https://${PROXY_ONLY}/`, retries: 0 }));
    expect(e.code).toBe(ErrorCodes.ProxyRefused);
    expect(e.message).toBe(`the proxy ${refusing.url} refused the tunnel to ${PROXY_ONLY}:443 (HTTP 403)`);
    const port = await closedLoopbackPort();
    const down = await failure(transport({ proxy: `http://127.0.0.1:${port}` }).request({ url: `http://${PROXY_ONLY}/` }));
    expect(down.code).toBe(ErrorCodes.ProxyUnreachable);
    expect(down.message).toBe(`the proxy http://127.0.0.1:${port} refused the connection; nothing was sent`);
  });

  it('NO_PROXY exempts matching hosts from --proxy and from the variables; others still use the proxy', async () => {
    const plain = await origin();
    const proxy = await socks({ hosts: { [PROXY_ONLY]: `127.0.0.1:${plain.port}` } });
    const down = `socks5h://127.0.0.1:${await closedLoopbackPort()}`;
    expect((await transport({ proxy: down, env: { no_proxy: 'example.org, 127.0.0.1' } }).request({ url: `http://127.0.0.1:${plain.port}/l` })).status).toBe(200);
    expect((await transport({ env: { ALL_PROXY: down, NO_PROXY: '.test' } }).request({ url: `http://127.0.0.1:${plain.port}/m` }).catch((e: KeyportError) => e.code))).toBe(ErrorCodes.ProxyUnreachable);
    expect((await transport({ env: { all_proxy: proxy.url, NO_PROXY: 'other.test' } }).request({ url: `http://${PROXY_ONLY}/n` })).status).toBe(200);
    expect(proxy.resolvedNames()).toEqual([PROXY_ONLY]);
    expect(plain.hits.map((h) => h.split(' ')[2])).toEqual(['/l', '/n']);
  });

  it('tells onExchange about every request: method, URL, status, bytes, time and proxy', async () => {
    const plain = await origin();
    const proxy = await socks({ hosts: { [PROXY_ONLY]: `127.0.0.1:${plain.port}` } });
    const seen: HttpExchange[] = [];
    const t = transport({ proxy: proxy.url, onExchange: (x) => seen.push(x) });
    await t.request({ url: `http://${PROXY_ONLY}/o` });
    await t.request({ url: 'http://unknown.proxy-only.test/p', retries: 0 }).catch(() => undefined);
    expect(seen).toEqual([
      { method: 'GET', url: `http://${PROXY_ONLY}/o`, status: 200, bytes: 'hello /o'.length, ms: expect.any(Number), proxy: `socks5h://127.0.0.1:${proxy.port}` },
      { method: 'GET', url: 'http://unknown.proxy-only.test/p', status: null, bytes: 0, ms: expect.any(Number), proxy: `socks5h://127.0.0.1:${proxy.port}`, error: expect.stringMatching(/host unreachable$/) },
    ]);
  });
});
