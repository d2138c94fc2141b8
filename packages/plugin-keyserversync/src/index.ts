import { definePlugin, PLUGIN_API_VERSION, z } from '@keyport/core';
import { VksEngine } from './vks-engine.js';

export { VksEngine } from './vks-engine.js';

/**
 * KeyServerSync: publish, sync and publish status through VKS (keys.openpgp.org or any Hagrid).
 * It contributes the VKS engine and the routing policy that sends publish, sync and publish
 * status to `keyserversync.url` (default https://keys.openpgp.org).
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
      {
        key: 'keyserversync.autoStatus',
        schema: z.boolean(),
        default: false,
        description: 'Fetch the publish status from the VKS server whenever key details are shown',
      },
    ],
    // The setting was core's before KeyServerSync owned its features (ADR 0009).
    renamedSettings: { 'network.autoFetchPublishStatus': 'keyserversync.autoStatus' },
    protocols: [{ id: 'vks', label: 'VKS' }],
    routes: ['publish', 'sync', 'status'],
  }),
  activate(ctx) {
    ctx.registerEngine(new VksEngine(ctx.http, () => ctx.setting<number>('network.maxRawResponseBytes')));
    // While enabled, publish, sync and publish status go to VKS; search and import keep using
    // the default server. Disabling the module sends them back to the default server over HKP.
    ctx.registerRoutingPolicy({
      id: 'keyserversync',
      route: () => ({
        server: new URL(ctx.setting<string>('keyserversync.url')),
        engineId: 'vks',
        reason: 'KeyServerSync sends publish, sync and publish status to its VKS server',
      }),
    });
    ctx.contributeStatusItem({ id: 'keyserversync-target', label: 'VKS', value: () => ctx.setting<string>('keyserversync.url') });
  },
});

export default keyServerSyncPlugin;
