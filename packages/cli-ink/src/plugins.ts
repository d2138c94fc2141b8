import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { ErrorCodes, ModuleError, type KeyportPlugin } from '@keyport/core';
import hkpPlugin from '@keyport/plugin-hkp';
import keyServerSyncPlugin from '@keyport/plugin-keyserversync';
import wkdPlugin from '@keyport/plugin-wkd';
import gnupgPlugin from '@keyport/plugin-gnupg';
import { printLines } from './output.js';

/**
 * The plugins that ship with keyport. The CLI is the only place that knows them. A bundle built
 * with KEYPORT_LEAVE_OUT (scripts/bundle.mjs) has some of them as undefined.
 */
export const builtinPlugins: KeyportPlugin[] = [hkpPlugin, keyServerSyncPlugin, wkdPlugin, gnupgPlugin].filter((p): p is KeyportPlugin => p !== undefined);

/**
 * The CLI's own choices for core's settings: the key servers a new user starts with. They are
 * the application's, not core's, which names no particular server's protocol.
 */
export const cliSettingDefaults: Record<string, unknown> = {
  'keyservers.list': ['https://keyserver.ubuntu.com', 'https://keys.openpgp.org'],
};

/** What `plugins add` tells the user before a plugin's code first runs. */
export const PLUGIN_RIGHTS_WARNING =
  'a plugin runs with your rights: it can read and change your keyring, your files and your settings, and use the network. Add only plugins you trust.';

/** Set by the bundler (scripts/bundle.mjs); absent when running the unbundled build. */
declare const KEYPORT_BUNDLE: boolean | undefined;

/**
 * The module third-party plugins get for `import '@keyport/core'`: the running keyport's own
 * core. In the bundle that is the `core.js` entry next to this chunk (it shares its modules with
 * the CLI); unbundled, the installed @keyport/core package.
 */
export function coreModuleUrl(): string {
  return typeof KEYPORT_BUNDLE !== 'undefined' ? new URL('./core.js', import.meta.url).href : import.meta.resolve('@keyport/core');
}

/** `npm install` of a plugin package into the plugins folder (its own node_modules). */
export async function installPackage(name: string, dir: string, io: { stderr: NodeJS.WritableStream }): Promise<void> {
  mkdirSync(dir, { recursive: true });
  printLines(io.stderr, `keyport: installing ${name} into ${dir}`);
  const code = await new Promise<number>((resolve) => {
    const child = spawn('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', '--omit=dev', name], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', () => resolve(127));
    child.on('exit', (c) => resolve(c ?? 1));
  });
  if (code !== 0) {
    throw new ModuleError(ErrorCodes.PluginNotFound, `npm could not install ${name} (exit ${code})`, {
      pluginId: name,
      nextStep: 'check the package name and the network, or install it yourself and add it by path',
    });
  }
}
