import { Exit, formatServerLine } from '../output.js';
import type { CommandContext } from './context.js';

/** `keyport` commands: the key server list. */
export function registerServers({ program, abort, globals, open, out, warn, json, setExit }: CommandContext): void {
  const servers = program.command('servers').description('manage the key server list');
  servers
    .command('list')
    .description('the key servers, the default marked with *')
    .action(async () => {
      const kp = await open();
      const list = kp.keyservers.list();
      if (globals().json) json(list);
      else out(list.map(formatServerLine));
    });
  servers
    .command('add')
    .description('add a key server; its protocol comes from --protocol, its scheme (hkp, hkps) or asking it')
    .argument('<url>', 'server URL (https://, hkps://, hkp://, http://)')
    .option('--protocol <id>', 'the protocol it speaks (hkp, vks), when it cannot be asked')
    .action(async (url: string, opts: { protocol?: string }) => {
      const kp = await open();
      const added = await kp.keyservers.add(url, { protocol: opts.protocol, signal: abort.signal });
      for (const w of added.warnings) warn(w);
      if (globals().json) json(added);
      else out(`added ${added.url} (${added.protocol})`);
    });
  servers
    .command('edit')
    .argument('<old>', 'server URL in the list')
    .argument('<new>', 'replacement URL')
    .action(async (oldUrl: string, newUrl: string) => {
      const kp = await open();
      const edited = await kp.keyservers.edit(oldUrl, newUrl);
      for (const w of edited.warnings) warn(w);
      if (globals().json) json(edited);
      else out(`now ${edited.url}`);
    });
  servers
    .command('remove')
    .argument('<url>', 'server URL in the list')
    .action(async (url: string) => {
      const kp = await open();
      await kp.keyservers.remove(url);
      if (globals().json) json(kp.keyservers.list());
      else out(`removed; default is ${kp.keyservers.defaultServer()}`);
    });
  servers
    .command('default')
    .argument('<url>', 'server URL in the list')
    .action(async (url: string) => {
      const kp = await open();
      await kp.keyservers.setDefault(url);
      if (globals().json) json(kp.keyservers.list());
      else out(`default: ${kp.keyservers.defaultServer()}`);
    });
  servers
    .command('test')
    .description('check that a server (or every listed server) answers as a key server')
    .argument('[url]', 'server URL (default: all listed servers)')
    .action(async (url: string | undefined) => {
      const kp = await open();
      const targets = url ? [url] : kp.keyservers.list().map((e) => e.url);
      const results = [];
      for (const t of targets) results.push(await kp.keyservers.test(t, abort.signal));
      if (globals().json) json(results);
      else out(results.map((r) => `${r.speaksProtocol ? 'ok    ' : 'FAILED'} ${r.url}  ${r.detail}`));
      if (results.some((r) => !r.speaksProtocol)) setExit(Exit.Failed);
    });
}
