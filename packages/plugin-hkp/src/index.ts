import { definePlugin, PLUGIN_API_VERSION } from '@keyport/core';
import { HkpEngine } from './engine.js';

export { HkpEngine, hkpBase, formEncode, searchParams } from './engine.js';
export { parseMachineIndex, decodeUid, type IndexKey } from './mr-index.js';

/** HKP key servers (SKS, Hockeypuck, Hagrid's HKP subset): search, get, /pks/add and probe. */
export const hkpPlugin = definePlugin({
  id: 'hkp',
  name: 'HKP key servers',
  version: '0.2.0',
  apiVersion: `^${PLUGIN_API_VERSION}`,
  description: 'Search, import, publish and probe over HKP (SKS, Hockeypuck, Hagrid)',
  enabledByDefault: true,
  declare: () => ({ protocols: [{ id: 'hkp', label: 'HKP' }] }),
  activate(ctx) {
    ctx.registerEngine(new HkpEngine(ctx.http, () => ctx.setting<number>('network.maxRawResponseBytes')));
    // HKP servers publish whatever they are sent, forever, and verify nothing.
    ctx.contributeConfirmation({
      id: 'hkp-publish',
      operation: 'publish',
      message: ({ server, engineId }) =>
        engineId === 'hkp' ? `${server} is an HKP server: publication there has no email verification and cannot be undone` : undefined,
    });
  },
});

export default hkpPlugin;
