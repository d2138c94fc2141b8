import { existsSync, promises as fs, statSync } from 'node:fs';
import module from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ErrorCodes, ModuleError } from '../errors.js';
import type { KeyportPlugin } from './api.js';

/** npm package names (scoped or not), as npm validates them for new packages. */
const NPM_NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;

/** Is `specifier` a path (absolute, or relative to the working directory) rather than a package name? */
export function isPathSpecifier(specifier: string): boolean {
  return path.isAbsolute(specifier) || specifier.startsWith('.') || specifier.startsWith('~') || specifier.startsWith('file:');
}

/** The id a plugin is reported under before its module could be read: package or folder name. */
export function provisionalId(specifier: string): string {
  return isPathSpecifier(specifier) ? path.basename(specifier.replace(/[/\\]+$/, '')) : specifier;
}

/**
 * Where a third-party plugin lives: a path as given, or an npm package installed under
 * `pluginsDir/node_modules` (`keyport plugins add NAME` installs it there).
 */
export function pluginLocation(specifier: string, pluginsDir: string): string {
  if (specifier.startsWith('file:')) return new URL(specifier).pathname;
  if (isPathSpecifier(specifier)) return path.resolve(specifier.replace(/^~(?=$|\/)/, process.env.HOME ?? '~'));
  if (!NPM_NAME.test(specifier)) {
    throw new ModuleError(ErrorCodes.PluginNotFound, `"${specifier}" is neither a path nor an npm package name`, {
      pluginId: specifier,
      nextStep: 'name a plugin by its npm package name or by the path of its folder',
    });
  }
  return path.join(pluginsDir, 'node_modules', specifier);
}

/** The module file a plugin folder exposes: `exports` (".", import or default), `main`, index.js. */
async function entryFile(location: string, specifier: string): Promise<string> {
  if (!existsSync(location)) {
    throw new ModuleError(ErrorCodes.PluginNotFound, `plugin "${specifier}" was not found at ${location}`, {
      pluginId: provisionalId(specifier),
      nextStep: isPathSpecifier(specifier) ? 'check the path, or remove it with `keyport plugins remove`' : `install it with \`keyport plugins add ${specifier}\``,
    });
  }
  if (!statSync(location).isDirectory()) return location;
  let pkg: { exports?: unknown; main?: string } = {};
  try {
    pkg = JSON.parse(await fs.readFile(path.join(location, 'package.json'), 'utf8')) as typeof pkg;
  } catch {
    /* no package.json: index.js */
  }
  const pick = (e: unknown): string | undefined => {
    if (typeof e === 'string') return e;
    if (e && typeof e === 'object') {
      const o = e as Record<string, unknown>;
      return pick(o['.'] ?? o.import ?? o.default ?? o.node);
    }
    return undefined;
  };
  return path.join(location, pick(pkg.exports) ?? pkg.main ?? 'index.js');
}

/**
 * Imports a third-party plugin and checks its shape. The plugin is the module's default export
 * (or its `plugin` export). Throws a ModuleError naming the plugin; never activates anything.
 * With `coreModuleUrl`, the plugin's `import '@keyport/core'` gets that module (see
 * {@link provideCoreToPlugins}).
 */
export async function loadPluginModule(specifier: string, pluginsDir: string, options: { coreModuleUrl?: string } = {}): Promise<KeyportPlugin> {
  if (options.coreModuleUrl) provideCoreToPlugins(options.coreModuleUrl);
  const file = await entryFile(pluginLocation(specifier, pluginsDir), specifier);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    throw new ModuleError(ErrorCodes.PluginLoadFailed, `plugin "${specifier}" could not be loaded: ${(e as Error).message?.split('\n')[0] ?? String(e)}`, {
      pluginId: provisionalId(specifier),
      cause: e,
      nextStep: `fix or update the plugin, or remove it with \`keyport plugins remove ${specifier}\``,
    });
  }
  const plugin = (mod.default ?? mod.plugin) as Partial<KeyportPlugin> | undefined;
  if (!plugin || typeof plugin !== 'object' || typeof plugin.id !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(plugin.id) || typeof plugin.activate !== 'function') {
    throw new ModuleError(ErrorCodes.PluginLoadFailed, `"${specifier}" does not export a keyport plugin (a default export with a kebab-case id and activate())`, {
      pluginId: provisionalId(specifier),
      nextStep: 'see docs/plugins.md for the shape of a plugin',
    });
  }
  return { name: plugin.id, version: '0.0.0', description: '', apiVersion: '', ...plugin } as KeyportPlugin;
}

let coreHookInstalled = false;

/**
 * Makes `import '@keyport/core'` inside third-party plugins resolve to the running keyport's
 * own core module, as VS Code provides `vscode` to extensions: one copy of core, so errors,
 * tokens and schemas a plugin uses are the host's. Needs Node's module.register (>= 20.6);
 * without it plugins resolve core from their own dependencies.
 */
export function provideCoreToPlugins(coreModuleUrl: string): void {
  if (coreHookInstalled) return;
  const register = (module as { register?: (specifier: string, options?: { data?: unknown }) => void }).register;
  if (typeof register !== 'function') return;
  const hooks = `
let core;
export async function initialize(data) { core = data.core; }
export async function resolve(specifier, context, next) {
  if (specifier === '@keyport/core') return { url: core, shortCircuit: true };
  return next(specifier, context);
}`;
  register(`data:text/javascript,${encodeURIComponent(hooks)}`, { data: { core: coreModuleUrl } });
  coreHookInstalled = true;
}
