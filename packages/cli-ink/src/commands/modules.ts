import { Exit, formatModuleLines } from '../output.js';
import type { CommandContext } from './context.js';

/** `keyport` commands: list, enable and disable modules. */
export function registerModules({ program, globals, open, out, json, setExit }: CommandContext): void {
  const modules = program.command('modules').description('list, enable and disable modules (plugins)');
  modules
    .command('list')
    .description('list modules and their state')
    .action(async () => {
      const kp = await open();
      const status = kp.ui.statusItems();
      const list = kp.modules.list().map((m) => ({
        ...m,
        error: m.error ? m.error.toJSON() : null,
        status: status.filter((i) => i.pluginId === m.id).map(({ id, label, value }) => ({ id, label, value })),
      }));
      if (globals().json) json(list);
      else {
        out(
          list.flatMap((m) =>
            formatModuleLines(m, m.description, [
              ...(typeof m.origin === 'object' ? [`from ${m.origin.specifier}`] : []),
              ...m.status.map((i) => `${i.label}: ${i.value}`),
              ...(m.error ? [`${m.error.code} ${String(m.error.message)}`] : []),
            ]),
          ),
        );
      }
    });
  for (const [verb, enabled] of [['enable', true], ['disable', false]] as const) {
    modules
      .command(verb)
      .description(`${verb} a module (saved in settings)`)
      .argument('<id>', 'module id')
      .action(async (id: string) => {
        const kp = await open();
        const info = await kp.modules.setEnabled(id, enabled);
        if (globals().json) json({ ...info, error: info.error ? info.error.toJSON() : null });
        else out(`${info.id}: ${info.state}`);
        if (info.state === 'failed') setExit(Exit.Failed);
      });
  }
}
