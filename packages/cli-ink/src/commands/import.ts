import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { CancelledError, ErrorCodes, InputError, KeyportError, NetworkError, dearmorAll, keyMaterial, readPackets, serializeCertificate, splitCertificates, summarizeResults, type ImportPipeline, type ImportReport, type Keyport } from '@keyport/core';
import { Exit, formatImportReport, printLines } from '../output.js';
import { readInput } from './input.js';
import type { CommandContext } from './context.js';
import { certificatesOf, importerFor, openSourceStore, openWorkingStore } from '../store.js';

/** `keyport` commands: import keys from a file, stdin or a key server. */
export function registerImport(ctx: CommandContext): void {
  const { program, io, env, abort, globals, out, json, setExit, report: printReport } = ctx;
  /** `import --from-store S [IDS...]`: the source store's public certificates, screened as a local file, into the working store. */
  const copyFromStore = async (ids: string[], from: string) => {
    const { kp, store } = await openWorkingStore(ctx);
    const source = await openSourceStore(kp, from, env);
    if (source.id === store.id) {
      throw new InputError(ErrorCodes.Usage, `--from-store ${from} is the store keyport is working on`, { nextStep: `choose the other store with --store, e.g. keyport --store ${from === 'embedded' ? 'gnupg' : 'embedded'} import --from-store ${from}` });
    }
    const bytes = await certificatesOf(source, ids);
    if (bytes.length === 0) {
      out(`the ${source.id} store (${source.location}) holds no keys`);
      return;
    }
    const [report] = await importerFor(kp, store).importMany([{ bytes, options: { origin: { kind: 'file', name: `${source.id} store (${source.location})` } } }], { signal: abort.signal });
    if (globals().json) json(report);
    else out(formatImportReport(report!));
    if (report!.summary.rejected > 0) setExit(Exit.Failed);
  };
  program
    .command('import')
    .description('import keys from a file or stdin (--file), or from a key server by fingerprint, key ID or email')
    .argument('[queries...]', 'fingerprints, 16-hex key IDs or email addresses to fetch from the key server')
    .option('--file <path>', 'file or folder (its key files: .asc .gpg .pgp .key .pub) to import, or - for stdin; repeatable', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option('--url <url>', 'download keys from this https:// URL and import them as untrusted, like a key server\'s answer')
    .option('--server <url>', 'key server to fetch from (default: the default server, plus key sources such as WKD for email addresses)')
    .option('--source <id>', 'fetch from this key source only (e.g. wkd)')
    .option('--from-store <store>', 'copy keys (all, or the IDS given) from another key store: embedded or gnupg')
    .action(async (queries: string[], opts: { file: string[]; url?: string; server?: string; source?: string; fromStore?: string }) => {
      if (opts.fromStore) return copyFromStore(queries, opts.fromStore);
      if ([opts.file.length > 0, queries.length > 0, Boolean(opts.url)].filter(Boolean).length !== 1) {
        throw new InputError(ErrorCodes.Usage, 'give one of --file PATH, --url URL or the keys to fetch from a key server', {
          nextStep: 'keyport import --file keys.asc, keyport import --url https://example.org/key.asc, or keyport import 0xFINGERPRINT',
        });
      }
      if (opts.url) {
        const url = httpsUrl(opts.url);
        const { kp, store } = await openWorkingStore(ctx);
        const report = await importFromUrl(kp, importerFor(kp, store), url, abort.signal);
        if (globals().json) json({ url: url.href, ...report });
        else printReport(formatImportReport(report));
        if (report.summary.rejected > 0) setExit(Exit.Failed);
        return;
      }
      const { kp, store } = await openWorkingStore(ctx);
      // The embedded keyring is the pipeline's own target; another store gets what screening accepted.
      const into = store === kp.store ? undefined : store;
      const importer = importerFor(kp, store);
      if (opts.file.length === 0) {
        const report = await kp.keyservers.importFromServer(queries, opts.server, { signal: abort.signal, source: opts.source, into });
        if (globals().json) json(report);
        else {
          const lines = formatImportReport(report);
          if (report.summary.notFound) lines.push(`${lines.pop()!}, ${report.summary.notFound} not found`);
          printReport(lines);
        }
        if (report.summary.rejected > 0 || report.summary.notFound > 0) setExit(Exit.Failed);
        return;
      }
      const files = await keyFiles(opts.file);
      if (files.length === 1 && files[0] === opts.file[0]) {
        // One file named: its failure is the command's failure, as before.
        const report = await importFile(files[0]!);
        if (globals().json) json(report);
        else printReport(formatImportReport(report));
        if (abort.signal.aborted) throw new CancelledError();
        if (report.summary.rejected > 0) setExit(Exit.Failed);
        return;
      }
      // Several files: each is read and imported on its own; a bad one is reported and the rest go on.
      const results: ImportReport['results'][number][] = [];
      const summary: Record<string, number> = {};
      const fileReports: { file: string; error: Record<string, unknown> | null }[] = [];
      for (const file of files) {
        if (abort.signal.aborted) throw new CancelledError();
        try {
          const report = await importFile(file);
          results.push(...report.results);
          for (const [k, v] of Object.entries(report.summary)) summary[k] = (summary[k] ?? 0) + (typeof v === 'number' ? v : 0);
          fileReports.push({ file, error: null });
        } catch (e) {
          if (!(e instanceof KeyportError) || e instanceof CancelledError) throw e;
          printLines(io.stderr, `keyport: ${e.code} ${file}: ${e.message}${e.nextStep ? ` (next: ${e.nextStep})` : ''}`);
          fileReports.push({ file, error: e.toJSON() });
          setExit(Exit.Failed);
        }
      }
      const merged = { results, summary: { new: 0, updated: 0, unchanged: 0, rejected: 0, ...summary } as ImportReport['summary'] };
      if (globals().json) json({ ...merged, files: fileReports });
      else printReport(formatImportReport(merged));
      if (merged.summary.rejected > 0) setExit(Exit.Failed);

      async function importFile(file: string): Promise<ImportReport> {
        const bytes = await readInput(file, io, kp.settings.get<number>('import.maxBytes'));
        return importer.import(bytes, {
          origin: { kind: 'file', name: file },
          maxBytes: kp.settings.get<number>('import.maxBytes'),
          signal: abort.signal,
          onProgress: (done, total) => kp.bus.progress({ operation: 'import', done, total }),
        });
      }
    });
}

/** What a folder import reads: the usual names of OpenPGP key files (gpg, armored, exported). */
const KEY_FILE = /\.(asc|gpg|pgp|key|pub)$/i;

/** The `--file` arguments with each folder replaced by its key files (sorted, not recursive). */
async function keyFiles(args: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const arg of args) {
    const info = arg === '-' ? undefined : await stat(arg).catch(() => undefined);
    if (!info?.isDirectory()) {
      // Not a folder (or unreadable): importing it reports what is wrong with it.
      files.push(arg);
      continue;
    }
    const entries = (await readdir(arg, { withFileTypes: true })).filter((d) => d.isFile() && KEY_FILE.test(d.name)).map((d) => d.name).sort();
    if (entries.length === 0) {
      throw new InputError(ErrorCodes.InputEmpty, `${arg} holds no key files (.asc, .gpg, .pgp, .key or .pub)`, { nextStep: 'name the key files with --file, or put them in the folder with one of those endings' });
    }
    files.push(...entries.map((name) => path.join(arg, name)));
  }
  return files;
}

/** `--url`: only https, so what is downloaded is what the named host sent. */
function httpsUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InputError(ErrorCodes.Usage, `"${text}" is not a URL`, { nextStep: 'give an https:// URL of a key file' });
  }
  if (url.protocol !== 'https:') {
    throw new InputError(ErrorCodes.InsecureUrl, `${url.protocol.replace(/:$/, '')} URLs are refused: only https is accepted for --url`, { nextStep: 'use the https:// address of the key file' });
  }
  return url;
}

/**
 * Downloads a key file and imports it as untrusted, as a key server's answer: the same raw and
 * kept size caps, third-party signatures dropped, and a certificate with secret material refused.
 */
async function importFromUrl(kp: Keyport, importer: Pick<ImportPipeline, 'import'>, url: URL, signal: AbortSignal): Promise<ImportReport> {
  const rawCap = kp.settings.get<number>('network.maxRawResponseBytes');
  const response = await kp.http.request({ url, signal, maxBytes: rawCap, retries: 1 });
  if (response.status !== 200) {
    throw new NetworkError(ErrorCodes.HttpStatus, `${url.host} answered ${response.status} for ${url.href}`, { nextStep: 'check the URL in a browser; nothing was imported' });
  }
  let certificates: ReturnType<typeof splitCertificates>['certificates'];
  try {
    const binary = Buffer.from(response.body).toString('latin1').includes('-----BEGIN PGP') ? dearmorAll(response.body) : response.body;
    certificates = splitCertificates(readPackets(binary)).certificates;
  } catch {
    // Not readable OpenPGP: the importer says what is wrong with it, with its code.
    return importer.import(response.body, { origin: { kind: 'file', name: url.href }, stripThirdParty: true, maxBytes: rawCap, signal });
  }
  // Secret key (5) and secret subkey (7) packets stay in the certificate's parts here.
  const hasSecret = (c: (typeof certificates)[number]) => c.secretPackets.length > 0 || readPackets(serializeCertificate(c.parts)).some((p) => p.tag === 5 || p.tag === 7);
  const refused = certificates.filter((c) => hasSecret(c));
  const publicOnly = certificates.filter((c) => !hasSecret(c)).map((c) => serializeCertificate(c.parts));
  const report = publicOnly.length === 0 && refused.length > 0
    ? { results: [], summary: summarizeResults([]) }
    : await importer.import(Buffer.concat(publicOnly), {
      origin: { kind: 'file', name: url.href },
      stripThirdParty: true,
      maxBytes: rawCap,
      maxKeptBytes: kp.settings.get<number>('network.maxResponseBytes'),
      signal,
    });
  const rejections = refused.map((c) => ({
    fingerprint: keyMaterial(c.parts.primary).fingerprint,
    status: 'rejected' as const,
    reason: 'the URL sent secret key material; it was refused and not stored',
    added: { userIds: 0, subkeys: 0, signatures: 0, revocations: 0 },
  }));
  const results = [...report.results, ...rejections] as ImportReport['results'];
  return { ...report, results, summary: summarizeResults(results) };
}
