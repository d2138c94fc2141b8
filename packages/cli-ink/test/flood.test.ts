import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dearmorAll, readPackets } from '@keyport/core';
import { floodedKey, floodSignerCertificates, startSks } from '@keyport/test-fixtures';
import { BIN, keyportAsync, keyportJsonAsync, tempHome } from './helpers.js';

/** CVE-2019-13050 as reported in issue 10: 150,000 certifications from 300 signers (17.8 MB, 24 MB armored). */
const FLOOD = { certifications: 150_000, signers: 300 };
const RSS_LIMIT_MB = 300;

/** Runs keyport under GNU time; resolves with its exit status, output and peak RSS in MB. */
function measured(args: string[], homeDir: string): Promise<{ status: number; stdout: string; stderr: string; rssMB: number }> {
  const child = spawn('/usr/bin/time', ['-f', 'peak-rss-kb %M', process.execPath, BIN, '--home', homeDir, ...args], {
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  return new Promise((resolve) =>
    child.on('close', (code) => {
      const kb = Number(/peak-rss-kb (\d+)/.exec(stderr)?.[1] ?? Number.NaN);
      resolve({ status: code ?? -1, stdout, stderr, rssMB: kb / 1024 });
    }),
  );
}

async function storedKey(homeDir: string, fingerprint: string): Promise<Buffer> {
  const { armored } = await keyportJsonAsync<{ armored: string }>(['export', fingerprint], { home: homeDir });
  return Buffer.from(dearmorAll(new TextEncoder().encode(armored)));
}

describe('flooded keys (CVE-2019-13050) end to end', () => {
  it('import --file of the 150,000-certification key stores the clean key, says why, in bounded memory', async () => {
    const key = floodedKey(FLOOD);
    const h = tempHome();
    const r = await measured(['import', '--file', key.binaryFile], h);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^new +${key.fingerprint} `, 'm'));
    expect(r.stdout).toMatch(/flooded key: dropped 150000 certifications by keys not in the keyring \(1 user ID had more than 250;/);
    expect(r.rssMB).toBeLessThanOrEqual(RSS_LIMIT_MB);
    expect((await storedKey(h, key.fingerprint)).equals(readFileSync(key.cleanFile))).toBe(true);
  });

  it('a flooded user ID keeps the certifications of signers in the keyring (--json reports the rest)', async () => {
    const key = floodedKey({ certifications: 300, signers: 300 });
    const h = tempHome();
    const signers = `${h}/signers.pgp`;
    writeFileSync(signers, floodSignerCertificates(key, [3, 5]));
    expect((await keyportAsync(['import', '--file', signers], { home: h })).status).toBe(0);
    const report = await keyportJsonAsync<{ results: { status: string; flooding?: unknown }[] }>(['import', '--file', key.binaryFile], { home: h });
    expect(report.results[0]).toMatchObject({ status: 'new', flooding: { dropped: 298, userIds: 1, limit: 250 } });
    const stored = await storedKey(h, key.fingerprint);
    // The clean key (primary, user ID, self-signature), then the two kept certifications.
    const clean = readFileSync(key.cleanFile);
    expect(stored.subarray(0, clean.length).equals(clean)).toBe(true);
    expect(readPackets(stored)).toHaveLength(3 + 2);
    // Above the limit set in the settings, nothing is dropped.
    const raised = tempHome();
    expect((await keyportAsync(['config', 'set', 'import.maxCertificationsPerUserId', '300'], { home: raised })).status).toBe(0);
    const all = await keyportJsonAsync<{ results: { status: string; flooding?: unknown }[] }>(['import', '--file', key.binaryFile], { home: raised });
    expect(all.results[0]!.status).toBe('new');
    expect(all.results[0]!.flooding).toBeUndefined();
    expect((await storedKey(raised, key.fingerprint)).equals(readFileSync(key.binaryFile))).toBe(true);
  });

  it('import by fingerprint from a real SKS serving the 24 MB answer stores the clean key', async () => {
    const key = floodedKey(FLOOD);
    const sks = await startSks([key.binaryFile]);
    try {
      const h = tempHome();
      const r = await measured(['import', key.fingerprint, '--server', sks.url], h);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^new +${key.fingerprint} `, 'm'));
      expect(r.rssMB).toBeLessThanOrEqual(RSS_LIMIT_MB);
      expect((await storedKey(h, key.fingerprint)).equals(readFileSync(key.cleanFile))).toBe(true);
      // The raw cap is a setting: below the answer's size, nothing is stored and the message says which limit.
      const small = tempHome();
      expect((await keyportAsync(['config', 'set', 'network.maxRawResponseBytes', String(16 * 1024 * 1024)], { home: small })).status).toBe(0);
      const refused = await keyportAsync(['import', key.fingerprint, '--server', sks.url], { home: small });
      expect(refused.status).not.toBe(0);
      expect(refused.stderr + refused.stdout).toMatch(/KP1502 .*network\.maxRawResponseBytes/);
      expect(await keyportJsonAsync<unknown[]>(['list'], { home: small })).toEqual([]);
    } finally {
      await sks.stop();
    }
  });

  it('import by fingerprint over VKS (HKP disabled) reads the 24 MB answer and stores the clean key', async () => {
    const key = floodedKey(FLOOD);
    const answer = readFileSync(key.armoredFile);
    const paths: string[] = [];
    // A stand-in Hagrid on loopback: the VKS look-up path answered with the flooded key.
    const server = http.createServer((req, res) => {
      paths.push(req.url ?? '');
      if (req.url === `/vks/v1/by-fingerprint/${key.fingerprint}`) res.writeHead(200, { 'content-type': 'application/pgp-keys' }).end(answer);
      else res.writeHead(404).end('Not found');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const h = tempHome();
      // An unlisted http URL is HKP (ADR 0008), refused with HKP disabled: list it as VKS first.
      const added = await keyportAsync(['servers', 'add', url, '--protocol', 'vks'], { home: h });
      expect(added.status, added.stderr).toBe(0);
      const r = await measured(['--modules', '-hkp', 'import', key.fingerprint, '--server', url], h);
      expect(r.status, r.stderr).toBe(0);
      expect(paths).toContain(`/vks/v1/by-fingerprint/${key.fingerprint}`);
      expect(r.rssMB).toBeLessThanOrEqual(RSS_LIMIT_MB);
      expect((await storedKey(h, key.fingerprint)).equals(readFileSync(key.cleanFile))).toBe(true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
