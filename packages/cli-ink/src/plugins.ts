import type { KeyportPlugin } from '@keyport/core';
import { hkpPlugin } from '@keyport/plugin-hkp';
import { keyServerSyncPlugin } from '@keyport/plugin-keyserversync';

/** The plugins that ship with keyport. The CLI is the only place that knows them. */
export const builtinPlugins: KeyportPlugin[] = [hkpPlugin, keyServerSyncPlugin];
