import net from 'node:net';
import { listenOnLoopback } from './listen.js';

/** One CONNECT the fixture was asked for. */
export interface SocksRequestRecord {
  /** User name and password of the connection (RFC 1929), or null when it used no authentication. */
  credentials: { username: string; password: string } | null;
  /** The destination as the client sent it: a name (socks5h) or an address (socks5). */
  host: string;
  port: number;
  /** Whether the client sent a name for the proxy to resolve (address type 3). */
  resolvedByProxy: boolean;
}

/** A SOCKS5 reply code (RFC 1928 §6) to answer every CONNECT with, instead of forwarding. */
export type SocksReplyCode = 0x01 | 0x02 | 0x03 | 0x04 | 0x05 | 0x06 | 0x07 | 0x08;

export interface SocksFixtureOptions {
  /**
   * Names this proxy resolves, to "127.0.0.1:PORT" (or "HOST:PORT"). A name not listed is
   * answered with "host unreachable" (0x04); an IP address is forwarded as it is.
   */
  hosts?: Record<string, string>;
  /** Require user name and password authentication; with `password`, only that password passes. */
  auth?: { required: true; password?: string };
  /** Answer every CONNECT with this error instead of forwarding (0x06: TTL expired, …). */
  reply?: SocksReplyCode;
}

export interface RunningSocksFixture {
  /** socks5h://127.0.0.1:PORT */
  url: string;
  port: number;
  /** Every CONNECT asked for, in order. */
  requests: SocksRequestRecord[];
  /** The names the proxy was asked to resolve (socks5h), in order. */
  resolvedNames(): string[];
  stop(): Promise<void>;
}

/**
 * A small SOCKS5 server (RFC 1928, with RFC 1929 user name and password) for tests: it records
 * the credentials and the destinations of every CONNECT and forwards the connection to
 * loopback fixture servers, resolving only the names it was given. It stands in for Tor: a
 * client that connects through it and reaches a name only it knows did not resolve that name
 * itself.
 */
export async function startSocksFixture(options: SocksFixtureOptions = {}): Promise<RunningSocksFixture> {
  const requests: SocksRequestRecord[] = [];
  const upstreams = new Set<net.Socket>();
  const server = net.createServer((client) => {
    client.on('error', () => client.destroy());
    void handle(client).catch(() => client.destroy());
  });

  async function handle(client: net.Socket): Promise<void> {
    const read = reader(client);
    const greeting = await read(2);
    if (greeting[0] !== 5) return void client.destroy();
    const methods = [...(await read(greeting[1]!))];
    const wantAuth = options.auth?.required ?? false;
    let credentials: SocksRequestRecord['credentials'] = null;
    // As Tor does: user name and password whenever the client offers them (that is what isolates circuits).
    if (methods.includes(2)) {
      client.write(Buffer.from([5, 2]));
      const [, ulen] = await read(2);
      const username = (await read(ulen!)).toString('utf8');
      const [plen] = await read(1);
      const password = (await read(plen!)).toString('utf8');
      credentials = { username, password };
      const ok = options.auth?.password === undefined || options.auth.password === password;
      client.write(Buffer.from([1, ok ? 0 : 1]));
      if (!ok) return void client.end();
    } else if (methods.includes(0) && !wantAuth) {
      client.write(Buffer.from([5, 0]));
    } else {
      client.write(Buffer.from([5, 0xff]));
      return void client.end();
    }
    const [version, command, , atyp] = await read(4);
    if (version !== 5) return void client.destroy();
    let host: string;
    if (atyp === 1) host = [...(await read(4))].join('.');
    else if (atyp === 3) host = (await read((await read(1))[0]!)).toString('utf8');
    else if (atyp === 4) host = (await read(16)).toString('hex').replace(/(.{4})(?!$)/g, '$1:');
    else return void reply(client, 0x08);
    const port = (await read(2)).readUInt16BE(0);
    requests.push({ credentials, host, port, resolvedByProxy: atyp === 3 });
    if (command !== 1) return void reply(client, 0x07);
    if (options.reply) return void reply(client, options.reply);
    const mapped = atyp === 3 ? options.hosts?.[host.toLowerCase()] : `${host}:${port}`;
    if (!mapped) return void reply(client, 0x04);
    const at = mapped.lastIndexOf(':');
    const upstream = net.connect({ host: mapped.slice(0, at), port: Number(mapped.slice(at + 1)) });
    upstreams.add(upstream);
    upstream.on('close', () => upstreams.delete(upstream));
    upstream.once('error', () => {
      if (!client.destroyed) reply(client, 0x05);
      upstream.destroy();
    });
    upstream.once('connect', () => {
      client.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]));
      const rest = read.rest();
      if (rest.length) upstream.write(rest);
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  const listening = await listenOnLoopback(server);
  return {
    url: `socks5h://127.0.0.1:${listening.port}`,
    port: listening.port,
    requests,
    resolvedNames: () => requests.filter((r) => r.resolvedByProxy).map((r) => r.host),
    stop: async () => {
      for (const u of upstreams) u.destroy();
      await listening.stop();
    },
  };
}

function reply(client: net.Socket, code: number): void {
  client.end(Buffer.from([5, code, 0, 1, 0, 0, 0, 0, 0, 0]));
}

/** Reads exact byte counts from a socket; `rest()` hands over what arrived beyond them and stops reading. */
function reader(socket: net.Socket): ((n: number) => Promise<Buffer>) & { rest(): Buffer } {
  let buffered = Buffer.alloc(0);
  let waiting: { n: number; resolve: (b: Buffer) => void; reject: (e: Error) => void } | undefined;
  const pump = () => {
    if (waiting && buffered.length >= waiting.n) {
      const { n, resolve } = waiting;
      waiting = undefined;
      const out = buffered.subarray(0, n);
      buffered = buffered.subarray(n);
      resolve(out);
    }
  };
  const onData = (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    pump();
  };
  socket.on('data', onData);
  socket.once('close', () => waiting?.reject(new Error('closed')));
  const read = (n: number) =>
    new Promise<Buffer>((resolve, reject) => {
      waiting = { n, resolve, reject };
      pump();
    });
  return Object.assign(read, {
    rest: () => {
      socket.off('data', onData);
      const out = buffered;
      buffered = Buffer.alloc(0);
      return out;
    },
  });
}
