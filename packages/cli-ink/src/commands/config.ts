import { ErrorCodes, InputError, describeSetting, type Keyport } from '@keyport/core';
import { formatSettingRow } from '../output.js';
import type { CommandContext } from './context.js';

/**
 * A disabled module's settings stay readable and settable; say that they apply only once it is
 * on. A disabled third-party plugin's code is not loaded, so its settings are not known yet.
 */
function checkModuleOf(kp: Keyport, key: string, warn: (text: string) => void): void {
  const owner = kp.modules.settingOwner(key);
  if (owner && !owner.enabled) warn(`"${key}" belongs to the ${owner.name} module, which is off: it applies once you enable it (\`keyport modules enable ${owner.id}\`)`);
  if (!owner && !kp.settings.has(key)) {
    const module = kp.modules.list().find((m) => key.startsWith(`${m.id}.`) && m.state !== 'enabled');
    if (module) {
      throw new InputError(ErrorCodes.SettingUnknown, `"${key}" would belong to the ${module.id} module, which is ${module.state}: its settings are known only while its code is loaded`, {
        nextStep: `enable it with \`keyport modules enable ${module.id}\`, then run this again`,
      });
    }
  }
}

/** `keyport` commands: read and change settings. */
export function registerConfig({ program, globals, open, out, warn, json }: CommandContext): void {
  const config = program.command('config').description('read and change settings');
  config
    .command('get')
    .argument('<key>', 'setting key, e.g. network.timeoutMs')
    .action(async (key: string) => {
      const kp = await open();
      checkModuleOf(kp, key, warn);
      const value = kp.settings.get(key);
      if (globals().json) json({ key, value });
      else out(typeof value === 'string' ? value : JSON.stringify(value));
    });
  config
    .command('set')
    .argument('<key>', 'setting key')
    .argument('<value>', 'new value (JSON, or a plain string)')
    .action(async (key: string, raw: string) => {
      const kp = await open();
      let value: unknown = raw;
      try {
        value = JSON.parse(raw);
      } catch {
        /* a plain string */
      }
      checkModuleOf(kp, key, warn);
      await kp.settings.set(key, value);
      if (globals().json) json({ key, value: kp.settings.get(key) });
      else out(`${key} = ${JSON.stringify(kp.settings.get(key))}`);
    });
  config
    .command('list')
    .description('every setting with its value and description')
    .action(async () => {
      const kp = await open();
      const rows = kp.settings
        .list()
        .filter((d) => !d.internal)
        .map((d) => ({ key: d.key, value: kp.settings.get(d.key), default: d.default, owner: d.owner, description: d.description, ...describeSetting(d), ...offNote(kp, d.key) }));
      if (globals().json) json(rows);
      else out(rows.flatMap((r) => formatSettingRow({ ...r, description: r.moduleOff ? `${r.description} [the ${r.moduleOff} module is off]` : r.description })));
    });
}

/** `moduleOff` (the module's name) on rows of a disabled module's settings. */
function offNote(kp: Keyport, key: string): { moduleOff?: string } {
  const owner = kp.modules.settingOwner(key);
  return owner && !owner.enabled ? { moduleOff: owner.name } : {};
}
