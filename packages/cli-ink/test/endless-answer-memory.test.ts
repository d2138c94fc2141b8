import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { manifest } from '@keyport/test-fixtures';
import { BIN, keyport, tempHome } from './helpers.js';

/** A key server that answers every look-up with an armor header and then base64 lines for ever. */
async function startEndlessServer(): Promise<{ url: string; stop: () => Promise<void> }> {
  // One line per write, as a server streaming its answer does: many small chunks arrive.
  const line = Buffer.from(`${'QUJD'.repeat(16)}\n`);
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/pgp-keys' });
    res.write('-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n');
    const pump = () => {
      while (!res.destroyed && res.write(line));
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

const MiB = 1024 * 1024;
/** What Node, the bundle and openpgp.js take before any answer arrives, with room to spare. */
const FIXED_OVERHEAD = 120 * MiB;

describe('an endless answer to a key look-up', () => {
  it('stops at the raw cap with KP1502 and peak memory below twice the cap plus a fixed overhead', async () => {
    const server = await startEndlessServer();
    const h = tempHome();
    try {
      const cap = 32 * MiB;
      expect(keyport(['config', 'set', 'network.maxRawResponseBytes', String(cap)], { home: h }).status).toBe(0);
      // GNU time prints the child's peak RSS (KiB) as the last line of stderr.
      const child = spawn('/usr/bin/time', ['-f', '%M', process.execPath, BIN, '--home', h, 'import', manifest.ed25519.fingerprint, '--server', server.url], {
        env: { ...process.env, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      const code = await new Promise<number | null>((r) => child.on('close', r));
      clearTimeout(timer);
      expect(stderr).toContain(`KP1502`);
      expect(stderr).toContain(`more than ${cap} bytes`);
      expect(code).toBe(1);
      const peakKiB = Number(stderr.trim().split('\n').at(-1));
      expect(peakKiB * 1024).toBeLessThan(2 * cap + FIXED_OVERHEAD);
    } finally {
      await server.stop();
    }
  }, 90_000);
});
