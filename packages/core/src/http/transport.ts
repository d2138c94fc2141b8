import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { CancelledError, ErrorCodes, NetworkError } from '../errors.js';
import { HostLimiter } from './limiter.js';
import { ProxyChooser, connectRefused, proxyConnectError, socksConnect, type ProxyOptions, type ProxyRoute } from './proxy.js';

/** One HTTP request through the transport; every limit has a default from the network settings. */
export interface HttpRequest {
  url: string | URL;
  method?: 'GET' | 'POST' | 'PUT' | 'HEAD';
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  signal?: AbortSignal;
  /** Total time for the whole exchange, body included (a dripping server cannot hold us). */
  timeoutMs?: number;
  connectTimeoutMs?: number;
  maxBytes?: number;
  maxRedirects?: number;
  /** Retries on 429/503 (with backoff and Retry-After). */
  retries?: number;
  /**
   * Longest Retry-After we are willing to wait (default: the transport's `maxRetryWaitMs`); a
   * longer one fails as rate-limited and ends the run for that host.
   */
  maxRetryAfterMs?: number;
  /**
   * Connect to this address instead of resolving the URL's host (like curl's --connect-to);
   * the Host header and the TLS certificate check still use the URL's host name. For tests
   * and for pinning a host to a known address. Applies to the first request, not redirects.
   */
  connectTo?: { host: string; port: number };
}

/** A complete response (the body is read fully, within the size cap). */
export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
  /** Final URL after redirects. */
  url: string;
  text(): string;
}

/** One request as it went over the wire (one per attempt and per redirect), for `--verbose`. */
export interface HttpExchange {
  method: string;
  url: string;
  /** HTTP status, or null when no answer came. */
  status: number | null;
  /** Body bytes received. */
  bytes: number;
  /** Milliseconds from the start of the request to the end of the answer (or the failure). */
  ms: number;
  /** The proxy it went through (scheme://host:port, no password), or null when direct. */
  proxy: string | null;
  /** Why it failed, when it did. */
  error?: string;
}

/** Construction options of the transport (the runtime fills them from the network settings). */
export interface HttpTransportOptions extends ProxyOptions {
  timeoutMs: number;
  connectTimeoutMs: number;
  maxBytes: number;
  perHostConcurrency: number;
  userAgent: string;
  env?: NodeJS.ProcessEnv;
  /** Extra trusted CA certificates (PEM), e.g. for a self-hosted server or a test fixture. */
  ca?: string;
  /** Backoff base for 429/503 without Retry-After; tests shorten it. */
  backoffBaseMs?: number;
  /**
   * The run's patience: the longest Retry-After worth waiting for (default 60 s). A server asking
   * for longer is not asked again in this run until that time has passed.
   */
  maxRetryWaitMs?: number;
  /** Told about every request made, after it ends (the CLI's `--verbose`). */
  onExchange?: (exchange: HttpExchange) => void;
}

/**
 * How long a host that could not be reached stays down: long enough for one run (an offline
 * `sync --all` of a thousand keys takes about a second), short enough that a long-lived runtime
 * (the TUI) tries again soon after the network is back.
 */
const HOST_DOWN_MS = 20_000;

/** Errno codes that say the host cannot be reached at all (as opposed to one failed exchange). */
const HOST_DOWN_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN']);

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * The HTTP client every engine uses. It enforces, for every request: connect and total
 * timeouts, a response size cap, redirects limited in number and never from https to http,
 * backoff on 429 and 503 honouring Retry-After, cancellation, a User-Agent, proxies (http,
 * socks5, socks5h and Tor; see proxy.ts), and a per-host concurrency limit that halves on 429.
 *
 * It also fails fast: once a host could not be resolved or connected to, or asked (429/503) for
 * a wait longer than the run's patience, every later request to that host fails at once with
 * the same error, without touching the network. The memo is per transport (one per runtime, so
 * one per CLI command); an unreachable host is tried again after 20 s, a rate-limited one once
 * its retry time has passed.
 */
export class HttpTransport {
  readonly limiter: HostLimiter;
  private readonly downHosts = new Map<string, { error: NetworkError; until: number }>();
  private readonly proxies: ProxyChooser;

  /** Throws an InputError (KP1514) when `proxy` or `torProxy` is not a usable proxy URL. */
  constructor(private readonly options: HttpTransportOptions) {
    this.limiter = new HostLimiter(options.perHostConcurrency);
    this.proxies = new ProxyChooser(options, options.env ?? process.env);
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    let url = new URL(req.url);
    let method = req.method ?? 'GET';
    let body = req.body;
    const maxRedirects = req.maxRedirects ?? 3;
    const retries = req.retries ?? 3;
    const maxWait = req.maxRetryAfterMs ?? this.options.maxRetryWaitMs ?? 60_000;
    let redirects = 0;
    let attempt = 0;
    for (;;) {
      req.signal?.throwIfAborted?.();
      this.throwIfDown(url.host);
      let waitMs = 0;
      // Inside the host's slot: requests queued behind this one must see the host as down (a
      // failed connection or a long Retry-After) before the slot frees, and then fail at once.
      const response = await this.limiter.run(
        url.host,
        async () => {
          this.throwIfDown(url.host);
          const res = await this.tracked(url, method, () => this.once(url, method, body, req));
          if (res.status === 429 || res.status === 503) {
            waitMs = retryDelay(res.headers['retry-after'], attempt, this.options.backoffBaseMs ?? 500);
            if (waitMs > maxWait) this.markRateLimited(url.host, res, waitMs);
            // A request that insisted through every retry: the host is overloaded or down for
            // maintenance, and the run's other requests would only repeat the same backoff.
            else if (attempt >= retries && retries > 0) this.downHosts.set(url.host, { error: exhausted(url.host, res, waitMs), until: Date.now() + HOST_DOWN_MS });
          }
          return res;
        },
        req.signal,
      );
      if (REDIRECTS.has(response.status)) {
        const location = response.headers.location;
        if (!location) return response;
        const next = new URL(location, url);
        if (++redirects > maxRedirects) {
          throw new NetworkError(ErrorCodes.RedirectRefused, `${url.host}: too many redirects`, { nextStep: 'check the server URL' });
        }
        if (next.protocol !== 'http:' && next.protocol !== 'https:') {
          throw new NetworkError(ErrorCodes.RedirectRefused, `${url.host}: redirect to unsupported scheme ${next.protocol}`);
        }
        if (url.protocol === 'https:' && next.protocol === 'http:') {
          throw new NetworkError(ErrorCodes.RedirectRefused, `${url.host} redirected from https to plain http (${next.href}); refused`, {
            nextStep: 'a downgrade to http could expose or alter keys in transit; use a server that stays on https',
          });
        }
        if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
          method = 'GET';
          body = undefined;
        }
        url = next;
        continue;
      }
      if (response.status === 429 || response.status === 503) {
        if (response.status === 429) this.limiter.backOff(url.host);
        if (waitMs > maxWait || attempt >= retries) {
          this.throwIfDown(url.host);
          throw exhausted(url.host, response, waitMs);
        }
        attempt++;
        await sleep(waitMs, req.signal);
        continue;
      }
      this.limiter.success(url.host);
      return response;
    }
  }

  /** Rethrows the error that put `host` down in this run, if any. */
  private throwIfDown(host: string): void {
    const down = this.downHosts.get(host);
    if (!down) return;
    if (Date.now() < down.until) throw down.error;
    this.downHosts.delete(host);
  }

  /** The server asked for a longer wait than this run has patience for: no more requests to it until then. */
  private markRateLimited(host: string, response: HttpResponse, waitMs: number): void {
    const until = Date.now() + waitMs;
    const at = new Date(Math.ceil(until / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    const error = new NetworkError(ErrorCodes.RateLimited, `${unavailable(host, response)}; retry after ${at}`, {
      retryable: true,
      nextStep: `try again after ${at} (in ${formatWait(waitMs)}), or raise network.maxRetryWaitMs to wait for it`,
    });
    this.downHosts.set(host, { error, until });
  }

  /** Remembers a host that cannot be resolved or connected to, for the rest of the run (HOST_DOWN_MS). */
  private async tracked(url: URL, method: string, exchange: () => Promise<HttpResponse>): Promise<HttpResponse> {
    const started = Date.now();
    const report = (status: number | null, bytes: number, error?: string) => {
      if (!this.options.onExchange) return;
      let proxy: string | null = null;
      try {
        proxy = this.proxies.for(url)?.label ?? null;
      } catch {
        // A malformed proxy variable already failed the request; the failure says so.
      }
      this.options.onExchange({ method, url: url.href, status, bytes, ms: Date.now() - started, proxy, ...(error === undefined ? {} : { error }) });
    };
    try {
      const response = await exchange();
      report(response.status, response.body.length);
      return response;
    } catch (e) {
      report(null, 0, (e as Error).message);
      if (e instanceof NetworkError && hostDownErrors.has(e)) this.downHosts.set(url.host, { error: e, until: Date.now() + HOST_DOWN_MS });
      throw e;
    }
  }

  private once(url: URL, method: string, body: string | Uint8Array | undefined, req: HttpRequest): Promise<HttpResponse> {
    const timeoutMs = req.timeoutMs ?? this.options.timeoutMs;
    const connectTimeoutMs = req.connectTimeoutMs ?? this.options.connectTimeoutMs;
    const maxBytes = req.maxBytes ?? this.options.maxBytes;
    const host = url.host;
    let proxy: ProxyRoute | undefined;
    try {
      proxy = this.proxies.for(url);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    if (isReservedInvalid(url.hostname) && !req.connectTo && !proxy) {
      return Promise.reject(transportError(host, Object.assign(new Error(`getaddrinfo ENOTFOUND ${url.hostname}`), { code: 'ENOTFOUND' })));
    }
    return new Promise<HttpResponse>((resolve, reject) => {
      let settled = false;
      const finish = (err: Error | undefined, res?: HttpResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(total);
        clearTimeout(connect);
        req.signal?.removeEventListener('abort', onAbort);
        if (err) {
          request.destroy();
          reject(err);
        } else resolve(res!);
      };
      const onAbort = () => finish(new CancelledError());
      const total = setTimeout(
        () => finish(new NetworkError(ErrorCodes.NetworkTimeout, `${host} did not answer within ${timeoutMs} ms`, { retryable: true, nextStep: 'try again later, or raise network.timeoutMs' })),
        timeoutMs,
      );
      let connect: NodeJS.Timeout | undefined = setTimeout(
        () => finish(hostDown(new NetworkError(ErrorCodes.NetworkTimeout, `could not connect to ${host} within ${connectTimeoutMs} ms`, { retryable: true, nextStep: 'check the network and the server address' }))),
        connectTimeoutMs,
      );
      const headers: Record<string, string> = {
        'user-agent': this.options.userAgent,
        accept: '*/*',
        ...req.headers,
      };
      const payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : body ? Buffer.from(body) : undefined;
      if (payload) headers['content-length'] = String(payload.length);
      const pinned = req.connectTo && url.href === new URL(req.url).href ? req.connectTo : undefined;
      const request = this.makeRequest(url, method, headers, proxy, connectTimeoutMs, pinned, req.signal);
      req.signal?.addEventListener('abort', onAbort, { once: true });
      if (req.signal?.aborted) return onAbort();
      request.on('socket', (socket: net.Socket) => {
        const connected = () => {
          clearTimeout(connect);
          connect = undefined;
        };
        // A SOCKS socket arrives connected (through the proxy, TLS started over it).
        if (!socket.connecting || (proxy && proxy.kind !== 'http')) connected();
        else socket.once(url.protocol === 'https:' && !proxy ? 'secureConnect' : 'connect', connected);
      });
      request.on('error', (e: NodeJS.ErrnoException) => finish(this.requestError(host, url, proxy, e)));
      request.on('response', (res) => {
        clearTimeout(connect);
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > maxBytes) {
          return finish(tooLarge(host, maxBytes));
        }
        const body = new BodyBuffer(maxBytes, Number.isFinite(declared) ? declared : undefined);
        res.on('data', (chunk: Buffer) => {
          if (settled) return;
          if (!body.append(chunk)) return finish(tooLarge(host, maxBytes));
        });
        res.on('error', (e: NodeJS.ErrnoException) => finish(transportError(host, e)));
        res.on('aborted', () => finish(transportError(host, Object.assign(new Error('connection reset'), { code: 'ECONNRESET' }))));
        res.on('end', () => {
          const bytes = body.bytes();
          const flat: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
          finish(undefined, {
            status: res.statusCode ?? 0,
            headers: flat,
            body: bytes,
            url: url.href,
            text: () => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'),
          });
        });
      });
      if (payload) request.write(payload);
      request.end();
    });
  }

  /** A failed request's error: the proxy's when the proxy failed, the server's otherwise. */
  private requestError(host: string, url: URL, proxy: ProxyRoute | undefined, e: NodeJS.ErrnoException): NetworkError | CancelledError {
    if (e instanceof CancelledError) return e;
    if (e instanceof NetworkError) {
      return e.code === ErrorCodes.ProxyUnreachable || e.code === ErrorCodes.TorNotRunning ? hostDown(e) : e;
    }
    // Plain http through an http proxy: the only connection is the one to the proxy.
    if (proxy?.kind === 'http' && url.protocol === 'http:' && HOST_DOWN_CODES.has(e.code ?? '')) return hostDown(proxyConnectError(proxy, e));
    return transportError(host, e);
  }

  private tlsOptions(): { ca?: (string | Buffer)[] } {
    return this.options.ca ? { ca: [...tls.rootCertificates, this.options.ca] } : {};
  }

  private makeRequest(
    url: URL,
    method: string,
    headers: Record<string, string>,
    route: ProxyRoute | undefined,
    connectTimeoutMs: number,
    connectTo?: { host: string; port: number },
    signal?: AbortSignal,
  ): http.ClientRequest {
    const isHttps = url.protocol === 'https:';
    // A pinned address is reached through the proxy too: a pin must not bypass Tor.
    const target = connectTo ?? { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || (isHttps ? 443 : 80)) };
    if (route && route.kind !== 'http') {
      const createConnection = (_opts: unknown, done: (e: Error | null, socket?: net.Socket) => void) => {
        socksConnect(route, target.host, target.port, connectTimeoutMs, signal).then(
          (socket) => done(null, isHttps ? tls.connect({ socket, servername: net.isIP(url.hostname) ? undefined : url.hostname, ...this.tlsOptions() }) : socket),
          (e: Error) => done(e),
        );
        return undefined;
      };
      const options = { method, headers: { ...headers, host: url.host }, createConnection: createConnection as unknown as http.RequestOptions['createConnection'] };
      return isHttps ? https.request(url, options) : http.request(url, options);
    }
    if (connectTo && !route) {
      const pinned = { hostname: connectTo.host, port: connectTo.port, method, headers: { ...headers, host: url.host }, agent: false as const };
      return isHttps
        ? https.request(url, { ...pinned, servername: url.hostname, ...this.tlsOptions() })
        : http.request(url, pinned);
    }
    if (!route) {
      return isHttps
        ? https.request(url, { method, headers, agent: false, ...this.tlsOptions() })
        : http.request(url, { method, headers, agent: false });
    }
    const proxy = route.url;
    if (!isHttps) {
      // Plain http through a proxy: absolute-form request line to the proxy.
      return http.request({ host: proxy.hostname, port: proxy.port || 80, method, path: url.href, headers: { ...headers, host: url.host, ...proxyAuth(proxy) } });
    }
    // https through a proxy: CONNECT tunnel, then TLS to the origin over it.
    const agent = new https.Agent({ keepAlive: false });
    (agent as unknown as { createConnection: (o: tls.ConnectionOptions, cb: (e: Error | null, s?: net.Socket) => void) => void }).createConnection = (
      _opts,
      cb,
    ) => {
      const connectReq = http.request({
        host: proxy.hostname,
        port: proxy.port || 80,
        method: 'CONNECT',
        path: `${target.host}:${target.port}`,
        headers: { host: `${target.host}:${target.port}`, ...proxyAuth(proxy) },
        timeout: connectTimeoutMs,
      });
      connectReq.on('connect', (res, socket) => {
        if (res.statusCode !== 200) {
          socket.destroy();
          cb(connectRefused(route, `${target.host}:${target.port}`, res.statusCode ?? 0));
          return;
        }
        cb(null, tls.connect({ socket, servername: url.hostname, ...this.tlsOptions() }));
      });
      connectReq.on('error', (e: NodeJS.ErrnoException) => cb(proxyConnectError(route, e)));
      connectReq.end();
    };
    return https.request(url, { method, headers, agent });
  }
}

function proxyAuth(proxy: URL): Record<string, string> {
  if (!proxy.username) return {};
  const cred = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { 'proxy-authorization': `Basic ${Buffer.from(cred).toString('base64')}` };
}

/** The proxy for a URL from HTTPS_PROXY / HTTP_PROXY / ALL_PROXY, unless NO_PROXY matches. */
export function proxyFor(url: URL, env: NodeJS.ProcessEnv): URL | undefined {
  const pick = (name: string) => env[name] ?? env[name.toLowerCase()];
  const raw = url.protocol === 'https:' ? (pick('HTTPS_PROXY') ?? pick('ALL_PROXY')) : (pick('HTTP_PROXY') ?? pick('ALL_PROXY'));
  if (!raw) return undefined;
  const noProxy = (pick('NO_PROXY') ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const host = url.hostname.toLowerCase();
  for (const entry of noProxy) {
    if (entry === '*') return undefined;
    const bare = entry.replace(/^\./, '').replace(/:\d+$/, '');
    if (host === bare || host.endsWith(`.${bare}`)) return undefined;
  }
  try {
    return new URL(raw.includes('://') ? raw : `http://${raw}`);
  } catch {
    return undefined;
  }
}

/** Errors that mean the host cannot be reached at all; the transport remembers them per host. */
const hostDownErrors = new WeakSet<NetworkError>();

function hostDown(error: NetworkError): NetworkError {
  hostDownErrors.add(error);
  return error;
}

/** RFC 6761 §6.4: names under `.invalid` never resolve, so they are answered without asking DNS. */
function isReservedInvalid(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return name === 'invalid' || name.endsWith('.invalid');
}

function exhausted(host: string, response: HttpResponse, waitMs: number): NetworkError {
  return new NetworkError(ErrorCodes.RateLimited, unavailable(host, response), { retryable: true, nextStep: `try again in ${Math.ceil(Math.max(waitMs, 1000) / 1000)} seconds` });
}

function unavailable(host: string, response: HttpResponse): string {
  return response.status === 429
    ? `${host} is rate-limiting requests (HTTP 429)`
    : `${host} is temporarily unavailable (HTTP 503)${maintenanceMessage(response)}`;
}

function formatWait(ms: number): string {
  const minutes = Math.ceil(ms / 60_000);
  if (ms < 120_000) return `${Math.ceil(ms / 1000)} seconds`;
  if (minutes < 120) return `${minutes} minutes`;
  return `${Math.round(minutes / 60)} hours`;
}

function transportError(host: string, e: NodeJS.ErrnoException): NetworkError {
  const code = e.code ?? '';
  const error = classifyTransportError(host, e);
  return HOST_DOWN_CODES.has(code) ? hostDown(error) : error;
}

function classifyTransportError(host: string, e: NodeJS.ErrnoException): NetworkError {
  const code = e.code ?? '';
  const what =
    code === 'ECONNREFUSED' ? 'refused the connection'
    : code === 'ECONNRESET' || code === 'EPIPE' ? 'reset the connection'
    : code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME' ? 'could not be found (DNS)'
    : code.startsWith('ERR_TLS') || /CERT|SIGNATURE|UNABLE_TO_|SELF_SIGNED|HOSTNAME|ERR_SSL/.test(code) ? `failed the TLS check (${e.message})`
    : `failed (${e.message})`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') {
    return new NetworkError(ErrorCodes.HostNotFound, `${host} ${what}`, { cause: e, retryable: true, nextStep: 'check the server address and the network' });
  }
  return new NetworkError(ErrorCodes.NetworkUnreachable, `${host} ${what}`, {
    cause: e,
    retryable: true,
    nextStep: 'check the network and the server address, then try again',
  });
}

function tooLarge(host: string, max: number) {
  return new NetworkError(ErrorCodes.ResponseTooLarge, `${host} sent more than ${max} bytes; the response was dropped`, {
    nextStep: 'raise network.maxResponseBytes (network.maxRawResponseBytes for key look-ups) if this server is trusted to send that much',
  });
}

function maintenanceMessage(res: HttpResponse): string {
  try {
    const json = JSON.parse(res.text()) as { message?: string; error?: string };
    const m = json.message ?? json.error;
    return m ? `: ${m}` : '';
  } catch {
    return '';
  }
}

/** Delay before the next try: Retry-After (seconds or HTTP date) or exponential backoff with jitter. */
export function retryDelay(retryAfter: string | undefined, attempt: number, baseMs: number): number {
  if (retryAfter) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(retryAfter);
    if (Number.isFinite(date)) return Math.max(0, date - Date.now());
  }
  const exp = baseMs * 2 ** attempt;
  return exp / 2 + Math.random() * (exp / 2);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError());
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new CancelledError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The request half of a server probe, shared by engines: a short, single-try GET that reports an
 * unreachable server as an outcome instead of throwing, and times the answer.
 */
export async function timedProbe(
  http: HttpTransport,
  url: URL,
  signal?: AbortSignal,
): Promise<{ response: HttpResponse; latencyMs: number } | { unreachable: { reachable: false; speaksProtocol: false; latencyMs: null; detail: string } }> {
  const started = Date.now();
  try {
    const response = await http.request({ url, signal, timeoutMs: 8000, maxBytes: 64 * 1024, retries: 0 });
    return { response, latencyMs: Date.now() - started };
  } catch (e) {
    return { unreachable: { reachable: false, speaksProtocol: false, latencyMs: null, detail: `could not be reached: ${(e as Error).message}` } };
  }
}

/**
 * A response body held once, in one growing buffer. Keeping the socket's chunks instead holds
 * each small chunk's whole pooled slab (an endless answer of short lines took ~8x its size in
 * memory) and needs a second copy to join them. Growth doubles, never past the cap, so the peak
 * stays below twice the cap.
 */
class BodyBuffer {
  private buffer: Buffer;
  private size = 0;

  constructor(
    private readonly maxBytes: number,
    declared: number | undefined,
  ) {
    this.buffer = Buffer.allocUnsafe(Math.min(maxBytes, declared !== undefined && declared > 0 ? declared : 64 * 1024));
  }

  /** Copies `chunk` in; false once the body would exceed the cap (nothing more is kept then). */
  append(chunk: Buffer): boolean {
    const needed = this.size + chunk.length;
    if (needed > this.maxBytes) return false;
    if (needed > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.maxBytes, Math.max(needed, this.buffer.length * 2)));
      this.buffer.copy(grown, 0, 0, this.size);
      this.buffer = grown;
    }
    chunk.copy(this.buffer, this.size);
    this.size = needed;
    return true;
  }

  /** The body so far: a view, not a copy. */
  bytes(): Uint8Array {
    return new Uint8Array(this.buffer.buffer, this.buffer.byteOffset, this.size);
  }
}
