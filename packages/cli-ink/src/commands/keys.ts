import { Option } from 'commander';
import { ErrorCodes, InputError, NotFoundError, armorPublicKey, matchesListPattern, minimalCertificate, parseListPattern, readPackets, serializeCertificate, splitCertificates, type KeyFilter } from '@keyport/core';
import { formatDetailRows, formatKeyDetails, formatKeyLine, formatKeyStatus, keyDetailsToJson, keyToJson, printBytes, printVerbatim } from '../output.js';
import { writeOutputFile } from './output-file.js';
import { confirm } from './input.js';
import { keyForDetails } from '../actions.js';
import type { CommandContext } from './context.js';
import { listRecords, openWorkingStore, resolveRecord } from '../store.js';

const FILTERS: KeyFilter[] = ['all', 'expired', 'revoked', 'secret', 'public'];

/** `keyport` commands: list, show, export and delete keys of the keyring. */
export function registerKeys(ctx: CommandContext): void {
  const { program, io, abort, globals, out, warn, json } = ctx;
  const openWithStore = () => openWorkingStore(ctx);
  program
    .command('list')
    .description('list the keys in the keyring, or those matching PATTERN (as gpg --list-keys PATTERN)')
    .argument('[pattern]', 'part of a user ID, <address>, @domain, =exact user ID, key ID or fingerprint')
    .addOption(new Option('--filter <filter>', 'which keys').choices(FILTERS).default('all'))
    .action(async (pattern: string | undefined, opts: { filter: KeyFilter }) => {
      // Parsed before the keyring opens, so a bad pattern is a usage error whatever the keyring holds.
      const parsed = parseListPattern(pattern ?? '');
      const { kp, store } = await openWithStore();
      const keys = (await listRecords(kp, store, opts.filter)).filter((k) => matchesListPattern(k.summary, parsed));
      if (globals().json) json(keys.map((k) => keyToJson(k)));
      else if (keys.length > 0) out(keys.map((k) => formatKeyLine(k)));
      else out(parsed.kind === 'all' ? 'the keyring is empty' : `no key matches "${pattern}"`);
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
          ...(status ? [`  Published    ${formatKeyStatus(status)}`] : []),
          ...formatDetailRows(extra),
        ]);
      }
    });

  program
    .command('export')
    .description('write public keys, armored (never secret material): the keys named, or --all')
    .argument('[ids...]', 'fingerprints, 16-hex key IDs or email addresses')
    .option('--all', 'export every key in the keyring')
    .option('--output <file>', 'write to FILE (atomically) instead of standard output')
    .option('--force', 'with --output, replace an existing file')
    .option('--binary', 'binary OpenPGP packets instead of ASCII armor')
    .option('--minimal', 'only the newest self-signature per component, no third-party signatures')
    .action(async (ids: string[], opts: { all?: boolean; output?: string; force?: boolean; binary?: boolean; minimal?: boolean }) => {
      if (ids.length === 0 && !opts.all) throw new InputError(ErrorCodes.Usage, 'export needs the keys to export', { nextStep: 'name them (fingerprint, key ID or address), or add --all' });
      if (ids.length > 0 && opts.all) throw new InputError(ErrorCodes.Usage, 'export takes key IDs or --all, not both', { nextStep: 'drop the IDs or drop --all' });
      // Binary packets on a terminal would be taken as control sequences.
      if (opts.binary && !opts.output && (io.stdout.isTTY || globals().json)) {
        throw new InputError(ErrorCodes.Usage, '--binary output is not text and cannot go to a terminal or into JSON', { nextStep: 'add --output FILE, or redirect standard output to a file' });
      }
      const { kp, store } = await openWithStore();
      const fingerprints: string[] = [];
      if (opts.all) fingerprints.push(...(await listRecords(kp, store, 'all')).map((k) => k.summary.fingerprint));
      for (const id of ids) {
        const fpr = (await resolveRecord(kp, store, id)).summary.fingerprint;
        if (!fingerprints.includes(fpr)) fingerprints.push(fpr);
      }
      // Read several certificates at a time (in order in the output): one at a time, an
      // export of every key mostly waits for the disk.
      const parts: Uint8Array[] = new Array<Uint8Array>(fingerprints.length);
      let next = 0;
      const reader = async () => {
        while (next < fingerprints.length) {
          const at = next++;
          const fpr = fingerprints[at]!;
          const data = await store.readCertificate(fpr);
          if (!data) throw new NotFoundError(ErrorCodes.KeyNotFound, `${fpr} is no longer in the ${store.id} store (${store.location})`, { nextStep: 'run `keyport list` to see what it holds' });
          parts[at] = opts.minimal ? minimalBytes(data) : data;
        }
      };
      await Promise.all(Array.from({ length: Math.min(16, fingerprints.length) }, reader));
      const data = Buffer.concat(parts);
      const armored = opts.binary ? undefined : armorPublicKey(data);
      if (opts.output) {
        await writeOutputFile(opts.output, armored === undefined ? data : Buffer.from(armored, 'ascii'), { force: opts.force });
        if (globals().json) json({ fingerprints, output: opts.output });
        else out(`exported ${fingerprints.length} ${fingerprints.length === 1 ? 'key' : 'keys'} to ${opts.output}`);
      } else if (globals().json) {
        // One ID keeps the original shape; several, or --all, list every fingerprint.
        json(ids.length === 1 && !opts.all ? { fingerprint: fingerprints[0], armored } : { fingerprints, armored });
      } else if (armored === undefined) printBytes(io.stdout, data);
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
        const what = record.hasSecret ? 'key AND ITS SECRET KEY' : 'public key';
        await confirm(io, `Delete ${what} ${fpr} (${record.summary.userIds[0]?.userId ?? 'no user ID'})? [y/N] `, { message: 'delete needs confirmation and there is no terminal to ask', nextStep: 'add --yes' });
      }
      await store.delete(fpr, { secret: opts.secret });
      if (globals().json) json({ deleted: fpr });
      else out(`deleted ${fpr}`);
    });
}

/** A stored certificate cut down to what `--minimal` keeps (it was screened when stored). */
function minimalBytes(data: Uint8Array): Uint8Array {
  return Buffer.concat(splitCertificates(readPackets(data)).certificates.map((c) => serializeCertificate(minimalCertificate(c.parts))));
}
