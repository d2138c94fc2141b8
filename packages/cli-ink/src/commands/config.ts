import { describeSetting } from '@keyport/core';
import { formatSettingRow } from '../output.js';
import type { CommandContext } from './context.js';

/** `keyport` commands: read and change settings. */
export function registerConfig({ program, globals, open, out, json }: CommandContext): void {
  const config = program.command('config').description('read and change settings');
  config
    .command('get')
    .argument('<key>', 'setting key, e.g. network.timeoutMs')
    .action(async (key: string) => {
      const kp = await open();
      if (!kp.settings.has(key)) kp.settings.get(key);
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
        .map((d) => ({ key: d.key, value: kp.settings.get(d.key), default: d.default, owner: d.owner, description: d.description, ...describeSetting(d) }));
      if (globals().json) json(rows);
      else out(rows.flatMap(formatSettingRow));
    });
}
