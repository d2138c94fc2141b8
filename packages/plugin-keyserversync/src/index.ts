import { definePlugin, PLUGIN_API_VERSION, z } from '@keyport/core';
import { VksEngine } from './vks-engine.js';

export { VksEngine } from './vks-engine.js';

/**
 * KeyServerSync: publish, sync and publish status through VKS (keys.openpgp.org or any Hagrid).
 * It contributes the VKS engine; the routing policy and the publish / verify / sync / status
 * commands are still to come (issue 4).
 */
export const keyServerSyncPlugin = definePlugin({
  id: 'keyserversync',
  name: 'KeyServerSync',
  version: '0.2.0',
  apiVersion: `^${PLUGIN_API_VERSION}`,
  description: 'Publish with email verification, sync and publish status over VKS (keys.openpgp.org)',
  enabledByDefault: true,
  declare: () => ({
    settings: [
      {
        key: 'keyserversync.url',
        schema: z.string().url().refine((u) => u.startsWith('https://') || u.startsWith('http://'), 'must be an http(s) URL'),
        default: 'https://keys.openpgp.org',
        description: 'VKS server that publish, sync and publish status use while this module is enabled',
      },
    ],
  }),
  activate(ctx) {
    ctx.subscriptions.push(ctx.registerEngine(new VksEngine(ctx.http)));
  },
});

export default keyServerSyncPlugin;
