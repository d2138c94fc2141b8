import { definePlugin, PLUGIN_API_VERSION, z } from '@keyport/core';

/**
 * KeyServerSync: publish, sync and publish status through VKS (keys.openpgp.org or any Hagrid).
 * Its engine and routing policy arrive with their own issue; the module already owns its
 * settings so they validate and show up in `keyport config list`.
 */
export const keyServerSyncPlugin = definePlugin({
  id: 'keyserversync',
  name: 'KeyServerSync',
  version: '0.1.0',
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
  activate() {
    /* engine and routing policy land with the KeyServerSync issue */
  },
});

export default keyServerSyncPlugin;
