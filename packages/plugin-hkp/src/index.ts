import { definePlugin, PLUGIN_API_VERSION } from '@keyport/core';

/**
 * HKP key servers (SKS, Hockeypuck, Hagrid's HKP subset). The engine (search, get, /pks/add,
 * probe) arrives with its own issue; until then the module only takes part in the lifecycle.
 */
export const hkpPlugin = definePlugin({
  id: 'hkp',
  name: 'HKP key servers',
  version: '0.1.0',
  apiVersion: `^${PLUGIN_API_VERSION}`,
  description: 'Search, import, publish and probe over HKP (SKS, Hockeypuck, Hagrid)',
  enabledByDefault: true,
  activate() {
    /* engine registration lands with the HKP issue */
  },
});

export default hkpPlugin;
