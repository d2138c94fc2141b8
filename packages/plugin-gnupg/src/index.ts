import { definePlugin, PLUGIN_API_VERSION, z } from '@keyport/core';

export { GnupgKeyStore, gpgKeyServerOrigin, type GnupgStoreOptions } from './store.js';
export { resolveGnupgHome, findGpgProgram, checkGpgVersion, runGpg, MIN_GPG_VERSION, type GnupgLocationOptions, type GpgRun, type GpgRunOptions } from './gpg.js';
export { parseKeyListing, parseSecretListing, unescapeField } from './colons.js';
export { parseImportStatus, IMPORT_PROBLEMS, type ImportStatusLine, type ImportTotals } from './status.js';
export { packetsAdded, addsSomething, certificatesByFingerprint } from './compare.js';
export { JsonFileMetadata } from './metadata.js';

/**
 * GnuPG's keyring as a keyport key store. This module declares its settings; choosing the store
 * (`--store gnupg`) is wired in the CLI separately. Uses only @keyport/core's public API.
 */
export const gnupgPlugin = definePlugin({
  id: 'gnupg',
  name: 'GnuPG key store',
  version: '0.1.0',
  apiVersion: `^${PLUGIN_API_VERSION}`,
  description: 'Work on the keys in a GnuPG home through gpg (list, export, import, delete)',
  enabledByDefault: true,
  declare: () => ({
    settings: [
      { key: 'gnupg.homedir', schema: z.string().min(1).nullable(), default: null, description: 'The GnuPG home when GNUPGHOME is not set (default ~/.gnupg)' },
      { key: 'gnupg.program', schema: z.string().min(1).nullable(), default: null, description: 'The gpg program (default: found through gpgconf --list-components)' },
    ],
  }),
  activate() {},
});

export default gnupgPlugin;
