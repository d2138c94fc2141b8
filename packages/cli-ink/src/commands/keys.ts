import { Option } from 'commander';
import { CancelledError, ErrorCodes, InputError, armorPublicKey, matchesListPattern, parseListPattern, type KeyFilter } from '@keyport/core';
import { formatKeyDetails, formatKeyLine, formatStatusLine, keyDetailsToJson, keyToJson, printVerbatim } from '../output.js';
import { ask } from './input.js';
import { keyForDetails } from '../actions.js';
import type { CommandContext } from './context.js';

const FILTERS: KeyFilter[] = ['all', 'expired', 'revoked', 'secret', 'public'];

/** `keyport` commands: list, show, export and delete keys of the keyring. */
export function registerKeys({ program, io, abort, globals, open, out, warn, json }: CommandContext): void {
  program
    .command('list')
    .description('list the keys in the keyring, or those matching PATTERN (as gpg --list-keys PATTERN)')
    .argument('[pattern]', 'part of a user ID, <address>, @domain, =exact user ID, key ID or fingerprint')
    .addOption(new Option('--filter <filter>', 'which keys').choices(FILTERS).default('all'))
    .action(async (pattern: string | undefined, opts: { filter: KeyFilter }) => {
      // Parsed before the keyring opens, so a bad pattern is a usage error whatever the keyring holds.
      const parsed = parseListPattern(pattern ?? '');
      const kp = await open();
      const keys = (await kp.keyring.list(opts.filter)).filter((k) => matchesListPattern(k.summary, parsed));
      if (globals().json) json(keys.map((k) => keyToJson(k)));
      else if (keys.length > 0) out(keys.map((k) => formatKeyLine(k)));
      else out(parsed.kind === 'all' ? 'the keyring is empty' : `no key matches "${pattern}"`);
    });

  program
    .command('show')
    .description('show the details of one key')
    .argument('<id>', 'fingerprint, 16-hex key ID or email address')
    .action(async (id: string) => {
      const kp = await open();
      const record = await keyForDetails(kp, id, { signal: abort.signal, warn });
      const status = record.meta.publishStatus as { state: string; addresses: string[]; checkedAt: string; server: string } | undefined;
      const extra = kp.ui.keyDetails(record);
      if (globals().json) {
        json({
          ...keyDetailsToJson(record),
          publishStatus: status ? { state: status.state, addresses: status.addresses, checkedAt: status.checkedAt, server: status.server } : null,
          pluginDetails: extra,
        });
      } else {
        out([
          ...formatKeyDetails(record),
          ...(status ? [`  Published    ${formatStatusLine({ ...status, fingerprint: '' }).trim()}`] : []),
          ...extra.map((row) => `  ${row.label.padEnd(12)} ${row.value}`),
        ]);
      }
    });

  program
    .command('export')
    .description('print the armored public key (never secret material)')
    .argument('<id>', 'fingerprint, 16-hex key ID or email address')
    .action(async (id: string) => {
      const kp = await open();
      const record = await kp.keyring.resolve(id);
      const armored = armorPublicKey(await kp.keyring.readPublic(record.summary.fingerprint));
      if (globals().json) json({ fingerprint: record.summary.fingerprint, armored });
      else printVerbatim(io.stdout, armored);
    });

  program
    .command('delete')
    .description('delete a key from the keyring')
    .argument('<id>', 'fingerprint, 16-hex key ID or email address')
    .option('--yes', 'do not ask for confirmation')
    .option('--secret', 'also delete secret key material (required when the key has some)')
    .action(async (id: string, opts: { yes?: boolean; secret?: boolean }) => {
      const kp = await open();
      const record = await kp.keyring.resolve(id);
      const fpr = record.summary.fingerprint;
      if (!opts.yes) {
        if (!io.stdin.isTTY) {
          throw new InputError(ErrorCodes.Usage, 'delete needs confirmation and there is no terminal to ask', { nextStep: 'add --yes' });
        }
        const what = record.hasSecret ? 'key AND ITS SECRET KEY' : 'public key';
        const answer = await ask(io, `Delete ${what} ${fpr} (${record.summary.userIds[0]?.userId ?? 'no user ID'})? [y/N] `);
        if (!/^y(es)?$/i.test(answer.trim())) throw new CancelledError();
      }
      await kp.keyring.delete(fpr, { secret: opts.secret });
      if (globals().json) json({ deleted: fpr });
      else out(`deleted ${fpr}`);
    });
}
