import { existsSync } from 'node:fs';
import { ErrorCodes, InputError, isPathSpecifier, loadPluginModule, pluginDigest, pluginLocation, pluginsDir, recordPlugin, type PluginRecord } from '@keyport/core';
import { Exit, formatModuleLines } from '../output.js';
import { PLUGIN_RIGHTS_WARNING, coreModuleUrl, installPackage } from '../plugins.js';
import type { CommandContext } from './context.js';

/** `keyport` commands: add, remove and list third-party plugins. */
export function registerPlugins({ program, io, globals, open, out, warn, json, setExit }: CommandContext): void {
  const plugins = program.command('plugins').description('add, remove and list third-party plugins');
  plugins
    .command('list')
    .description('third-party plugins named in settings, with their state')
    .action(async () => {
      const kp = await open();
      const rows = kp.settings.get<string[]>('plugins').map((specifier) => {
        const m = kp.modules.list().find((x) => typeof x.origin === 'object' && x.origin.specifier === specifier);
        return { specifier, id: m?.id ?? null, version: m?.version ?? null, state: m?.state ?? 'failed', error: m?.error ? m.error.toJSON() : null };
      });
      if (globals().json) json(rows);
      else {
        out(
          rows.length === 0
            ? 'no third-party plugins (add one with `keyport plugins add PATH|NAME`)'
            : rows.flatMap((r) => formatModuleLines({ state: r.state, id: r.id ?? '?', version: r.version ?? '' }, r.specifier, r.error ? [`${r.error.code} ${String(r.error.message)}`] : [])),
        );
      }
    });
  plugins
    .command('add')
    .description('add a plugin by folder path or npm package name (installed under the plugins folder)')
    .argument('<plugin>', 'a path, or an npm package name')
    .option('--no-install', 'do not run npm install for a package name that is not installed yet')
    .action(async (raw: string, opts: { install: boolean }) => {
      const kp = await open();
      const dir = pluginsDir(kp.paths);
      const specifier = isPathSpecifier(raw) ? pluginLocation(raw, dir) : raw;
      const records = kp.settings.get<Record<string, PluginRecord>>('pluginRecords');
      const record = Object.hasOwn(records, specifier) ? records[specifier] : undefined;
      if (kp.settings.get<string[]>('plugins').includes(specifier) && record) {
        // Added before and unchanged: nothing to do. Changed since: adding it again accepts the change.
        const now = await pluginDigest(specifier, dir).catch(() => null);
        if (now?.sha256 === record.sha256) throw new InputError(ErrorCodes.Usage, `${specifier} is already added`, { nextStep: 'see `keyport plugins list`' });
      }
      // Said before its code first runs: loading it below runs its top-level code.
      if (!globals().json) warn(PLUGIN_RIGHTS_WARNING);
      if (!isPathSpecifier(specifier) && opts.install && !existsSync(pluginLocation(specifier, dir))) {
        await installPackage(specifier, dir, io);
      }
      // Load it before saving: a plugin that cannot load is refused here, with the reason.
      const plugin = await loadPluginModule(specifier, dir, { coreModuleUrl: coreModuleUrl() });
      const info = await kp.modules.add(plugin, { specifier });
      if (info.error?.code === ErrorCodes.ModuleDuplicate || info.error?.code === ErrorCodes.ModuleIncompatible) throw info.error;
      // The record first: a plugin named in `plugins` without one is never loaded.
      await kp.settings.set('pluginRecords', { ...records, [specifier]: await recordPlugin(specifier, dir, plugin) });
      const named = kp.settings.get<string[]>('plugins');
      if (!named.includes(specifier)) await kp.settings.set('plugins', [...named, specifier]);
      if (globals().json) {
        json({ specifier, id: info.id, version: info.version, state: info.state, error: info.error ? info.error.toJSON() : null, runsWithUserRights: true, warning: PLUGIN_RIGHTS_WARNING });
      } else out(`added ${info.id} ${info.version} from ${specifier}: ${info.state}${info.error ? ` (${info.error.code} ${info.error.message})` : ''}`);
      if (info.state === 'failed') setExit(Exit.Failed);
    });
  plugins
    .command('remove')
    .description('remove a plugin (by id, path or package name); installed files are left in place')
    .argument('<plugin>', 'id, path or package name')
    .action(async (raw: string) => {
      const kp = await open();
      const list = kp.settings.get<string[]>('plugins');
      const byId = kp.modules.list().find((m) => m.id === raw && typeof m.origin === 'object');
      const wanted = byId && typeof byId.origin === 'object' ? byId.origin.specifier : isPathSpecifier(raw) ? pluginLocation(raw, pluginsDir(kp.paths)) : raw;
      if (!list.includes(wanted)) {
        throw new InputError(ErrorCodes.ModuleUnknown, `no third-party plugin "${raw}"`, { nextStep: 'see `keyport plugins list`' });
      }
      await kp.settings.set('plugins', list.filter((p) => p !== wanted));
      const records = { ...kp.settings.get<Record<string, PluginRecord>>('pluginRecords') };
      if (Object.hasOwn(records, wanted)) {
        delete records[wanted];
        await kp.settings.set('pluginRecords', records);
      }
      if (globals().json) json({ removed: wanted });
      else out(`removed ${wanted}`);
    });
}
