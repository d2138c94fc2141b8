import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEBIAN_KEYRING, fixturePath, manifest, startHagridFixture, startHkpFixture, type RunningHagridFixture, closedLoopbackPort } from '@keyport/test-fixtures';
import { keyportAsync as keyport, homeWith } from './helpers.js';

type SyncJson = { results: { fingerprint: string; status: string; reason: string | null; code?: string }[]; summary: Record<string, number> };
const publicKeys = ['ed25519', 'rsa4096', 'expired', 'to-revoke'] as const;
const importAll = publicKeys.map((n) => ['import', '--file', fixturePath(manifest[n].file)]);

describe('sync fails fast, with one line per reason', () => {
  it('an offline sync --all of the 905-key Debian keyring ends within 5 s with one line giving the reason and the count; --json keeps every key', async () => {
    if (!existsSync(DEBIAN_KEYRING)) throw new Error(`${DEBIAN_KEYRING} is missing (apt-get install debian-keyring)`);
    const h = await homeWith([
      ['import', '--file', DEBIAN_KEYRING],
      // RFC 6761: a name under .invalid never resolves; the transport answers it without DNS.
      ['config', 'set', 'keyserversync.url', 'https://keys.invalid'],
    ]);
    const started = Date.now();
    const r = await keyport(['sync', '--all', '--yes'], { home: h });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.status).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines.filter((l) => /^failed\b/.test(l))).toEqual([]);
    expect(lines.filter((l) => l.includes('not synced'))).toEqual([
      expect.stringMatching(/^905 keys not synced: keys\.invalid could not be found \(DNS\) \(KP1507; next: .+\)$/),
    ]);
    expect(lines.length).toBeLessThanOrEqual(3);

    const started2 = Date.now();
    const j = await keyport(['sync', '--all', '--yes', '--json'], { home: h });
    expect(Date.now() - started2).toBeLessThan(5000);
    const report = JSON.parse(j.stdout) as SyncJson;
    expect(report.results).toHaveLength(905);
    expect(new Set(report.results.map((x) => x.fingerprint)).size).toBe(905);
    for (const x of report.results) expect(x).toMatchObject({ status: 'failed', reason: 'keys.invalid could not be found (DNS)', code: 'KP1507' });
  }, 60_000);

  it('a refused connection fails each key with the fingerprint and the reason, fast', async () => {
    const port = await closedLoopbackPort();
    const h = await homeWith([...importAll, ['servers', 'add', `http://127.0.0.1:${port}`, '--protocol', 'hkp'], ['servers', 'default', `http://127.0.0.1:${port}`]]);
    const started = Date.now();
    const r = await keyport(['--modules', '-keyserversync', 'sync', manifest.ed25519.fingerprint, manifest.rsa4096.fingerprint], { home: h });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.status).toBe(1);
    for (const fpr of [manifest.ed25519.fingerprint, manifest.rsa4096.fingerprint]) {
      expect(r.stdout).toMatch(new RegExp(`^failed +${fpr}\\b.*: 127\\.0\\.0\\.1:${port} refused the connection \\(KP1500\\)$`, 'm'));
    }
  });

  it('a 429 asking for an hour ends the run for that host: one request, every key says when to retry', async () => {
    const server = await startHkpFixture({ dialect: 'sks', hostile: 'rate-limited', retryAfter: '3600', keys: [] });
    try {
      const h = await homeWith([
        ...importAll,
        ['servers', 'add', server.url, '--protocol', 'hkp'],
        ['servers', 'default', server.url],
        // One request at a time, so that no request is already in flight when the 429 arrives.
        ['config', 'set', 'network.perHostConcurrency', '1'],
      ]);
      const before = Date.now();
      const r = await keyport(['--modules', '-keyserversync', 'sync', '--all', '--yes', '--json'], { home: h });
      expect(r.status).toBe(1);
      expect(server.requests.filter((q) => q.url.startsWith('/pks/lookup'))).toHaveLength(1);
      const report = JSON.parse(r.stdout) as SyncJson;
      expect(report.results).toHaveLength(publicKeys.length);
      for (const x of report.results) {
        expect(x).toMatchObject({ status: 'failed', code: 'KP1503' });
        const at = Date.parse(/retry after (\S+)$/.exec(x.reason ?? '')?.[1] ?? '');
        expect(at).toBeGreaterThan(before + 3599_000);
        expect(at).toBeLessThan(Date.now() + 3601_000);
      }
      const human = await keyport(['--modules', '-keyserversync', 'sync', '--all', '--yes'], { home: h });
      expect(human.stdout).toMatch(/^4 keys not synced: .* is rate-limiting requests \(HTTP 429\); retry after \S+ \(KP1503; next: try again after .*\)$/m);
    } finally {
      await server.stop();
    }
  });

  it('not-found and skipped lines name the key and the reason', async () => {
    const server = await startHkpFixture({ dialect: 'sks', keys: [] });
    try {
      const h = await homeWith([
        ['import', '--file', fixturePath(manifest.ed25519.file)],
        ['import', '--file', fixturePath(manifest.secret.secretFile!)],
        ['servers', 'add', server.url],
        ['servers', 'default', server.url],
      ]);
      const r = await keyport(['--modules', '-keyserversync', 'sync', '--all', '--yes'], { home: h });
      const host = new URL(server.url).host;
      expect(r.stdout).toMatch(new RegExp(`^not-found +${manifest.ed25519.fingerprint}\\b.*: ${host} does not have this key$`, 'm'));
      expect(r.stdout).toMatch(new RegExp(`^skipped +${manifest.secret.fingerprint}\\b.*: you own this key: publish it instead$`, 'm'));
      const imported = await keyport(['import', manifest.rsa4096.fingerprint, '--server', server.url], { home: h });
      expect(imported.status).toBe(1);
      expect(imported.stdout).toMatch(new RegExp(`^not-found +${manifest.rsa4096.fingerprint}: ${host} has no key for ${manifest.rsa4096.fingerprint}$`, 'm'));
    } finally {
      await server.stop();
    }
  });
});

describe('exit codes', () => {
  it("a server's truncated answer is the server's fault: exit 1, not 2, and the keyring is unchanged", async () => {
    const server = await startHkpFixture({ dialect: 'sks', hostile: 'truncated', keys: [readFileSync(fixturePath(manifest.rsa4096.file), 'utf8')] });
    try {
      const h = await homeWith([]);
      const r = await keyport(['--modules', '-keyserversync', 'import', manifest.rsa4096.fingerprint, '--server', server.url], { home: h });
      expect(r.stderr + r.stdout).toMatch(/KP13\d\d|KP15\d\d/);
      expect(r.status).toBe(1);
      expect((await keyport(['list', '--json'], { home: h })).stdout.trim()).toBe('[]');
    } finally {
      await server.stop();
    }
  });
});

describe('verify', () => {
  let hagrid: RunningHagridFixture;
  beforeAll(async () => {
    hagrid = await startHagridFixture();
  });
  afterAll(async () => {
    await hagrid.stop();
  });

  it('refuses an address that is not on the key with KP1002, like publish --verify, before asking the server', async () => {
    const fpr = manifest.secret.fingerprint;
    const h = await homeWith([
      ['config', 'set', 'keyserversync.url', hagrid.url],
      ['import', '--file', fixturePath(manifest.secret.secretFile!)],
    ]);
    const asked = hagrid.requests.length;
    const r = await keyport(['verify', fpr, 'typo@x.org'], { home: h });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^keyport: KP1002 typo@x\.org is not an address of B7FC4C186320F556C53AB1126B996F99D003F60E \(next: choose among: sam@example\.org, sam@work\.example\)$/m);
    expect(hagrid.requests.length).toBe(asked);
    // The same address after a publication (a stored, fresh session) is refused the same way.
    expect((await keyport(['publish', fpr, '--no-verify', '--yes'], { home: h })).status).toBe(0);
    const again = await keyport(['verify', fpr, 'sam@example.org', 'typo@x.org'], { home: h });
    expect([again.status, again.stderr.slice(0, 16)]).toEqual([2, 'keyport: KP1002 ']);
    expect(hagrid.mails).toEqual([]);
  });
});
