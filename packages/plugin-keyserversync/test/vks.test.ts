import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes, HttpTransport, KeyportError, createKeyport, dearmorAll, readPackets, PacketTag, armorPublicKey } from '@keyport/core';
import { fixtureArmored, fixturePath, manifest, startAnsweringServer, startHagridFixture, type RunningHagridFixture } from '@keyport/test-fixtures';
import { runProtocolEngineContract } from '@keyport/test-fixtures/contract';
import { VksEngine, keyServerSyncPlugin } from '../src/index.js';

const http = () => new HttpTransport({ timeoutMs: 5000, connectTimeoutMs: 2000, maxBytes: 4 << 20, perHostConcurrency: 4, userAgent: 'vks-test', env: {}, backoffBaseMs: 5 });
const running: RunningHagridFixture[] = [];
afterEach(async () => {
  for (const f of running.splice(0)) await f.stop();
});

/** A Hagrid fixture holding `keys` with every address verified. */
async function hagridWith(keys: string[]): Promise<RunningHagridFixture> {
  const f = await startHagridFixture();
  const engine = new VksEngine(http());
  for (const k of keys) {
    const up = await engine.upload(new URL(f.url), k);
    await engine.requestVerification(new URL(f.url), { token: up.token!, addresses: Object.keys(up.addresses ?? {}) });
    for (const a of Object.keys(up.addresses ?? {})) f.clickVerification(a);
  }
  return f;
}

runProtocolEngineContract({
  name: 'vks on a Hagrid-like server',
  verbs: ['lookup', 'upload', 'requestVerification', 'publishStatus', 'probe'],
  engine: () => new VksEngine(http()),
  startServer: hagridWith,
  exactOnly: true,
  foreignUrl: 'hkp://keys.example.org',
});

describe('publishing from a keyring that holds the secret key', () => {
  it('uploads public packets only', async () => {
    const f = await startHagridFixture();
    running.push(f);
    const home = mkdtempSync(path.join(os.tmpdir(), 'kp-kss-pub-'));
    try {
      const kp = await createKeyport({ home, plugins: [keyServerSyncPlugin], env: {} });
      await kp.settings.set('keyserversync.url', f.url);
      const imported = await kp.importer.import(new Uint8Array(readFileSync(fixturePath(manifest.secret.secretFile!))), { origin: { kind: 'file', name: 'secret' } });
      // The check means something only if there is secret material to leak.
      expect(imported.results[0]).toMatchObject({ status: 'new', secretKeysStored: 2 });
      await kp.publishing.publish(manifest.secret.fingerprint, { verify: [] });
      const uploads = f.requests.filter((r) => r.url === '/vks/v1/upload');
      expect(uploads).toHaveLength(1);
      const tags = readPackets(dearmorAll(new TextEncoder().encode(JSON.parse(uploads[0]!.body).keytext))).map((p) => p.tag);
      expect(tags).toContain(PacketTag.PublicKey);
      expect(tags.filter((t) => t === PacketTag.SecretKey || t === PacketTag.SecretSubkey)).toEqual([]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('VKS engine', () => {
  it('publishes, requests one verification, and reports the status at each step', async () => {
    const f = await startHagridFixture();
    running.push(f);
    const server = new URL(f.url);
    const engine = new VksEngine(http());
    const fpr = manifest.secret.fingerprint;
    expect(await engine.publishStatus(server, fpr)).toEqual({ state: 'not-published', addresses: [] });

    const up = await engine.upload(server, fixtureArmored('secret'));
    expect(up.accepted).toEqual([fpr]);
    expect(up.addresses).toEqual({ 'sam@example.org': 'unpublished', 'sam@work.example': 'unpublished' });
    expect(typeof up.token).toBe('string');
    expect(await engine.publishStatus(server, fpr)).toEqual({ state: 'no-verified-identity', addresses: [] });

    const asked = await engine.requestVerification(server, { token: up.token!, addresses: ['sam@example.org', 'stranger@example.org'], locale: ['de_CH'] });
    expect(asked).toEqual({ fingerprint: fpr, addresses: { 'sam@example.org': 'pending', 'sam@work.example': 'unpublished' } });
    expect(f.mails).toEqual(['sam@example.org']); // the address not on the key was ignored
    const sent = JSON.parse(f.requests.at(-1)!.body);
    expect(sent).toEqual({ token: up.token, addresses: ['sam@example.org', 'stranger@example.org'], locale: ['de_CH'] });

    f.clickVerification('sam@example.org');
    expect(await engine.publishStatus(server, fpr.toLowerCase())).toEqual({ state: 'published', addresses: ['sam@example.org'] });
    const served = await engine.lookup(server, { kind: 'email', value: 'sam@example.org' });
    const uids = readPackets(dearmorAll(served!)).filter((p) => p.tag === PacketTag.UserId).map((p) => Buffer.from(p.body).toString('utf8'));
    expect(uids).toEqual(['Sam Secret <sam@example.org>']);
    // Every upload body held public packets only.
    for (const r of f.requests.filter((r) => r.url === '/vks/v1/upload')) {
      const tags = readPackets(dearmorAll(new TextEncoder().encode(JSON.parse(r.body).keytext))).map((p) => p.tag);
      expect(tags.filter((t) => t === 5 || t === 7)).toEqual([]);
    }
  });

  it('reads the bare array Hagrid sends for several keys in one upload', async () => {
    const f = await startHagridFixture();
    running.push(f);
    const both = armorPublicKey(new Uint8Array([...dearmorAll(new TextEncoder().encode(fixtureArmored('rsa4096'))), ...dearmorAll(new TextEncoder().encode(fixtureArmored('ed25519')))]));
    const up = await new VksEngine(http()).upload(new URL(f.url), both);
    expect(up.accepted.sort()).toEqual([manifest.rsa4096.fingerprint, manifest.ed25519.fingerprint].sort());
    expect(up.token).toBeUndefined();
  });

  it('answers a verification request on an expired session with the typed sessionExpired result', async () => {
    const f = await startHagridFixture();
    running.push(f);
    const server = new URL(f.url);
    const engine = new VksEngine(http());
    const up = await engine.upload(server, fixtureArmored('ed25519'));
    f.expireTokens();
    expect(await engine.requestVerification(server, { token: up.token!, addresses: ['eddie@example.org'] })).toEqual({ sessionExpired: true });
    expect(f.mails).toEqual([]);
  });

  it('verify reuses a live session, and uploads again for a new one once the server says it expired', async () => {
    const f = await startHagridFixture();
    running.push(f);
    const home = mkdtempSync(path.join(os.tmpdir(), 'kp-kss-verify-'));
    try {
      const kp = await createKeyport({ home, plugins: [keyServerSyncPlugin], env: {} });
      await kp.settings.set('keyserversync.url', f.url);
      await kp.importer.import(new Uint8Array(readFileSync(fixturePath(manifest.secret.secretFile!))), { origin: { kind: 'file', name: 'secret' } });
      const fpr = manifest.secret.fingerprint;
      const uploads = () => f.requests.filter((r) => r.url === '/vks/v1/upload').length;
      await kp.publishing.publish(fpr, { verify: 'none' });
      expect(uploads()).toBe(1);
      await kp.publishing.verify(fpr, ['sam@example.org']);
      expect(uploads()).toBe(1);
      f.expireTokens();
      const again = await kp.publishing.verify(fpr, ['sam@work.example']);
      expect(uploads()).toBe(2);
      expect(again.addresses['sam@work.example']).toBe('pending');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it.each([
    ['maintenance', ErrorCodes.RateLimited, /maintenance window/],
    ['too large', ErrorCodes.UploadTooLarge, /too large/],
  ] as const)('%s: a clear coded error', async (what, code, message) => {
    const f = await startHagridFixture();
    running.push(f);
    const server = new URL(f.url);
    const engine = new VksEngine(http());
    let call: () => Promise<unknown>;
    if (what === 'maintenance') {
      f.setMaintenance('maintenance window until 14:00 UTC');
      call = () => engine.upload(server, fixtureArmored('ed25519'));
    } else {
      call = () => engine.upload(server, `${fixtureArmored('ed25519')}\n${'x'.repeat(1100 * 1024)}`);
    }
    const e = await call().then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(KeyportError);
    expect((e as KeyportError).code).toBe(code);
    expect((e as KeyportError).message).toMatch(message);
  });

  it('backs off on 429 for email look-ups and then says it is rate-limited', async () => {
    const f = await startHagridFixture({ emailLookupLimit: 1 });
    running.push(f);
    const engine = new VksEngine(http());
    expect(await engine.lookup(new URL(f.url), { kind: 'email', value: 'nobody@example.org' })).toBeNull();
    const e = await engine.lookup(new URL(f.url), { kind: 'email', value: 'nobody@example.org' }).catch((err: unknown) => err);
    expect(e).toMatchObject({ code: ErrorCodes.RateLimited, retryable: true });
    expect(f.requests.length).toBe(1 + 4); // one allowed, then the first try and three retries
  });

  it('refuses text queries it cannot send and never uploads a private key block', async () => {
    const engine = new VksEngine(http());
    await expect(engine.lookup(new URL('https://keys.example.org'), { kind: 'text', value: 'alice' })).rejects.toMatchObject({ code: ErrorCodes.QueryUnsupported });
    await expect(engine.upload(new URL('https://keys.example.org'), readFileSync(fixturePath(manifest.secret.secretFile!), 'utf8'))).rejects.toThrow(/private key/);
  });
});

describe('Hagrid quirks the client must survive', () => {
  it('look-ups are uppercase-only on the server, so the engine uppercases', async () => {
    const f = await hagridWith([fixtureArmored('ed25519')]);
    running.push(f);
    const lower = await fetch(`${f.url}/vks/v1/by-fingerprint/${manifest.ed25519.fingerprint.toLowerCase()}`);
    expect(lower.status).toBe(404);
    const bytes = await new VksEngine(http()).lookup(new URL(f.url), { kind: 'fingerprint', value: manifest.ed25519.fingerprint.toLowerCase() });
    expect(bytes).not.toBeNull();
  });

  it('a 200 that is not JSON is a clear error', async () => {
    const { createServer } = await import('node:http');
    const server = createServer((_req, res) => res.end('<html>hello</html>'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const e = await new VksEngine(http()).upload(new URL(`http://127.0.0.1:${port}`), fixtureArmored('ed25519')).catch((err: unknown) => err);
      expect(e).toMatchObject({ code: ErrorCodes.HttpStatus });
      expect((e as Error).message).toMatch(/not JSON/);
    } finally {
      server.close();
    }
  });
});

describe('telling a VKS server from other web servers', () => {
  const page = '<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1></body></html>';

  it.each([
    ['a bare 404', 404, undefined, ''],
    ['a short plain 404', 404, 'text/plain', 'not found'],
    ['an HTML 404 page', 404, 'text/html', page],
    ['an HKP server\'s "Not Found"', 404, 'text/plain; charset=utf-8', 'Not Found\n'],
  ] as const)('the probe does not take %s for VKS', async (_, status, type, body) => {
    const web = await startAnsweringServer(status, type, body);
    try {
      expect(await new VksEngine(http()).probe(web.url)).toMatchObject({ reachable: true, speaksProtocol: false });
    } finally {
      await web.stop();
    }
  });

  it("the probe recognises Hagrid's not-found answers", async () => {
    const f = await startHagridFixture();
    running.push(f);
    expect(await new VksEngine(http()).probe(new URL(f.url))).toMatchObject({ reachable: true, speaksProtocol: true });
    for (const said of ['No key found for this fingerprint.', 'No key found for fingerprint 0000000000000000000000000000000000000000']) {
      const web = await startAnsweringServer(404, 'text/html; charset=utf-8', said);
      try {
        expect(await new VksEngine(http()).probe(web.url), said).toMatchObject({ speaksProtocol: true });
      } finally {
        await web.stop();
      }
    }
  });

  it("a look-up that gets a web server's 404 page is an error, Hagrid's 404 is not-found", async () => {
    const web = await startAnsweringServer(404, 'text/html', page);
    try {
      const e = await new VksEngine(http()).lookup(web.url, { kind: 'fingerprint', value: manifest.ed25519.fingerprint }).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(KeyportError);
      expect((e as KeyportError).code).toBe(ErrorCodes.NotAKeyserver);
    } finally {
      await web.stop();
    }
    const f = await startHagridFixture();
    running.push(f);
    expect(await new VksEngine(http()).lookup(new URL(f.url), { kind: 'fingerprint', value: manifest.ed25519.fingerprint })).toBeNull();
    expect(await new VksEngine(http()).lookup(new URL(f.url), { kind: 'email', value: 'nobody@example.org' })).toBeNull();
  });
});
