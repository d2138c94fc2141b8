import { randomBytes } from 'node:crypto';
import { promises as dns } from 'node:dns';
import net from 'node:net';
import { SocksClient } from 'socks';
import { ErrorCodes, InputError, NetworkError } from '../errors.js';

/** Where Tor listens for SOCKS by default; `network.torProxy` moves it (tests, a Tor Browser on 9150). */
export const DEFAULT_TOR_PROXY = 'socks5h://127.0.0.1:9050';

const PROXY_SCHEMES = new Set(['http:', 'socks5:', 'socks5h:']);

/** How requests leave keyport: through Tor, through a proxy given by the user, or as the proxy variables say. */
export interface ProxyOptions {
  /** `--proxy URL` or the `network.proxy` setting; NO_PROXY still applies. */
  proxy?: string;
  /** `--tor` or `network.tor`: every request through Tor, none direct, each on its own circuit. */
  tor?: boolean;
  /** Tor's SOCKS address (default {@link DEFAULT_TOR_PROXY}). */
  torProxy?: string;
}

/** The proxy one request goes through. */
export interface ProxyRoute {
  url: URL;
  /** `socks5h` hands the host name to the proxy; `socks5` resolves it here first. */
  kind: 'http' | 'socks5' | 'socks5h';
  tor: boolean;
  /** The proxy as shown to the user: scheme, host and port, never its password. */
  label: string;
}

/** Parses a proxy URL; `origin` says where it came from, for the error. */
function parseProxyUrl(raw: string, origin: string): URL {
  let url: URL;
  try {
    url = new URL(raw.includes('://') ? raw : `http://${raw}`);
  } catch {
    throw new InputError(ErrorCodes.ProxyInvalid, `${origin}: "${raw}" is not a proxy URL`, { nextStep: 'give it as http://HOST:PORT, socks5://HOST:PORT or socks5h://HOST:PORT' });
  }
  if (!PROXY_SCHEMES.has(url.protocol) || !url.hostname) {
    throw new InputError(ErrorCodes.ProxyInvalid, `${origin}: "${raw}" is not a supported proxy (${url.protocol.replace(/:$/, '')})`, {
      nextStep: 'use an http://, socks5:// or socks5h:// proxy',
    });
  }
  return url;
}

/** Whether `raw` is a proxy URL keyport can use. */
export function isProxyUrl(raw: string): boolean {
  try {
    parseProxyUrl(raw, 'proxy');
    return true;
  } catch {
    return false;
  }
}

function route(url: URL, tor: boolean): ProxyRoute {
  const kind = url.protocol.slice(0, -1) as ProxyRoute['kind'];
  return { url, kind, tor, label: `${kind}://${url.host}` };
}

/** Whether NO_PROXY (or no_proxy) exempts this URL's host. */
function noProxyExempts(url: URL, env: NodeJS.ProcessEnv): boolean {
  const list = (env.NO_PROXY ?? env.no_proxy ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  for (const entry of list) {
    if (entry === '*') return true;
    const bare = entry.replace(/^\*?\./, '').replace(/:\d+$/, '');
    if (host === bare || host.endsWith(`.${bare}`)) return true;
  }
  return false;
}

/**
 * Chooses the proxy of every request. Tor wins over everything and ignores NO_PROXY (a request
 * that skipped Tor would leave from the user's own address); then `--proxy` / `network.proxy`;
 * then ALL_PROXY / HTTPS_PROXY / HTTP_PROXY (and their lower-case forms).
 */
export class ProxyChooser {
  private readonly tor?: ProxyRoute;
  private readonly explicit?: ProxyRoute;

  constructor(
    options: ProxyOptions,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    if (options.tor) {
      const url = parseProxyUrl(options.torProxy ?? DEFAULT_TOR_PROXY, 'network.torProxy');
      if (url.protocol !== 'socks5h:') {
        throw new InputError(ErrorCodes.ProxyInvalid, `network.torProxy must be a socks5h:// address (Tor resolves the names), not ${url.protocol}//`, {
          nextStep: `set it to ${DEFAULT_TOR_PROXY} or Tor's SocksPort`,
        });
      }
      this.tor = route(url, true);
    }
    if (options.proxy) this.explicit = route(parseProxyUrl(options.proxy, '--proxy / network.proxy'), false);
  }

  /** The route for `url`, or undefined to connect directly. A malformed proxy variable is an error, not a silent direct connection. */
  for(url: URL): ProxyRoute | undefined {
    if (this.tor) return this.tor;
    if (noProxyExempts(url, this.env)) return undefined;
    if (this.explicit) return this.explicit;
    const pick = (name: string) => this.env[name] || this.env[name.toLowerCase()];
    const name = url.protocol === 'https:' ? (pick('HTTPS_PROXY') ? 'HTTPS_PROXY' : 'ALL_PROXY') : pick('HTTP_PROXY') ? 'HTTP_PROXY' : 'ALL_PROXY';
    const raw = pick(name);
    return raw ? route(parseProxyUrl(raw, name), false) : undefined;
  }
}

/**
 * Opens a connection to `host:port` through a SOCKS5 proxy. Through Tor every call gets its own
 * random user name and password, so Tor (IsolateSOCKSAuth) builds a separate circuit for each.
 * With socks5h the proxy resolves the name; with socks5 it is resolved here first.
 */
export async function socksConnect(proxy: ProxyRoute, host: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<net.Socket> {
  const proxyPort = Number(proxy.url.port || 1080);
  const raw = await connectToProxy(proxy, proxy.url.hostname.replace(/^\[|\]$/g, ''), proxyPort, timeoutMs, signal);
  const credentials = proxy.tor
    ? { userId: randomBytes(12).toString('hex'), password: randomBytes(12).toString('hex') }
    : proxy.url.username
      ? { userId: decodeURIComponent(proxy.url.username), password: decodeURIComponent(proxy.url.password) }
      : {};
  let destination = host;
  if (proxy.kind === 'socks5' && !net.isIP(host)) {
    try {
      destination = (await dns.lookup(host)).address;
    } catch (e) {
      raw.destroy();
      throw e;
    }
  }
  try {
    const { socket } = await SocksClient.createConnection({
      proxy: { host: proxy.url.hostname, port: proxyPort, type: 5, ...credentials },
      destination: { host: destination, port },
      command: 'connect',
      timeout: timeoutMs,
      existing_socket: raw,
    });
    return socket;
  } catch (e) {
    raw.destroy();
    throw socksError(proxy, host, port, (e as Error).message);
  }
}

function connectToProxy(proxy: ProxyRoute, host: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, signal });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(proxyUnreachable(proxy, `did not accept a connection within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(proxyConnectError(proxy, e));
    });
  });
}

/** The proxy itself could not be reached (refused, not found): says so, naming the proxy. */
export function proxyConnectError(proxy: ProxyRoute, e: NodeJS.ErrnoException): NetworkError {
  const what =
    e.code === 'ECONNREFUSED' ? 'refused the connection'
    : e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN' ? 'could not be found (DNS)'
    : `could not be reached (${e.message})`;
  return proxyUnreachable(proxy, what, e);
}

function proxyUnreachable(proxy: ProxyRoute, what: string, cause?: unknown): NetworkError {
  if (proxy.tor) {
    return new NetworkError(ErrorCodes.TorNotRunning, `Tor is not running at ${proxy.url.host} (the proxy ${what}); nothing was sent`, {
      cause,
      retryable: true,
      nextStep: 'start Tor (e.g. systemctl start tor), or set network.torProxy to its SocksPort, then try again',
    });
  }
  return new NetworkError(ErrorCodes.ProxyUnreachable, `the proxy ${proxy.label} ${what}; nothing was sent`, {
    cause,
    retryable: true,
    nextStep: 'check that the proxy runs and the --proxy / network.proxy / *_PROXY address, then try again',
  });
}

/** SOCKS5 reply codes (RFC 1928 §6) as the `socks` package names them, in words. */
const SOCKS_REPLIES: Record<string, string> = {
  Failure: 'general failure',
  NotAllowed: 'connection not allowed by its rules',
  NetworkUnreachable: 'network unreachable',
  HostUnreachable: 'host unreachable',
  ConnectionRefused: 'connection refused by the destination',
  TTLExpired: 'TTL expired (the destination did not answer in time)',
  CommandNotSupported: 'command not supported',
  AddressNotSupported: 'address type not supported',
};

function socksError(proxy: ProxyRoute, host: string, port: number, message: string): NetworkError {
  const who = proxy.tor ? `Tor (${proxy.url.host})` : `the proxy ${proxy.label}`;
  if (/Authentication failed|NoAcceptedAuthType|no accepted auth/i.test(message)) {
    return new NetworkError(ErrorCodes.ProxyAuthFailed, `${who} refused the user name and password`, {
      nextStep: proxy.tor ? 'allow user name and password authentication in Tor (the default SocksPort does)' : 'check the user name and password in the proxy URL',
    });
  }
  const reply = /rejected connection - (\w+)/.exec(message)?.[1];
  if (reply) {
    return new NetworkError(ErrorCodes.ProxyRefused, `${who} could not connect to ${host}:${port}: ${SOCKS_REPLIES[reply] ?? reply}`, {
      retryable: reply === 'TTLExpired' || reply === 'Failure' || reply === 'HostUnreachable' || reply === 'NetworkUnreachable',
      nextStep: 'check the server address; try again later, or without the proxy if that is allowed',
    });
  }
  if (/timed out/i.test(message)) {
    return new NetworkError(ErrorCodes.NetworkTimeout, `${who} did not complete the SOCKS handshake in time`, { retryable: true, nextStep: 'try again later, or raise network.connectTimeoutMs' });
  }
  return new NetworkError(ErrorCodes.ProxyRefused, `${who} failed the SOCKS handshake (${message})`, { retryable: true, nextStep: 'check that the address is a SOCKS5 proxy' });
}

/** An HTTP proxy refused a CONNECT tunnel. */
export function connectRefused(proxy: ProxyRoute, host: string, status: number): NetworkError {
  const what = status === 407 ? 'wants a user name and password (HTTP 407)' : `refused the tunnel to ${host} (HTTP ${status})`;
  return new NetworkError(status === 407 ? ErrorCodes.ProxyAuthFailed : ErrorCodes.ProxyRefused, `the proxy ${proxy.label} ${what}`, {
    nextStep: status === 407 ? 'put the user name and password in the proxy URL (http://USER:PASS@HOST:PORT)' : 'check the proxy rules and the server address',
  });
}
