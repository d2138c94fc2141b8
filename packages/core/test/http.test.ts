import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { closedLoopbackPort } from '@keyport/test-fixtures';
import { ErrorCodes, HttpTransport, HostLimiter, KeyportError, proxyFor, retryDelay } from '../src/index.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;
const servers: { close(): void }[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

async function serve(handler: Handler): Promise<string> {
  const server = http.createServer(handler);
  server.on('connection', (s) => servers.push({ close: () => s.destroy() }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push({ close: () => server.close() });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function transport(over: Partial<ConstructorParameters<typeof HttpTransport>[0]> = {}) {
  return new HttpTransport({ timeoutMs: 2000, connectTimeoutMs: 1000, maxBytes: 64 * 1024, perHostConcurrency: 4, userAgent: 'keyport-test', env: {}, backoffBaseMs: 10, ...over });
}

async function failure(p: Promise<unknown>): Promise<KeyportError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(KeyportError);
  return e as KeyportError;
}

describe('HTTP transport', () => {
  it('sends the User-Agent and returns status, headers and body', async () => {
    const url = await serve((req, res) => res.end(`ua=${req.headers['user-agent']}`));
    const res = await transport().request({ url });
    expect(res.status).toBe(200);
    expect(res.text()).toBe('ua=keyport-test');
  });

  it('times out a server that never answers and one that drips bytes', async () => {
    const silent = await serve(() => undefined);
    const e1 = await failure(transport({ timeoutMs: 300 }).request({ url: silent }));
    expect(e1).toMatchObject({ code: ErrorCodes.NetworkTimeout, retryable: true });
    expect(e1.message).toContain('127.0.0.1');
    const drip = await serve((_req, res) => {
      res.writeHead(200);
      const t = setInterval(() => res.write('x'), 50);
      res.on('close', () => clearInterval(t));
    });
    expect(await failure(transport({ timeoutMs: 400 }).request({ url: drip }))).toMatchObject({ code: ErrorCodes.NetworkTimeout });
  });

  it('caps the response size by Content-Length and while streaming an endless body', async () => {
    const declared = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': String(10 * 1024 * 1024) });
      res.write('x');
    });
    expect(await failure(transport().request({ url: declared }))).toMatchObject({ code: ErrorCodes.ResponseTooLarge });
    const endless = await serve((_req, res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(16 * 1024, 0x41);
      const pump = () => {
        while (res.write(chunk));
      };
      res.on('drain', pump);
      pump();
    });
    expect(await failure(transport().request({ url: endless }))).toMatchObject({ code: ErrorCodes.ResponseTooLarge });
  });

  it('reports a reset connection as retryable and names the host', async () => {
    const url = await serve((req) => req.socket.destroy());
    const e = await failure(transport().request({ url }));
    expect(e).toMatchObject({ code: ErrorCodes.NetworkUnreachable, retryable: true });
    expect(e.message).toMatch(/127\.0\.0\.1:\d+ reset the connection/);
  });

  it('follows a few redirects and refuses too many', async () => {
    let hops = 0;
    const url = await serve((req, res) => {
      if (req.url === '/final') return res.end('done');
      hops++;
      res.writeHead(302, { location: req.url === '/loop' ? '/loop' : '/final' }).end();
    });
    expect((await transport().request({ url: `${url}/start` })).text()).toBe('done');
    expect(await failure(transport().request({ url: `${url}/loop` }))).toMatchObject({ code: ErrorCodes.RedirectRefused });
    expect(hops).toBeGreaterThan(3);
  });

  it('refuses a redirect from https to http', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'keyport-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const plain = await serve((_req, res) => res.end('downgraded'));
    const server = https.createServer({ key: readFileSync(path.join(dir, 'k.pem')), cert: readFileSync(path.join(dir, 'c.pem')) }, (_req, res) => {
      res.writeHead(301, { location: `${plain}/x` }).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push({ close: () => server.close() });
    const port = (server.address() as AddressInfo).port;
    const withCa = transport({ ca: readFileSync(path.join(dir, 'c.pem'), 'utf8') });
    const refused = await failure(withCa.request({ url: `https://127.0.0.1:${port}/` }));
    expect(refused.code).toBe(ErrorCodes.RedirectRefused);
    expect(refused.message).toContain('https to plain http');
  });

  it('backs off on 429 and 503, honours Retry-After, then succeeds', async () => {
    const seen: number[] = [];
    const url = await serve((_req, res) => {
      seen.push(Date.now());
      if (seen.length === 1) return res.writeHead(429, { 'retry-after': '0' }).end();
      if (seen.length === 2) return res.writeHead(503, { 'content-type': 'application/json' }).end('{"message":"maintenance"}');
      res.end('ok');
    });
    const t = transport();
    expect((await t.request({ url })).text()).toBe('ok');
    expect(seen).toHaveLength(3);
    expect(t.limiter.limitFor(new URL(url).host)).toBe(2);
  });

  it('gives up with a rate-limit error when Retry-After is too long or retries run out', async () => {
    const long = await serve((_req, res) => res.writeHead(429, { 'retry-after': '3600' }).end());
    const e = await failure(transport().request({ url: long }));
    expect(e).toMatchObject({ code: ErrorCodes.RateLimited, retryable: true });
    expect(e.nextStep).toMatch(/in 60 minutes/);
    const maint = await serve((_req, res) => res.writeHead(503).end('{"error":"We are currently undergoing scheduled database maintenance!"}'));
    const m = await failure(transport().request({ url: maint, retries: 1 }));
    expect(m.message).toContain('scheduled database maintenance');
  });

  it('cancels a request in flight', async () => {
    const url = await serve(() => undefined);
    const ac = new AbortController();
    const p = transport().request({ url, signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    expect(await failure(p)).toMatchObject({ code: ErrorCodes.Cancelled });
  });

  it('limits requests in flight per host', async () => {
    let active = 0;
    let peak = 0;
    const url = await serve((_req, res) => {
      active++;
      peak = Math.max(peak, active);
      setTimeout(() => {
        active--;
        res.end('x');
      }, 30);
    });
    const t = transport({ perHostConcurrency: 3 });
    await Promise.all(Array.from({ length: 12 }, () => t.request({ url })));
    expect(peak).toBe(3);
  });
});

describe('HTTP transport: failing fast per host', () => {
  it('after a refused connection, later requests to that host fail at once with the same reason, even once something listens', async () => {
    const port = await closedLoopbackPort();
    const t = transport();
    const first = await failure(t.request({ url: `http://127.0.0.1:${port}/a` }));
    expect(first).toMatchObject({ code: ErrorCodes.NetworkUnreachable });
    expect(first.message).toContain('refused the connection');
    // The same port now answers: a memo, not a second attempt, must decide the next requests.
    let seen = 0;
    const server = http.createServer((_req, res) => {
      seen++;
      res.end('up');
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    servers.push({ close: () => server.close() });
    const again = await Promise.all([1, 2, 3].map(() => failure(t.request({ url: `http://127.0.0.1:${port}/b` }))));
    for (const e of again) expect([e.code, e.message, e.nextStep]).toEqual([first.code, first.message, first.nextStep]);
    expect(seen).toBe(0);
    // Another host, and another run (a new transport), are not affected.
    const other = await serve((_req, res) => res.end('other'));
    expect((await t.request({ url: other })).text()).toBe('other');
    expect((await transport().request({ url: `http://127.0.0.1:${port}/c` })).text()).toBe('up');
    expect(seen).toBe(1);
  });

  it('remembers a host whose TLS handshake never completes (connect timeout), and tries it again after 20 s', async () => {
    let connections = 0;
    // Accepts TCP and never speaks: the TLS handshake, part of connecting, cannot finish.
    const mute = net.createServer((socket) => {
      connections++;
      servers.push({ close: () => socket.destroy() });
    });
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    servers.push({ close: () => mute.close() });
    const url = `https://127.0.0.1:${(mute.address() as AddressInfo).port}/`;
    const t = transport({ connectTimeoutMs: 200 });
    const first = await failure(t.request({ url }));
    expect(first).toMatchObject({ code: ErrorCodes.NetworkTimeout });
    expect(first.message).toMatch(/^could not connect to 127\.0\.0\.1:\d+ within 200 ms$/);
    const started = Date.now();
    expect((await failure(t.request({ url }))).message).toBe(first.message);
    expect(Date.now() - started).toBeLessThan(100);
    expect(connections).toBe(1);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 20_001);
      expect(await failure(t.request({ url }))).toMatchObject({ code: ErrorCodes.NetworkTimeout });
    } finally {
      vi.useRealTimers();
    }
    expect(connections).toBe(2);
  });

  it('answers a name under .invalid as not found without asking DNS (RFC 6761), and remembers it', async () => {
    const t = transport();
    const started = Date.now();
    const e = await failure(t.request({ url: 'https://keys.example.invalid/vks/v1/by-fingerprint/X' }));
    expect(e).toMatchObject({ code: ErrorCodes.HostNotFound });
    expect(e.message).toBe('keys.example.invalid could not be found (DNS)');
    const again = await failure(t.request({ url: 'https://keys.example.invalid/other' }));
    expect(again.message).toBe(e.message);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('ends the run for a host whose 429 asks to wait longer than the patience, and says when to retry', async () => {
    let seen = 0;
    const url = await serve((_req, res) => {
      seen++;
      res.writeHead(429, { 'retry-after': '3600' }).end();
    });
    const t = transport({ maxRetryWaitMs: 60_000 });
    const before = Date.now();
    const e = await failure(t.request({ url: `${url}/a` }));
    expect(e).toMatchObject({ code: ErrorCodes.RateLimited, retryable: true });
    const when = /retry after (\S+)/.exec(e.message)?.[1];
    expect(when).toBeDefined();
    const retryAt = Date.parse(when!);
    expect(retryAt).toBeGreaterThanOrEqual(before + 3600_000 - 1000);
    expect(retryAt).toBeLessThanOrEqual(Date.now() + 3600_000 + 1000);
    const rest = await Promise.all([1, 2, 3, 4].map(() => failure(t.request({ url: `${url}/b` }))));
    for (const r of rest) expect([r.code, r.message]).toEqual([e.code, e.message]);
    expect(seen).toBe(1);
  });

  it('requests queued behind the one that got the long 429 are never sent', async () => {
    let seen = 0;
    const url = await serve((_req, res) => {
      seen++;
      res.writeHead(429, { 'retry-after': '600' }).end();
    });
    const t = transport({ perHostConcurrency: 1 });
    const all = await Promise.all(Array.from({ length: 5 }, () => failure(t.request({ url }))));
    expect(all.map((e) => e.code)).toEqual(Array(5).fill(ErrorCodes.RateLimited));
    expect(seen).toBe(1);
  });

  it('after a request used up its retries on 503, the run stops asking that host; a single-try probe does not', async () => {
    let seen = 0;
    const url = await serve((_req, res) => {
      seen++;
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"message":"scheduled maintenance"}');
    });
    const probe = transport();
    await failure(probe.request({ url, retries: 0 }));
    await failure(probe.request({ url, retries: 0 }));
    expect(seen).toBe(2);
    seen = 0;
    const t = transport();
    const first = await failure(t.request({ url, retries: 2 }));
    expect(first).toMatchObject({ code: ErrorCodes.RateLimited });
    expect(first.message).toMatch(/temporarily unavailable \(HTTP 503\): scheduled maintenance$/);
    expect(seen).toBe(3);
    const rest = await Promise.all([1, 2, 3].map(() => failure(t.request({ url, retries: 2 }))));
    for (const e of rest) expect(e.message).toBe(first.message);
    expect(seen).toBe(3);
  });

  it('waits for a Retry-After within the patience instead of giving up', async () => {
    let seen = 0;
    const url = await serve((_req, res) => {
      if (++seen === 1) return res.writeHead(429, { 'retry-after': '1' }).end();
      res.end('ok');
    });
    const t = transport({ maxRetryWaitMs: 2000 });
    expect((await t.request({ url })).text()).toBe('ok');
    expect(seen).toBe(2);
  });
});

describe('transport helpers', () => {
  it('parses Retry-After as seconds or a date and backs off exponentially otherwise', () => {
    expect(retryDelay('7', 0, 100)).toBe(7000);
    const inTwo = new Date(Date.now() + 2000).toUTCString();
    expect(retryDelay(inTwo, 0, 100)).toBeGreaterThan(500);
    const d = retryDelay(undefined, 3, 100);
    expect(d).toBeGreaterThanOrEqual(400);
    expect(d).toBeLessThanOrEqual(800);
  });

  it('picks the proxy from the environment and honours NO_PROXY', () => {
    const env = { HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'internal.example,.corp' };
    expect(proxyFor(new URL('https://keys.openpgp.org'), env)?.host).toBe('proxy:3128');
    expect(proxyFor(new URL('https://internal.example'), env)).toBeUndefined();
    expect(proxyFor(new URL('https://a.corp'), env)).toBeUndefined();
    expect(proxyFor(new URL('http://plain.example'), env)).toBeUndefined();
  });

  it('halves the per-host limit on 429 and raises it slowly', () => {
    const l = new HostLimiter(16);
    l.backOff('h');
    l.backOff('h');
    expect(l.limitFor('h')).toBe(4);
    for (let i = 0; i < 4; i++) l.success('h');
    expect(l.limitFor('h')).toBe(5);
  });
});
