import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, createKeyport } from '@keyport/core';
import { keyServerSyncPlugin } from '../src/index.js';

const home = () => mkdtempSync(path.join(os.tmpdir(), 'kp-kss-'));

describe('keyserversync plugin', () => {
  it('contributes keyserversync.url with its default and validates new values', async () => {
    const kp = await createKeyport({ home: home(), plugins: [keyServerSyncPlugin] });
    expect(kp.modules.info('keyserversync').state).toBe('enabled');
    expect(kp.settings.get('keyserversync.url')).toBe('https://keys.openpgp.org');
    await kp.settings.set('keyserversync.url', 'https://hagrid.example.org');
    await expect(kp.settings.set('keyserversync.url', 'ftp://nope')).rejects.toMatchObject({ code: ErrorCodes.SettingValueInvalid });
    await kp.modules.setEnabled('keyserversync', false);
    expect(kp.settings.has('keyserversync.url')).toBe(false);
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
