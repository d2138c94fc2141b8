import http from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * Starts a fixture server on 127.0.0.1 (never `::1`, which fails here) on a free port. `stop`
 * destroys open connections first, so a server that keeps one alive (drip, endless) still stops.
 */
export async function listenOnLoopback(server: Server, scheme: 'http' | 'https' = 'http'): Promise<{ url: string; port: number; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A loopback web server giving the same answer to every request, as a web site or a captive
 * portal does: what a key-server client must not take for a key server.
 */
export function startAnsweringServer(status: number, contentType: string | undefined, body: string): Promise<{ url: string; port: number; stop(): Promise<void> }> {
  return listenOnLoopback(http.createServer((_req, res) => res.writeHead(status, contentType ? { 'content-type': contentType } : {}).end(body)));
}

/** A loopback port that nothing listens on (bound, then closed): connections to it are refused. */
export async function closedLoopbackPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

