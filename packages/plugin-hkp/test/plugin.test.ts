import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createKeyport } from '@keyport/core';
import { hkpPlugin } from '../src/index.js';

describe('hkp plugin', () => {
  it('loads through the plugin contract, enabled by default, and can be disabled', async () => {
    const kp = await createKeyport({ home: mkdtempSync(path.join(os.tmpdir(), 'kp-hkp-')), plugins: [hkpPlugin] });
    expect(kp.modules.info('hkp')).toMatchObject({ state: 'enabled', source: 'default', version: hkpPlugin.version });
    await kp.modules.setEnabled('hkp', false);
    expect(kp.modules.info('hkp').state).toBe('disabled');
    await kp.dispose();
  });
});
