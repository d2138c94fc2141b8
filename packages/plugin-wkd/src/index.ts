import { definePlugin, PLUGIN_API_VERSION, z, type KeySourceRecord } from '@keyport/core';
import { WkdClient } from './client.js';

export { WkdClient, wkdLocations, selectForAddress, type WkdAnswer, type WkdLocations } from './client.js';
export { parsePolicy, type WkdPolicy } from './policy.js';
export { wkdHash, zbase32 } from './zbase32.js';

/**
 * The Web Key Directory: keys published by the domain of an email address, over HTTPS. A key
 * source, so it answers email queries in `search` and `import` next to the key server, and
 * `sync` refreshes the keys it brought from it. Uses only @keyport/core's public API.
 */
export const wkdPlugin = definePlugin({
  id: 'wkd',
  name: 'Web Key Directory',
  version: '0.1.0',
  apiVersion: `^${PLUGIN_API_VERSION}`,
  description: 'Look keys up by email address in the domain\'s Web Key Directory (advanced, then direct method)',
  enabledByDefault: true,
  declare: () => ({
    settings: [
      {
        key: 'wkd.connectTo',
        schema: z.record(z.string().regex(/^[a-z0-9.-]+$/i, 'a host name'), z.string().regex(/^(\[[0-9a-f:]+\]|[a-z0-9.-]+):\d{1,5}$/i, 'address:port')),
        default: {},
        description: 'Connect to address:port instead of resolving a host name (TLS still checks the name): for test servers and pinning',
      },
    ],
  }),
  activate(ctx) {
    const client = new WkdClient(ctx.http, () => ctx.setting<Record<string, string>>('wkd.connectTo'));
    ctx.registerKeySource({
      id: 'wkd',
      label: 'Web Key Directory',
      handles: (query) => query.kind === 'email',
      search: (query, options) => client.search(query.value, options?.signal),
      lookup: async (query, options) => {
        const found = await client.lookup(query.value, options?.signal);
        return found ? { bytes: found.bytes, url: found.url } : null;
      },
    });
    ctx.contributeKeyDetails((key) => {
      const from = key.meta['source:wkd'] as KeySourceRecord | undefined;
      return from ? [{ label: 'WKD', value: `${from.query} (${from.url.startsWith('https://openpgpkey.') ? 'advanced' : 'direct'} method, ${from.at.slice(0, 10)})` }] : [];
    });
  },
});

export default wkdPlugin;
