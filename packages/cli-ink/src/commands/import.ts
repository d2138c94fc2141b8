import { CancelledError, ErrorCodes, InputError, storeImporter } from '@keyport/core';
import { Exit, formatImportReport } from '../output.js';
import { readInput } from './input.js';
import type { CommandContext } from './context.js';
import { certificatesOf, openSourceStore, openStore } from '../store.js';

/** `keyport` commands: import keys from a file, stdin or a key server. */
export function registerImport({ program, io, env, abort, globals, open, out, warn, json, setExit }: CommandContext): void {
  /** `import --from-store S [IDS...]`: the source store's public certificates, screened as a local file, into the working store. */
  const copyFromStore = async (ids: string[], from: string) => {
    const kp = await open();
    const store = await openStore(kp, globals().store, env, warn);
    const source = await openSourceStore(kp, from, env);
    if (source.id === store.id) {
      throw new InputError(ErrorCodes.Usage, `--from-store ${from} is the store keyport is working on`, { nextStep: `choose the other store with --store, e.g. keyport --store ${from === 'embedded' ? 'gnupg' : 'embedded'} import --from-store ${from}` });
    }
    const bytes = await certificatesOf(source, ids);
    if (bytes.length === 0) {
      out(`the ${source.id} store (${source.location}) holds no keys`);
      return;
    }
    const importer = store === kp.store ? kp.importer : storeImporter(store, kp.settings);
    const [report] = await importer.importMany([{ bytes, options: { origin: { kind: 'file', name: `${source.id} store (${source.location})` } } }], { signal: abort.signal });
    if (globals().json) json(report);
    else out(formatImportReport(report!));
    if (report!.summary.rejected > 0) setExit(Exit.Failed);
  };
  program
    .command('import')
    .description('import keys from a file or stdin (--file), or from a key server by fingerprint, key ID or email')
    .argument('[queries...]', 'fingerprints, 16-hex key IDs or email addresses to fetch from the key server')
    .option('--file <path>', 'file to import, or - for stdin')
    .option('--server <url>', 'key server to fetch from (default: the default server, plus key sources such as WKD for email addresses)')
    .option('--source <id>', 'fetch from this key source only (e.g. wkd)')
    .option('--from-store <store>', 'copy keys (all, or the IDS given) from another key store: embedded or gnupg')
    .action(async (queries: string[], opts: { file?: string; server?: string; source?: string; fromStore?: string }) => {
      if (opts.fromStore) return copyFromStore(queries, opts.fromStore);
      if (Boolean(opts.file) === queries.length > 0) {
        throw new InputError(ErrorCodes.Usage, 'give either --file PATH or the keys to fetch from a key server', {
          nextStep: 'keyport import --file keys.asc, or keyport import 0xFINGERPRINT',
        });
      }
      const kp = await open();
      const store = await openStore(kp, globals().store, env, warn);
      // The embedded keyring is the pipeline's own target; another store gets what screening accepted.
      const into = store === kp.store ? undefined : store;
      if (!opts.file) {
        const report = await kp.keyservers.importFromServer(queries, opts.server, { signal: abort.signal, source: opts.source, into });
        if (globals().json) json(report);
        else {
          const lines = formatImportReport(report);
          if (report.summary.notFound) lines.push(`${lines.pop()!}, ${report.summary.notFound} not found`);
          out(lines);
        }
        if (report.summary.rejected > 0 || report.summary.notFound > 0) setExit(Exit.Failed);
        return;
      }
      const bytes = await readInput(opts.file, io, kp.settings.get<number>('import.maxBytes'));
      const maxBytes = kp.settings.get<number>('import.maxBytes');
      // Screening reads the chosen store (what it holds) and merges into it.
      const importer = into ? storeImporter(into, kp.settings) : kp.importer;
      const reports = await importer.importMany([{ bytes, options: { origin: { kind: 'file', name: opts.file }, maxBytes } }], {
        signal: abort.signal,
        onProgress: (done, total) => kp.bus.progress({ operation: 'import', done, total }),
      });
      const report = reports[0]!;
      if (globals().json) json(report);
      else out(formatImportReport(report));
      if (abort.signal.aborted) throw new CancelledError();
      if (report.summary.rejected > 0) setExit(Exit.Failed);
    });
}
