import type http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * Starts a fixture server on 127.0.0.1 (never `::1`, which fails here) on a free port. `stop`
 * destroys open connections first, so a server that keeps one alive (drip, endless) still stops.
 */
export async function listenOnLoopback(server: http.Server): Promise<{ url: string; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
