import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dearmorAll, readPackets, splitCertificates } from '@keyport/core';
import { createTestPki, fixturePath, gpg, hasGpg, manifest, parseColons, startHkpFixture, tempGnupgHome } from '@keyport/test-fixtures';
import { keyport, keyportAsync, keyportJson, tempDir, tempHome } from './helpers.js';

/** How many certificates OpenPGP data (armored or binary) holds. */
function certificateCount(data: Uint8Array): number {
  const binary = Buffer.from(data).toString('latin1').startsWith('-----BEGIN') ? dearmorAll(data) : data;
  return splitCertificates(readPackets(binary)).certificates.length;
}

describe('issue 14: many keys per command', () => {
  it('list PATTERN selects keys as gpg --list-keys PATTERN does; a bad pattern is a KP1002 line', () => {
    const home = tempHome();
    for (const key of [manifest.ed25519, manifest.expired]) {
      expect(keyport(['import', '--file', fixturePath(key.file)], { home }).status).toBe(0);
    }
    const listed = (pattern: string) => keyportJson<{ fingerprint: string }[]>(['list', pattern], { home }).map((k) => k.fingerprint);
    expect(listed('eddie@EXAMPLE.org')).toEqual([manifest.ed25519.fingerprint]);
    expect(listed(manifest.ed25519.keyId.toLowerCase())).toEqual([manifest.ed25519.fingerprint]);
    expect(listed(manifest.expired.fingerprint)).toEqual([manifest.expired.fingerprint]);
    expect(listed('no such user anywhere')).toEqual([]);
    expect(listed('').sort()).toEqual([manifest.ed25519.fingerprint, manifest.expired.fingerprint].sort());
    // The pattern and --filter narrow together.
    expect(keyportJson<{ fingerprint: string }[]>(['list', 'eddie', '--filter', 'expired'], { home })).toEqual([]);

    const human = keyport(['list', 'no such user anywhere'], { home });
    expect(human.status).toBe(0);
    expect(human.stdout).toBe('no key matches "no such user anywhere"\n');

    const bad = keyport(['list', '0x123'], { home });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^keyport: KP1002 "0x123" is not a pattern keyport can list by: after "0x" come 8, 16, 40 or 64 hex digits \(next: give part of a user ID/);
  });
});

describe('issue 14: export of many keys', () => {
  it('exports several IDs or --all into one file, atomically, never over an existing file without --force', () => {
    const home = tempHome();
    for (const key of [manifest.ed25519, manifest.expired]) {
      expect(keyport(['import', '--file', fixturePath(key.file)], { home }).status).toBe(0);
    }
    const out = tempDir('keyport-export-');
    const both = path.join(out, 'both.asc');
    const written = keyportJson<{ fingerprints: string[]; output: string }>(['export', '--all', '--output', both], { home });
    expect(written.fingerprints.sort()).toEqual([manifest.ed25519.fingerprint, manifest.expired.fingerprint].sort());
    expect(written.output).toBe(both);
    expect(readFileSync(both, 'latin1')).toMatch(/^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
    expect(certificateCount(readFileSync(both))).toBe(2);

    // An existing file is refused with a next step, and left as it was; --force replaces it.
    writeFileSync(both, 'keep me');
    const refused = keyport(['export', manifest.ed25519.keyId, '--output', both], { home });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/^keyport: KP1002 .*already exists.*\(next: .*--force/);
    expect(readFileSync(both, 'utf8')).toBe('keep me');
    expect(keyport(['export', manifest.ed25519.keyId, '--output', both, '--force', '--binary'], { home }).status).toBe(0);
    const binary = readFileSync(both);
    expect(binary[0]! & 0x80).toBe(0x80);
    expect(certificateCount(binary)).toBe(1);
    // No temporary file is left beside the output.
    expect(readdirSync(out)).toEqual(['both.asc']);

    // Several IDs on stdout: one armored block; the same key named twice is exported once.
    const two = keyport(['export', manifest.ed25519.keyId, manifest.expired.fingerprint, manifest.ed25519.fingerprint], { home });
    expect(two.status).toBe(0);
    expect(certificateCount(Buffer.from(two.stdout, 'latin1'))).toBe(2);

    const nothing = keyport(['export'], { home });
    expect(nothing.status).toBe(2);
    expect(nothing.stderr).toMatch(/^keyport: KP1002 .*\(next: .*--all/);
    expect(existsSync(path.join(out, 'missing.asc'))).toBe(false);
    expect(keyport(['export', 'FFFFFFFFFFFFFFFF', '--output', path.join(out, 'missing.asc')], { home }).status).not.toBe(0);
    expect(existsSync(path.join(out, 'missing.asc'))).toBe(false);
  });

  it.runIf(hasGpg())('--minimal drops third-party certifications (as gpg export-minimal)', () => {
    const gnupg = tempGnupgHome();
    const batch = ['--batch', '--pinentry-mode', 'loopback', '--passphrase', ''];
    gpg([...batch, '--quick-gen-key', 'Mina Minimal <mina@example.org>', 'ed25519', 'cert', '2y'], { home: gnupg });
    gpg([...batch, '--quick-gen-key', 'Cora Certifier <cora@example.org>', 'ed25519', 'cert', '2y'], { home: gnupg });
    // A newer self-signature on the user ID (expiry extended), then a third-party certification by Cora.
    const mina = parseColons(gpg(['--with-colons', '--list-keys', 'mina@example.org'], { home: gnupg }))[0]!.fingerprint;
    gpg([...batch, '--quick-set-expire', mina, '3y'], { home: gnupg });
    gpg([...batch, '--default-key', 'cora@example.org', '--quick-sign-key', mina], { home: gnupg });
    const exported = Buffer.from(gpg(['--export', mina], { home: gnupg }), 'latin1');
    const home = tempHome();
    expect(keyport(['import', '--file', '-'], { home, input: exported }).status).toBe(0);
    const signatures = (args: string[]) => {
      const r = keyport(['export', mina, ...args], { home });
      expect(r.status).toBe(0);
      return readPackets(dearmorAll(Buffer.from(r.stdout, 'latin1'))).filter((p) => p.tag === 2).length;
    };
    // gpg keeps only the newest self-signature itself, so the full copy has it and the certification.
    expect(signatures([])).toBe(2);
    // One user ID, no subkey: exactly its newest self-signature is left.
    expect(signatures(['--minimal'])).toBe(1);
  });
});

describe('issue 14: import of many files', () => {
  it('--file is repeatable and a folder imports every key file in it, with a report per key and per failed file', () => {
    const home = tempHome();
    const folder = tempDir('keyport-import-dir-');
    writeFileSync(path.join(folder, 'eddie.asc'), readFileSync(fixturePath(manifest.ed25519.file)));
    writeFileSync(path.join(folder, 'old.asc'), readFileSync(fixturePath(manifest.expired.file)));
    writeFileSync(path.join(folder, 'notes.txt'), 'not a key file, never read');
    writeFileSync(path.join(folder, 'broken.asc'), '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot base64 at all\n-----END PGP PUBLIC KEY BLOCK-----\n');

    const r = keyport(['import', '--file', folder, '--file', fixturePath(manifest.rsa4096.file), '--json'], { home });
    expect(r.status).toBe(1);
    const report = JSON.parse(r.stdout) as { results: { fingerprint: string; status: string }[]; summary: Record<string, number>; files: { file: string; error: { code: string } | null }[] };
    expect(report.results.map((x) => x.fingerprint).sort()).toEqual([manifest.ed25519.fingerprint, manifest.expired.fingerprint, manifest.rsa4096.fingerprint].sort());
    expect(report.summary).toMatchObject({ new: 3, rejected: 0 });
    expect(report.files.map((f) => [path.basename(f.file), f.error?.code ?? null])).toEqual([
      ['broken.asc', 'KP1300'],
      ['eddie.asc', null],
      ['old.asc', null],
      [path.basename(manifest.rsa4096.file), null],
    ]);
    expect(r.stderr).toMatch(/keyport: KP1300 .*broken\.asc/);
    expect(keyportJson<unknown[]>(['list'], { home })).toHaveLength(3);

    const human = keyport(['import', '--file', folder], { home: tempHome() });
    expect(human.status).toBe(1);
    expect(human.stdout).toContain('2 new');
    expect(human.stderr).toMatch(/^keyport: KP1300 .*broken\.asc.*\(next: /m);

    const empty = tempDir('keyport-import-empty-');
    const none = keyport(['import', '--file', empty], { home });
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/^keyport: KP1302 .*no key files.*\(next: /);
  });
});

describe('issue 14: import --url', () => {
  it('imports over https only; a certificate with secret material is refused and nothing secret is stored', async () => {
    const pki = createTestPki(['localhost']);
    const files: Record<string, Uint8Array> = {
      '/eddie.asc': readFileSync(fixturePath(manifest.ed25519.file)),
      '/secret.asc': readFileSync(fixturePath(manifest.secret.secretFile!)),
    };
    const server = https.createServer({ key: pki.keyPem, cert: pki.certPem }, (req, res) => {
      const body = files[req.url ?? ''];
      res.writeHead(body ? 200 : 404).end(body ?? 'not here');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `https://localhost:${(server.address() as AddressInfo).port}`;
    const env = { NODE_EXTRA_CA_CERTS: pki.caFile };
    try {
      const home = tempHome();
      const ok = await keyportAsync(['import', '--url', `${base}/eddie.asc`, '--json'], { home, env });
      expect(ok.status).toBe(0);
      expect(JSON.parse(ok.stdout)).toMatchObject({ url: `${base}/eddie.asc`, summary: { new: 1 } });

      const secret = await keyportAsync(['import', '--url', `${base}/secret.asc`, '--json'], { home, env });
      expect(secret.stderr).toBe('');
      expect(secret.status).toBe(1);
      expect(JSON.parse(secret.stdout)).toMatchObject({ results: [{ fingerprint: manifest.secret.fingerprint, status: 'rejected' }] });
      expect(keyportJson<{ hasSecret: boolean }[]>(['list'], { home }).some((k) => k.hasSecret)).toBe(false);

      const missing = await keyportAsync(['import', '--url', `${base}/nothing.asc`], { home, env });
      expect(missing.status).toBe(1);
      expect(missing.stderr).toMatch(/^keyport: KP1505 .*404.*\(next: /);

      const plain = keyport(['import', '--url', 'http://localhost:1/eddie.asc'], { home });
      expect(plain.status).toBe(2);
      expect(plain.stderr).toMatch(/^keyport: KP1506 http URLs are refused.*\(next: /);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      pki.remove();
    }
  });
});

describe('issue 14: sync --all needs a yes', () => {
  it('without a terminal, sync --all is refused unless --yes is given, before any request', () => {
    const home = tempHome();
    expect(keyport(['import', '--file', fixturePath(manifest.ed25519.file)], { home }).status).toBe(0);
    const refused = keyport(['sync', '--all'], { home });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/^keyport: KP1002 sync --all needs confirmation and there is no terminal to ask \(next: add --yes\)/);
    const asJson = keyport(['sync', '--all', '--json'], { home });
    expect(asJson.status).toBe(2);
    expect(JSON.parse(asJson.stdout)).toMatchObject({ error: { code: 'KP1002' } });
  });
});

describe('issue 14: sync --server URL', () => {
  it('refreshes from the server named for this run, and asks the default server nothing', async () => {
    const usual = await startHkpFixture({ dialect: 'sks', keys: [] });
    const named = await startHkpFixture({ dialect: 'sks', keys: [readFileSync(fixturePath(manifest['pair-new'].file), 'utf8')] });
    try {
      const home = tempHome();
      const run = (args: string[]) => keyportAsync(['--modules', '-keyserversync', ...args], { home });
      expect((await run(['import', '--file', fixturePath(manifest['pair-old'].file)])).status).toBe(0);
      expect((await run(['servers', 'add', usual.url])).status).toBe(0);
      expect((await run(['servers', 'default', usual.url])).status).toBe(0);
      // `servers add` probes the server; from here on it must hear nothing.
      const probes = usual.requests.length;
      const r = await run(['sync', '--all', '--yes', '--server', named.url, '--json']);
      expect(r.stderr).toBe('');
      const report = JSON.parse(r.stdout) as { server: string; results: { fingerprint: string; status: string }[] };
      expect(report.results).toMatchObject([{ fingerprint: manifest['pair-old'].fingerprint, status: 'updated' }]);
      expect(named.requests.length).toBeGreaterThan(0);
      expect(usual.requests.length).toBe(probes);
      const bad = await run(['sync', '--all', '--yes', '--server', 'not a url']);
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/^keyport: KP1600 "not a url" is not a key server URL \(next: /);
    } finally {
      await usual.stop();
      await named.stop();
    }
  });
});

describe('issue 14: delete of a key with its secret key here', () => {
  it('says where the secret key file is kept instead of advising an export keyport cannot do', () => {
    const home = tempHome();
    expect(keyport(['import', '--file', fixturePath(manifest.secret.secretFile!)], { home }).status).toBe(0);
    const r = keyport(['delete', manifest.secret.fingerprint, '--yes'], { home });
    expect(r.status).toBe(2);
    const secretFile = path.join(home, 'keyring', 'secret', `${manifest.secret.fingerprint}.pgp`);
    expect(existsSync(secretFile)).toBe(true);
    expect(r.stderr).toContain(`(next: the secret key is kept in ${secretFile}: copy it somewhere safe if you still need it, then delete with --secret)`);
    expect(r.stderr).not.toMatch(/export/);
  });
});
