import { createHash } from 'node:crypto';
import { existsSync, promises as fs, statSync } from 'node:fs';
import module from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ErrorCodes, ModuleError } from '../errors.js';
import type { KeyportPlugin } from './api.js';
import type { ModuleRegistry } from './registry.js';

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
  // file:///abs is a URL; file:./x and file:x are paths relative to the working directory, as
  // npm reads them (new URL would resolve them against the root: file:./x -> /x).
  if (specifier.startsWith('file://')) return fileURLToPath(specifier);
  const bare = specifier.replace(/^file:/, '');
  if (isPathSpecifier(specifier)) return path.resolve(bare.replace(/^~(?=$|\/)/, process.env.HOME ?? '~'));
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

/**
 * What `keyport plugins add` recorded about a third-party plugin, stored under `pluginRecords`
 * by specifier. Only plugins with a record that still matches their files are ever imported, and
 * the id and default state let a disabled plugin be listed without importing it.
 */
export interface PluginRecord {
  id: string;
  version: string;
  /** The resolved folder or file the plugin was added from. */
  location: string;
  /** SHA-256 over the plugin's package.json (if any) and its entry file, as they were when added. */
  sha256: string;
  enabledByDefault: boolean;
  addedAt: string;
}

/**
 * Where a plugin is and a digest of what would be imported: package.json and the entry file.
 * It detects a plugin replaced or edited after it was added; files the entry imports in turn are
 * not covered.
 */
export async function pluginDigest(specifier: string, pluginsDir: string): Promise<{ location: string; sha256: string }> {
  const location = pluginLocation(specifier, pluginsDir);
  const entry = await entryFile(location, specifier);
  const hash = createHash('sha256');
  const manifest = path.join(location, 'package.json');
  if (entry !== location && existsSync(manifest)) hash.update(await fs.readFile(manifest));
  hash.update('\0');
  try {
    hash.update(await fs.readFile(entry));
  } catch (e) {
    throw new ModuleError(ErrorCodes.PluginNotFound, `plugin "${specifier}" has no entry file ${entry}`, {
      pluginId: provisionalId(specifier),
      cause: e,
      nextStep: `fix the plugin, or remove it with \`keyport plugins remove ${specifier}\``,
    });
  }
  return { location, sha256: hash.digest('hex') };
}

/** The record `keyport plugins add` stores for a plugin it has just loaded. */
export async function recordPlugin(specifier: string, pluginsDir: string, plugin: KeyportPlugin): Promise<PluginRecord> {
  const { location, sha256 } = await pluginDigest(specifier, pluginsDir);
  return { id: plugin.id, version: plugin.version, location, sha256, enabledByDefault: plugin.enabledByDefault ?? true, addedAt: new Date().toISOString() };
}

function notAdded(specifier: string, id: string, why: string): ModuleError {
  return new ModuleError(ErrorCodes.PluginNotAdded, `plugin ${specifier} ${why}; it was not loaded`, {
    pluginId: id,
    nextStep: `if you trust it, add it with \`keyport plugins add ${specifier}\` (or remove it with \`keyport plugins remove ${specifier}\`)`,
  });
}

/**
 * Imports a recorded plugin after checking that its files are still the ones that were added
 * and that it still has the recorded id.
 */
export async function loadRecordedPlugin(specifier: string, record: PluginRecord, pluginsDir: string, options: { coreModuleUrl?: string } = {}): Promise<KeyportPlugin> {
  const { sha256 } = await pluginDigest(specifier, pluginsDir);
  if (sha256 !== record.sha256) throw notAdded(specifier, record.id, 'changed since it was added');
  const plugin = await loadPluginModule(specifier, pluginsDir, options);
  if (plugin.id !== record.id) throw notAdded(specifier, record.id, `now calls itself "${plugin.id}", not "${record.id}"`);
  return plugin;
}

/**
 * Registers the third-party plugins named in settings. Only recorded ones are registered, and
 * their modules are imported only when they are to be enabled: a disabled plugin's code never
 * runs. A plugin named without a record is reported (with the command that adds it) and skipped.
 * Never throws for plugin faults.
 */
export async function loadThirdPartyPlugins(
  specifiers: string[],
  records: Record<string, PluginRecord>,
  pluginsDir: string,
  modules: ModuleRegistry,
  options: { coreModuleUrl?: string } = {},
): Promise<void> {
  for (const specifier of new Set(specifiers)) {
    const record = Object.hasOwn(records, specifier) ? records[specifier] : undefined;
    if (!record) {
      modules.recordLoadFailure(provisionalId(specifier), specifier, notAdded(specifier, provisionalId(specifier), 'is named in settings but was not added with `keyport plugins add`'));
      continue;
    }
    await modules.addDeferred(record, { specifier }, () => loadRecordedPlugin(specifier, record, pluginsDir, options));
  }
}
