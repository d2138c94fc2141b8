import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fixtureArmored, fixturePath, manifest } from './index.js';
import { startHagridFixture, type RunningHagridFixture } from './hagrid-fixture.js';
import { startHkpFixture, type RunningHkpFixture } from './hkp-fixture.js';
import { startWkdFixture, type RunningWkdFixture } from './wkd-fixture.js';

export interface RunningDemo {
  /** A throwaway keyport home whose settings point at the fixture servers. */
  home: string;
  /** Environment to run keyport with (trusts the WKD fixture's CA). */
  env: Record<string, string>;
  /** Key files to import into the home (your own secret key and a few public keys). */
  keyFiles: string[];
  hkp: RunningHkpFixture;
  hagrid: RunningHagridFixture;
  wkd: RunningWkdFixture;
  stop(): Promise<void>;
}

/**
 * Everything keyport needs to be tried offline: an SKS-like HKP server loaded with sample keys
 * (the default server), a Hagrid-like VKS server for KeyServerSync that "clicks" every
 * verification link it mails after `autoVerifyMs`, and a WKD over TLS for example.org. Used by
 * `pnpm demo` and by the terminal-UI end-to-end test.
 */
export async function startDemo(options: { autoVerifyMs?: number } = {}): Promise<RunningDemo> {
  const hkp = await startHkpFixture({ dialect: 'sks', keys: (['rsa4096', 'ed25519', 'expired', 'revoked', 'pair-new', 'revoked-uid'] as const).map(fixtureArmored) });
  const hagrid = await startHagridFixture();
  const wkd = await startWkdFixture({ 'example.org': { method: 'advanced', policy: '', keys: { rita: [fixtureArmored('rsa4096')], eddie: [fixtureArmored('ed25519')] } } });
  const home = mkdtempSync(path.join(os.tmpdir(), 'keyport-demo-'));
  writeFileSync(
    path.join(home, 'settings.json'),
    JSON.stringify(
      {
        keyservers: { list: [hkp.url, 'https://keyserver.ubuntu.com', 'https://keys.openpgp.org'], default: hkp.url },
        keyserversync: { url: hagrid.url },
        wkd: { connectTo: wkd.connectTo },
      },
      null,
      2,
    ),
  );
  const keyFiles = [manifest.secret.secretFile!, manifest['to-revoke'].file, manifest['pair-old'].file].map((f) => {
    const target = path.join(home, path.basename(f));
    copyFileSync(fixturePath(f), target);
    return target;
  });
  let clicked = 0;
  const timer =
    options.autoVerifyMs !== undefined
      ? setInterval(() => {
          for (const address of hagrid.mails.slice(clicked)) setTimeout(() => hagrid.clickVerification(address), options.autoVerifyMs);
          clicked = hagrid.mails.length;
        }, 200)
      : undefined;
  return {
    home,
    env: { NODE_EXTRA_CA_CERTS: wkd.pki.caFile },
    keyFiles,
    hkp,
    hagrid,
    wkd,
    stop: async () => {
      if (timer) clearInterval(timer);
      await Promise.all([hkp.stop(), hagrid.stop(), wkd.stop()]);
      rmSync(home, { recursive: true, force: true });
    },
  };
}
