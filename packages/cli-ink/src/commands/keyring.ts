import { Exit, printLines } from '../output.js';
import type { CommandContext } from './context.js';

/** `keyport` commands: keyring maintenance. */
export function registerKeyring({ program, io, globals, open, out, json, setExit }: CommandContext): void {
  program
    .command('keyring')
    .description('keyring maintenance')
    .command('rebuild-index')
    .description('rebuild the index from the certificate files')
    .action(async () => {
      const kp = await open();
      const report = await kp.keyring.rebuildIndex();
      if (globals().json) json(report);
      else {
        for (const d of report.damaged) printLines(io.stderr, `keyport: skipped: ${d.reason}`);
        out(`index rebuilt: ${report.keys} keys${report.damaged.length > 0 ? `, ${report.damaged.length} damaged files skipped (import a good copy of each key to repair it)` : ''}`);
      }
      if (report.damaged.length > 0) setExit(Exit.Failed);
    });
}
