import { Option } from 'commander';
import { CancelledError, ErrorCodes, InputError, NotFoundError, armorPublicKey, type KeyFilter } from '@keyport/core';
import { formatKeyDetails, formatKeyLine, formatStatusLine, keyDetailsToJson, keyToJson, printVerbatim } from '../output.js';
import { ask } from './input.js';
import { keyForDetails } from '../actions.js';
import type { CommandContext } from './context.js';
import { listRecords, openStore, resolveRecord } from '../store.js';

const FILTERS: KeyFilter[] = ['all', 'expired', 'revoked', 'secret', 'public'];

/** `keyport` commands: list, show, export and delete keys of the keyring. */
export function registerKeys({ program, io, env, abort, globals, open, out, warn, json }: CommandContext): void {
  const openWithStore = async () => {
    const kp = await open();
    return { kp, store: await openStore(kp, globals().store, env, warn) };
  };
  program
    .command('list')
    .description('list the keys in the keyring')
    .addOption(new Option('--filter <filter>', 'which keys').choices(FILTERS).default('all'))
    .action(async (opts: { filter: KeyFilter }) => {
      const { kp, store } = await openWithStore();
      const keys = await listRecords(kp, store, opts.filter);
      if (globals().json) json(keys.map((k) => keyToJson(k)));
      else out(keys.length ? keys.map((k) => formatKeyLine(k)) : 'the keyring is empty');
    });

  program
    .command('show')
    .description('show the details of one key')
    .argument('<id>', 'fingerprint, 16-hex key ID or email address')
    .action(async (id: string) => {
      const { kp, store } = await openWithStore();
      const record = store === kp.store ? await keyForDetails(kp, id, { signal: abort.signal, warn }) : await resolveRecord(kp, store, id);
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
      const { kp, store } = await openWithStore();
      const record = await resolveRecord(kp, store, id);
      const bytes = await store.readCertificate(record.summary.fingerprint);
      if (!bytes) throw new NotFoundError(ErrorCodes.KeyNotFound, `${record.summary.fingerprint} is no longer in the ${store.id} store (${store.location})`, { nextStep: 'run `keyport list` to see the keys you have' });
      const armored = armorPublicKey(bytes);
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
      const { kp, store } = await openWithStore();
      const record = await resolveRecord(kp, store, id);
      const fpr = record.summary.fingerprint;
      if (!opts.yes) {
        if (!io.stdin.isTTY) {
          throw new InputError(ErrorCodes.Usage, 'delete needs confirmation and there is no terminal to ask', { nextStep: 'add --yes' });
        }
        const what = record.hasSecret ? 'key AND ITS SECRET KEY' : 'public key';
        const answer = await ask(io, `Delete ${what} ${fpr} (${record.summary.userIds[0]?.userId ?? 'no user ID'})? [y/N] `);
        if (!/^y(es)?$/i.test(answer.trim())) throw new CancelledError();
      }
      await store.delete(fpr, { secret: opts.secret });
      if (globals().json) json({ deleted: fpr });
      else out(`deleted ${fpr}`);
    });
}
