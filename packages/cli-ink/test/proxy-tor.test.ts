import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { armorPublicKey, keyMaterial, readPackets, serializeCertificate, splitCertificates } from '@keyport/core';
import { DEBIAN_KEYRING, startHkpFixture, startSocksFixture, type RunningHkpFixture, type RunningSocksFixture, closedLoopbackPort } from '@keyport/test-fixtures';
import { homeWith, keyportAsync as keyport, tempDir } from './helpers.js';

/** The key server's name: no resolver knows it, only the SOCKS fixture maps it to the HKP fixture. */
const HOST = 'hkp.proxy-only.test';
const SERVER = `http://${HOST}:11371`;

let hkp: RunningHkpFixture;
let tor: RunningSocksFixture;
let fingerprints: string[];
let keysFile: string;

beforeAll(async () => {
  if (!existsSync(DEBIAN_KEYRING)) throw new Error(`${DEBIAN_KEYRING} is missing (apt-get install debian-keyring)`);
  // The first 50 certificates of the Debian keyring, each on its own (the fixture serves one per key).
  const certificates = splitCertificates(readPackets(new Uint8Array(readFileSync(DEBIAN_KEYRING)))).certificates.slice(0, 50);
  fingerprints = certificates.map((c) => keyMaterial(c.parts.primary).fingerprint.toUpperCase());
  const armored = certificates.map((c) => armorPublicKey(serializeCertificate(c.parts)));
  keysFile = path.join(tempDir('keyport-tor-'), 'fifty.asc');
  writeFileSync(keysFile, armored.join('\n'));
  hkp = await startHkpFixture({ dialect: 'sks', keys: armored });
  tor = await startSocksFixture({ hosts: { [HOST]: `127.0.0.1:${new URL(hkp.url).port}` } });
}, 120_000);

afterAll(async () => {
  await tor?.stop();
  await hkp?.stop();
});

/** A home with the 50 keys and the proxy-only server as its only one; the key server sync module off (it would ask keys.openpgp.org). */
async function home(torProxy: string, server = SERVER): Promise<string> {
  return homeWith([
    ['import', '--file', keysFile],
    ['servers', 'add', server, '--protocol', 'hkp'],
    ['servers', 'default', server],
    ['config', 'set', 'network.torProxy', torProxy],
  ]);
}

const MODULES = ['--modules', '-keyserversync,-wkd'];

describe('--tor', () => {
  it('a sync of 50 keys makes 50 requests through Tor with 50 distinct credentials; keyport resolves no key-server name', async () => {
    const h = await home(tor.url);
    const before = { proxy: tor.requests.length, server: hkp.requests.length };
    const r = await keyport([...MODULES, '--tor', 'sync', ...fingerprints, '--json'], { home: h });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as { results: { fingerprint: string; status: string }[] };
    expect(report.results).toHaveLength(50);
    for (const x of report.results) expect(x.status).not.toBe('failed');

    const requests = tor.requests.slice(before.proxy);
    expect(requests).toHaveLength(50);
    expect(hkp.requests.length - before.server).toBe(50);
    // Each request on its own circuit: Tor isolates by SOCKS user name and password.
    expect(new Set(requests.map((q) => `${q.credentials?.username}:${q.credentials?.password}`)).size).toBe(50);
    // The name went to the proxy every time; keyport could not have resolved it itself.
    expect(requests.every((q) => q.resolvedByProxy && q.host === HOST && q.port === 11371)).toBe(true);
  }, 60_000);

  it('Tor not running: every key fails with KP1513 saying so, and nothing reaches the server directly', async () => {
    // The server is reachable directly here: a fallback to a direct connection would reach it.
    const h = await home(`socks5h://127.0.0.1:${await closedLoopbackPort()}`, hkp.url);
    const before = hkp.requests.length;
    // network.tor in the settings does what --tor does; NO_PROXY cannot take a request around Tor.
    const withTor = await keyport(['config', 'set', 'network.tor', 'true'], { home: h });
    expect(withTor.status).toBe(0);
    const failed = await keyport([...MODULES, 'sync', ...fingerprints.slice(0, 3)], { home: h, env: { NO_PROXY: '*' } });
    expect(failed.status).toBe(1);
    for (const fpr of fingerprints.slice(0, 3)) {
      expect(failed.stdout).toMatch(new RegExp(`^failed +${fpr}: Tor is not running at 127\\.0\\.0\\.1:\\d+ \\(the proxy refused the connection\\); nothing was sent \\(KP1513\\)$`, 'm'));
    }
    expect(hkp.requests.length - before).toBe(0);
  }, 60_000);
});

describe('--proxy and --verbose', () => {
  it('--verbose lists each request with status, bytes, time and proxy on stderr; --json on stdout stays a document', async () => {
    const h = await home(tor.url);
    const r = await keyport([...MODULES, '--verbose', '--proxy', tor.url, 'sync', fingerprints[0]!, '--json'], { home: h });
    expect(r.status).toBe(0);
    expect(() => JSON.parse(r.stdout) as unknown).not.toThrow();
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(`^keyport: request: GET ${SERVER.replace(/\./g, '\\.')}/pks/lookup\\?\\S+ 200 \\d+ bytes \\d+ ms via socks5h://127\\.0\\.0\\.1:${tor.port}$`),
    );
    const quiet = await keyport([...MODULES, '--proxy', tor.url, 'sync', fingerprints[0]!], { home: h });
    expect(quiet.stderr).toBe('');
  }, 60_000);

  it('a proxy URL keyport cannot use is a one-line usage error (KP1514)', async () => {
    const h = await home(tor.url);
    const r = await keyport(['--proxy', 'ftp://proxy.example:21', 'sync', fingerprints[0]!], { home: h });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^keyport: KP1514 --proxy \/ network\.proxy: "ftp:\/\/proxy\.example:21" is not a supported proxy \(ftp\) \(next: use an http:\/\/, socks5:\/\/ or socks5h:\/\/ proxy\)\n$/);
    expect(r.stdout).toBe('');
  });
});
