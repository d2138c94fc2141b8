import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '@keyport/core';
import {
  fixtureArmored,
  fixturePath,
  manifest,
  startHagridFixture,
  startHkpFixture,
  startWkdFixture,
  type RunningHagridFixture,
  type RunningHkpFixture,
  type RunningWkdFixture,
} from '@keyport/test-fixtures';
import { keyportAsync as keyport, homeWith } from './helpers.js';

let hkp: RunningHkpFixture;
let hagrid: RunningHagridFixture;
let wkd: RunningWkdFixture;
beforeAll(async () => {
  hkp = await startHkpFixture({ dialect: 'sks', keys: [fixtureArmored('ed25519')] });
  hagrid = await startHagridFixture();
  wkd = await startWkdFixture({ 'example.org': { method: 'advanced', keys: { rita: [fixtureArmored('rsa4096')] } } });
});
afterAll(async () => {
  await hkp.stop();
  await hagrid.stop();
  await wkd.stop();
});

/** One feature per built-in plugin, plus what core does alone; each says whether it worked. */
const features: Record<string, (home: string, env: NodeJS.ProcessEnv, modules: string[]) => Promise<{ status: number; stderr: string }>> = {
  core: async (home, env, modules) => {
    const imported = await keyport([...modules, 'import', '--file', fixturePath(manifest['to-revoke'].file)], { home, env });
    if (imported.status !== 0) return imported;
    return keyport([...modules, 'export', manifest['to-revoke'].fingerprint], { home, env });
  },
  hkp: (home, env, modules) => keyport([...modules, 'import', '--server', hkp.url, manifest.ed25519.fingerprint], { home, env }),
  keyserversync: (home, env, modules) => keyport([...modules, 'status', manifest['to-revoke'].fingerprint], { home, env }),
  wkd: (home, env, modules) => keyport([...modules, 'import', '--source', 'wkd', 'rita@example.org'], { home, env }),
};

describe('disabling each built-in plugin in turn leaves every other feature working', () => {
  for (const disabled of ['hkp', 'keyserversync', 'wkd']) {
    it(`without ${disabled}`, async () => {
      const env = { NODE_EXTRA_CA_CERTS: wkd.pki.caFile };
      const home = await homeWith(
        [
          ['config', 'set', 'keyserversync.url', hagrid.url],
          ['config', 'set', 'wkd.connectTo', JSON.stringify(wkd.connectTo)],
          ['servers', 'add', hkp.url],
          ['servers', 'default', hkp.url],
        ],
        env,
      );
      const modules = ['--modules', `-${disabled}`];
      for (const [feature, run] of Object.entries(features)) {
        const asked = hkp.requests.length;
        const r = await run(home, env, modules);
        if (feature === disabled) {
          // Unavailable: refused with a code (no module for it). The HKP server stays an HKP
          // server: it is refused with the command that enables HKP, never asked in VKS.
          expect(r.status, `${feature} should be unavailable`).not.toBe(0);
          expect(r.stderr).toMatch(new RegExp(`${ErrorCodes.ModuleRequired}|${ErrorCodes.Usage}`));
          if (feature === 'hkp') {
            expect(r.stderr).toContain('`keyport modules enable hkp`');
            expect(hkp.requests.length).toBe(asked);
          }
        } else {
          expect({ feature, status: r.status, stderr: r.stderr }).toEqual({ feature, status: 0, stderr: '' });
        }
      }
    });
  }
});
