#!/usr/bin/env node
/**
 * A TCP proxy on 127.0.0.1 that adds a fixed one-way delay in each direction (and to connection
 * set-up), so a loopback server looks like one DELAY*2 ms away.
 *   node bench/delay-proxy.mjs LISTEN_PORT TARGET_PORT ONE_WAY_DELAY_MS
 * Prints "ready" when listening.
 */
import net from 'node:net';

const [listenPort, targetPort, delayMs] = process.argv.slice(2).map(Number);
const server = net.createServer((client) => {
  client.pause();
  const upstream = net.connect(targetPort, '127.0.0.1');
  const relay = (from, to) => {
    from.on('data', (chunk) => setTimeout(() => to.write(chunk), delayMs));
    from.on('end', () => setTimeout(() => to.end(), delayMs));
    from.on('error', () => to.destroy());
  };
  // The TCP handshake costs one round trip before any data flows.
  setTimeout(() => {
    relay(client, upstream);
    relay(upstream, client);
    client.resume();
  }, 2 * delayMs);
});
server.listen(listenPort, '127.0.0.1', () => console.log('ready'));
