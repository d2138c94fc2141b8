import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes, createKeyport } from '@keyport/core';
import { keyServerSyncPlugin } from '../src/index.js';

const homes: string[] = [];
const home = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kp-kss-'));
  homes.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of homes.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('keyserversync plugin', () => {
  it('contributes keyserversync.url with its default and validates new values', async () => {
    const kp = await createKeyport({ home: home(), plugins: [keyServerSyncPlugin] });
    expect(kp.modules.info('keyserversync').state).toBe('enabled');
    expect(kp.settings.get('keyserversync.url')).toBe('https://keys.openpgp.org');
    await kp.settings.set('keyserversync.url', 'https://hagrid.example.org');
    await expect(kp.settings.set('keyserversync.url', 'ftp://nope')).rejects.toMatchObject({ code: ErrorCodes.SettingValueInvalid });
    await kp.modules.setEnabled('keyserversync', false);
    // A disabled module's settings stay defined: readable and settable, applied once it is on.
    expect(kp.settings.get('keyserversync.url')).toBe('https://hagrid.example.org');
    expect(kp.modules.settingOwner('keyserversync.url')).toEqual({ id: 'keyserversync', name: 'KeyServerSync', enabled: false });
  });

  it('keeps its settings readable and settable while disabled from the start', async () => {
    const dir = home();
    const kp = await createKeyport({ home: dir, plugins: [keyServerSyncPlugin], modules: '-keyserversync' });
    expect(kp.modules.info('keyserversync').state).toBe('disabled');
    expect(kp.settings.get('keyserversync.autoStatus')).toBe(false);
    await kp.settings.set('keyserversync.autoStatus', true);
    await expect(kp.settings.set('keyserversync.autoStatus', 'yes')).rejects.toMatchObject({ code: ErrorCodes.SettingValueInvalid });
    expect(JSON.parse(readFileSync(path.join(dir, 'settings.json'), 'utf8'))).toMatchObject({ keyserversync: { autoStatus: true } });
    expect(kp.routing.route('status')).toBeUndefined();
    await expect(kp.publishing.status(['x'])).rejects.toMatchObject({ code: ErrorCodes.ModuleRequired, nextStep: 'enable it with `keyport modules enable keyserversync`' });
  });

  it.each([
    ['dotted', { 'network.autoFetchPublishStatus': true, 'network.timeoutMs': 9000 }],
    ['nested', { network: { autoFetchPublishStatus: true, timeoutMs: 9000 } }],
  ])('migrates core\'s old network.autoFetchPublishStatus (%s) to keyserversync.autoStatus', async (_, stored) => {
    const dir = home();
    const file = path.join(dir, 'settings.json');
    writeFileSync(file, JSON.stringify(stored));
    const kp = await createKeyport({ home: dir, plugins: [keyServerSyncPlugin] });
    expect(kp.settings.get('keyserversync.autoStatus')).toBe(true);
    // Moved, not unknown: no warning about the old key.
    expect(kp.settings.warnings.map((w) => w.message).join('\n')).not.toContain('autoFetchPublishStatus');
    expect(kp.settings.has('network.autoFetchPublishStatus')).toBe(false);
    // The next write stores it under the new key and drops the old one; other settings stay.
    await kp.settings.set('keyserversync.url', 'https://hagrid.example.org');
    const written = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(written).toMatchObject({ keyserversync: { autoStatus: true, url: 'https://hagrid.example.org' } });
    expect(JSON.stringify(written)).not.toContain('autoFetchPublishStatus');
    expect(kp.settings.get('network.timeoutMs')).toBe(9000);
  });

  it('a value already stored under the new key wins over the old one', async () => {
    const dir = home();
    writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({ network: { autoFetchPublishStatus: true }, keyserversync: { autoStatus: false } }));
    const kp = await createKeyport({ home: dir, plugins: [keyServerSyncPlugin] });
    expect(kp.settings.get('keyserversync.autoStatus')).toBe(false);
  });

  it('fails to start, named and coded, when its saved setting is invalid, and keyport goes on', async () => {
    const dir = home();
    writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({ keyserversync: { url: 42 } }));
    const kp = await createKeyport({ home: dir, plugins: [keyServerSyncPlugin] });
    const info = kp.modules.info('keyserversync');
    expect(info).toMatchObject({ state: 'failed', error: { code: ErrorCodes.ModuleFailed, pluginId: 'keyserversync' } });
    expect(info.error!.message).toContain('keyserversync.url');
    expect(await kp.keyring.count()).toBe(0);
  });
});
