/**
 * keyport built with each built-in plugin left out in turn (KEYPORT_LEAVE_OUT, scripts/bundle.mjs):
 * none of the plugin's code is in the bundle, and what remains works without it. The variants are
 * built under dist/variants/ (the bundle resolves core's package.json next to itself).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '@keyport/core';
import { fixturePath, manifest, startHagridFixture, tempGnupgHome, startHkpFixture, type RunningHagridFixture, type RunningHkpFixture } from '@keyport/test-fixtures';
import { keyportAsync, keyportJsonAsync, tempHome } from './helpers.js';

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const variantsDir = path.join(pkgDir, 'dist', 'variants');

/** Builds keyport without `id` and returns its binary. */
function buildWithout(id: string): string {
  const outdir = path.join(variantsDir, `without-${id}`);
  execFileSync(process.execPath, [path.join(pkgDir, 'scripts', 'bundle.mjs')], { env: { ...process.env, KEYPORT_LEAVE_OUT: id, KEYPORT_BUNDLE_OUTDIR: outdir }, stdio: ['ignore', 'ignore', 'inherit'] });
  return path.join(outdir, 'keyport.js');
}

/** All the JavaScript of a bundle, to check a plugin's code is not in it. */
const bundleText = (bin: string) =>
  readdirSync(path.dirname(bin))
    .filter((f) => f.endsWith('.js'))
    .map((f) => readFileSync(path.join(path.dirname(bin), f), 'utf8'))
    .join('\n');

let hagrid: RunningHagridFixture;
let hkp: RunningHkpFixture;
beforeAll(async () => {
  hagrid = await startHagridFixture();
  hkp = await startHkpFixture({ dialect: 'sks', keys: [readFileSync(fixturePath(manifest.rsa4096.file), 'utf8')] });
});
afterAll(async () => {
  await hagrid.stop();
  await hkp.stop();
  rmSync(variantsDir, { recursive: true, force: true });
});

const fpr = manifest.secret.fingerprint;

/** A home with the secret fixture key, KeyServerSync's URL at the Hagrid fixture and the HKP fixture as default server. */
async function homeFor(bin: string, withKss: boolean): Promise<string> {
  const home = tempHome();
  const steps = [
    ['import', '--file', fixturePath(manifest.secret.secretFile!)],
    ...(withKss ? [['config', 'set', 'keyserversync.url', hagrid.url]] : []),
    ['servers', 'add', hkp.url, '--protocol', 'hkp'],
    ['servers', 'default', hkp.url],
  ];
  for (const args of steps) {
    const r = await keyportAsync(args, { home, bin });
    if (r.status !== 0) throw new Error(`keyport ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  }
  return home;
}

const moduleIds = async (bin: string, home: string) => (await keyportJsonAsync<{ id: string }[]>(['modules', 'list'], { home, bin })).map((m) => m.id);

describe('keyport without KeyServerSync', () => {
  it('publishes and syncs over HKP to the default server, and status says it needs a module', async () => {
    const bin = buildWithout('keyserversync');
    expect(bundleText(bin)).not.toContain('/vks/v1/');
    const home = await homeFor(bin, false);
    expect(await moduleIds(bin, home)).toEqual(['hkp', 'wkd', 'gnupg']);
    const published = await keyportJsonAsync<{ protocol: string; server: string }>(['publish', fpr, '--yes'], { home, bin });
    expect(published).toMatchObject({ protocol: 'hkp', server: hkp.url });
    const synced = await keyportJsonAsync<{ protocol: string; server: string; results: { status: string }[] }>(['sync', '--all', '--yes', '--include-own'], { home, bin });
    expect(synced).toMatchObject({ protocol: 'hkp', server: hkp.url });
    expect(synced.results.map((r) => r.status)).toEqual(['unchanged']);
    const status = await keyportAsync(['status', fpr], { home, bin });
    expect(status.status).not.toBe(0);
    expect(status.stderr).toContain(ErrorCodes.ModuleRequired);
    expect(status.stderr).toContain('publish status needs a module');
    const setting = await keyportAsync(['config', 'get', 'keyserversync.url'], { home, bin });
    expect(setting.stderr).toContain(ErrorCodes.SettingUnknown);
    expect(hagrid.requests).toEqual([]);
  }, 60_000);
});

describe('keyport without HKP', () => {
  it('publishes over VKS; a search of an HKP server fails with a coded error that names the missing engine', async () => {
    const bin = buildWithout('hkp');
    expect(bundleText(bin)).not.toContain('/pks/lookup');
    const home = tempHome();
    expect((await keyportAsync(['import', '--file', fixturePath(manifest.secret.secretFile!)], { home, bin })).status).toBe(0);
    expect((await keyportAsync(['config', 'set', 'keyserversync.url', hagrid.url], { home, bin })).status).toBe(0);
    expect(await moduleIds(bin, home)).toEqual(['keyserversync', 'wkd', 'gnupg']);
    const published = await keyportJsonAsync<{ protocol: string; server: string }>(['publish', fpr, '--no-verify', '--yes'], { home, bin });
    expect(published).toMatchObject({ protocol: 'vks', server: hagrid.url });
    expect(await keyportJsonAsync(['status', fpr], { home, bin })).toMatchObject([{ fingerprint: fpr, state: 'no-verified-identity' }]);
    const search = await keyportAsync(['search', '--server', hkp.url.replace(/^http/, 'hkp'), 'rita@example.org'], { home, bin });
    expect(search.status).not.toBe(0);
    expect(search.stderr).toMatch(/KP\d{4}/);
    expect(search.stderr).not.toContain(ErrorCodes.Internal);
  }, 60_000);
});

describe('keyport without WKD', () => {
  it('searches and imports from the default HKP server', async () => {
    const bin = buildWithout('wkd');
    expect(bundleText(bin)).not.toContain('.well-known/openpgpkey');
    const home = await homeFor(bin, true);
    expect(await moduleIds(bin, home)).toEqual(['hkp', 'keyserversync', 'gnupg']);
    const hits = await keyportJsonAsync<{ fingerprint: string }[]>(['search', manifest.rsa4096.fingerprint], { home, bin });
    expect(hits.map((h) => h.fingerprint)).toEqual([manifest.rsa4096.fingerprint]);
    const imported = await keyportJsonAsync<{ results: { status: string }[] }>(['import', manifest.rsa4096.fingerprint], { home, bin });
    expect(imported.results.map((r) => r.status)).toEqual(['new']);
  }, 60_000);
});

describe('keyport without GnuPG', () => {
  it('works on the embedded store and says so when --store gnupg is asked for', async () => {
    const bin = buildWithout('gnupg');
    expect(bundleText(bin)).not.toContain('import-clean,self-sigs-only');
    const home = await homeFor(bin, true);
    expect(await moduleIds(bin, home)).toEqual(['hkp', 'keyserversync', 'wkd']);
    const listed = await keyportAsync(['--store', 'gnupg', 'list', '--json'], { home, bin, env: { GNUPGHOME: tempGnupgHome() } });
    expect(listed.status).toBe(0);
    expect((JSON.parse(listed.stdout) as { fingerprint: string }[]).map((k) => k.fingerprint)).toEqual([fpr]);
    expect(listed.stderr).toMatch(/gnupg module is not built into this keyport; using the embedded store/);
    const setting = await keyportAsync(['config', 'get', 'gnupg.homedir'], { home, bin });
    expect(setting.stderr).toContain(ErrorCodes.SettingUnknown);
  }, 60_000);
});
