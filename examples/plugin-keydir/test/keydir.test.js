import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, createKeyport } from '@keyport/core';
import { fixturePath, manifest } from '@keyport/test-fixtures';
import { runProtocolEngineContract } from '@keyport/test-fixtures/contract';
import keydirPlugin, { createKeydirEngine } from '../index.js';

const tmp = (prefix) => mkdtempSync(path.join(os.tmpdir(), prefix));

runProtocolEngineContract({
  name: 'keydir',
  verbs: ['search', 'lookup', 'probe'],
  engine: () => createKeydirEngine(),
  startServer: async (armoredKeys) => {
    const folder = tmp('keydir-');
    armoredKeys.forEach((key, i) => writeFileSync(path.join(folder, `${i}.asc`), key));
    return { url: `keydir://${folder}`, stop: async () => rmSync(folder, { recursive: true }) };
  },
  foreignUrl: 'https://keys.example.org',
  unreachable: (live) => new URL(`${live.href}-missing`),
});

describe('keydir inside keyport', () => {
  it('is used for search and import, and disabling it removes everything it registered', async () => {
    const folder = tmp('keydir-');
    writeFileSync(path.join(folder, 'rita.asc'), readFileSync(fixturePath(manifest.rsa4096.file)));
    const kp = await createKeyport({ home: tmp('keydir-home-'), plugins: [keydirPlugin], env: {} });
    try {
      const server = `keydir://${folder}`;
      const baseline = { listeners: kp.bus.listenerCount('keyring:changed'), engines: kp.engines.size };
      expect(kp.modules.info('keydir').state).toBe('enabled');
      expect(kp.settings.get('keydir.maxFiles')).toBe(10_000);

      const { hits } = await kp.keyservers.search('rita@example.org', server);
      expect(hits.map((h) => h.fingerprint)).toEqual([manifest.rsa4096.fingerprint]);
      const report = await kp.keyservers.importFromServer([manifest.rsa4096.fingerprint], server);
      expect(report.results).toMatchObject([{ status: 'new' }]);
      expect(kp.ui.statusItems()).toEqual([{ id: 'keydir-changes', label: 'keyring changes seen', value: '1', pluginId: 'keydir' }]);

      await kp.modules.setEnabled('keydir', false);
      expect(kp.engines.all().map((e) => e.id)).not.toContain('keydir');
      expect(kp.engines.size).toBe(baseline.engines - 1);
      expect(kp.bus.listenerCount('keyring:changed')).toBe(baseline.listeners - 1);
      // Its setting stays defined while it is off (config get/set keep working).
      expect(kp.modules.settingOwner('keydir.maxFiles')).toEqual({ id: 'keydir', name: 'Key folder', enabled: false });
      expect(kp.ui.statusItems()).toEqual([]);
      await expect(kp.keyservers.search('rita@example.org', server)).rejects.toMatchObject({ code: ErrorCodes.KeyserverUrlInvalid });

      await kp.modules.setEnabled('keydir', true);
      expect((await kp.keyservers.search('rita@example.org', server)).hits).toHaveLength(1);
    } finally {
      await kp.dispose();
    }
  });
});
