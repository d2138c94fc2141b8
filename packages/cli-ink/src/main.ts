import { setMaxListeners } from 'node:events';
import { existsSync } from 'node:fs';
import readline from 'node:readline/promises';
import { Command, CommanderError, Option } from 'commander';
import {
  CancelledError,
  ErrorCodes,
  InputError,
  KEYPORT_VERSION,
  armorPublicKey,
  createKeyport,
  escapeForTerminal,
  describeSetting,
  isPathSpecifier,
  loadPluginModule,
  pluginDigest,
  pluginLocation,
  pluginsDir,
  recordPlugin,
  readFileBounded,
  readStreamBounded,
  type Keyport,
  type PluginRecord,
  type KeyFilter,
} from '@keyport/core';
import { PLUGIN_RIGHTS_WARNING, builtinPlugins, cliSettingDefaults, coreModuleUrl, installPackage } from './plugins.js';
import {
  Exit,
  formatImportReport,
  formatSearchHits,
  formatSyncResults,
  formatStatusLine,
  formatKeyDetails,
  formatKeyLine,
  formatModuleLines,
  formatServerLine,
  formatSettingRow,
  keyDetailsToJson,
  keyToJson,
  printJson,
  printLines,
  printProgress,
  printText,
  printVerbatim,
  reportError,
  type Io,
} from './output.js';

interface GlobalOptions {
  home?: string;
  json?: boolean;
  modules?: string;
}

const FILTERS: KeyFilter[] = ['all', 'expired', 'revoked', 'secret', 'public'];

/**
 * Ink draws nothing until exit when it believes it runs in CI: `CI` or `CONTINUOUS_INTEGRATION`
 * set, read once when Ink loads. The TUI only ever runs on a terminal, where that mode leaves a
 * blank screen, so Ink loads with those variables hidden; they are back as soon as it has loaded.
 */
async function loadTuiOutsideCiMode(): Promise<typeof import('./tui/run.js')> {
  const hidden = ['CI', 'CONTINUOUS_INTEGRATION'].flatMap((name) => {
    const value = process.env[name];
    return value === undefined ? [] : [[name, value] as const];
  });
  for (const [name] of hidden) delete process.env[name];
  try {
    return await import('./tui/run.js');
  } finally {
    for (const [name, value] of hidden) process.env[name] = value;
  }
}

/** Runs one keyport invocation and returns its exit code. The only exit is in bin.ts. */
export async function main(argv: string[], io: Io = process, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let exitCode: number = Exit.Ok;
  let runtime: Keyport | undefined;
  const abort = new AbortController();
  // One signal serves every request of a command (hundreds during a sync).
  setMaxListeners(0, abort.signal);
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);

  const program = new Command('keyport')
    .description('A key-server client for OpenPGP power users')
    .version(KEYPORT_VERSION)
    .option('--home <dir>', 'keep settings and keyring under DIR (default: KEYPORT_HOME or XDG directories)')
    .option('--json', 'machine-readable output (schemas in docs/cli.md)')
    .option('--modules <list>', 'enable (+id or id) or disable (-id) modules for this run only')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => printText(io.stdout, s),
      writeErr: (s) => printText(io.stderr, s),
    })
    .showHelpAfterError();

  const globals = () => program.opts<GlobalOptions>();
  const open = async () => {
    if (!runtime) {
      runtime = await createKeyport({ home: globals().home, modules: globals().modules, plugins: builtinPlugins, env, thirdParty: { coreModuleUrl: coreModuleUrl() }, settingDefaults: cliSettingDefaults });
      runtime.bus.on('feedback', (f) => {
        if (f.severity !== 'info') printLines(io.stderr, `keyport: ${f.severity}: ${f.message}`);
      });
      for (const w of runtime.settings.warnings) printLines(io.stderr, `keyport: warning: ${w.message} (next: ${w.nextStep})`);
      if (io.stderr.isTTY && !globals().json) {
        runtime.bus.on('progress', (p) => printProgress(io.stderr, p));
      }
    }
    return runtime;
  };
  // Human output goes through the line printer (escaped), --json through printJson (exact).
  const out = (lines: string | readonly string[]) => printLines(io.stdout, lines);
  const warn = (text: string) => printLines(io.stderr, `keyport: warning: ${text}`);
  const json = (value: unknown) => printJson(io.stdout, value);

  program
    .command('import')
    .description('import keys from a file or stdin (--file), or from a key server by fingerprint, key ID or email')
    .argument('[queries...]', 'fingerprints, 16-hex key IDs or email addresses to fetch from the key server')
    .option('--file <path>', 'file to import, or - for stdin')
    .option('--server <url>', 'key server to fetch from (default: the default server, plus key sources such as WKD for email addresses)')
    .option('--source <id>', 'fetch from this key source only (e.g. wkd)')
    .action(async (queries: string[], opts: { file?: string; server?: string; source?: string }) => {
      if (Boolean(opts.file) === queries.length > 0) {
        throw new InputError(ErrorCodes.Usage, 'give either --file PATH or the keys to fetch from a key server', {
          nextStep: 'keyport import --file keys.asc, or keyport import 0xFINGERPRINT',
        });
      }
      const kp = await open();
      if (!opts.file) {
        const report = await kp.keyservers.importFromServer(queries, opts.server, { signal: abort.signal, source: opts.source });
        if (globals().json) json(report);
        else {
          const lines = formatImportReport(report);
          if (report.summary.notFound) lines.push(`${lines.pop()!}, ${report.summary.notFound} not found`);
          out(lines);
        }
        if (report.summary.rejected > 0 || report.summary.notFound > 0) exitCode = Exit.Failed;
        return;
      }
      const bytes = await readInput(opts.file, io, kp.settings.get<number>('import.maxBytes'));
      const report = await kp.importer.import(bytes, {
        origin: { kind: 'file', name: opts.file },
        maxBytes: kp.settings.get<number>('import.maxBytes'),
        signal: abort.signal,
        onProgress: (done, total) => kp.bus.progress({ operation: 'import', done, total }),
      });
      if (globals().json) json(report);
      else out(formatImportReport(report));
      if (abort.signal.aborted) throw new CancelledError();
      if (report.summary.rejected > 0) exitCode = Exit.Failed;
    });

  program
    .command('search')
    .description('search a key server by fingerprint, key ID, email or text')
    .argument('<query...>', 'what to look for (words are joined with spaces)')
    .option('--server <url>', 'key server to ask (default: the default server, plus key sources such as WKD for email addresses)')
    .option('--source <id>', 'ask this key source only (e.g. wkd)')
    .action(async (words: string[], opts: { server?: string; source?: string }) => {
      const kp = await open();
      const { server, hits } = await kp.keyservers.search(words.join(' '), opts.server, abort.signal, { source: opts.source });
      if (globals().json) {
        json(hits.map((h) => ({ ...(h.fingerprint ? { fingerprint: h.fingerprint } : {}), keyId: h.keyId, algorithm: h.algorithm, bits: h.bits, curve: h.curve ?? null, created: h.created, expires: h.expires, revoked: h.revoked, expired: h.expired, disabled: h.disabled, userIds: h.userIds, source: h.source, sources: h.sources ?? [h.source] })));
      } else {
        out(hits.length === 0 ? `no keys found on ${server}` : formatSearchHits(hits));
      }
    });

  program
    .command('publish')
    .description('publish your public key (never secret material) and request email verification')
    .argument('<id>', 'fingerprint, 16-hex key ID or email address of a key whose primary secret key is here')
    .option('--verify <emails...>', 'request verification for these addresses only')
    .option('--verify-all', 'request verification for every unpublished address (the default)')
    .option('--no-verify', 'request no verification')
    .option('--locale <locales...>', 'language of the verification mail (default: from LC_ALL / LC_MESSAGES / LANG)')
    .option('--yes', 'do not ask for confirmation')
    .action(async (id: string, opts: { verify?: string[] | boolean; verifyAll?: boolean; locale?: string[]; yes?: boolean }) => {
      const kp = await open();
      const plan = await kp.publishing.plan(id);
      if (plan.warnings.length && !opts.yes) {
        for (const w of plan.warnings) warn(w);
        await confirm(io, `Publish ${plan.record.summary.fingerprint} to ${plan.server} over ${plan.protocol.toUpperCase()}? [y/N] `);
      }
      const verify = opts.verify === false ? 'none' : Array.isArray(opts.verify) ? opts.verify : 'unpublished';
      const report = await kp.publishing.publish(id, { verify, locale: opts.locale ?? localeFromEnv(env), signal: abort.signal });
      printPublish(report);
    });

  program
    .command('verify')
    .description('request verification mails again for addresses of a published key')
    .argument('<id>', 'fingerprint, key ID or email of your key')
    .argument('<emails...>', 'addresses to verify')
    .option('--locale <locales...>', 'language of the verification mail')
    .action(async (id: string, emails: string[], opts: { locale?: string[] }) => {
      const kp = await open();
      printPublish(await kp.publishing.verify(id, emails, { locale: opts.locale ?? localeFromEnv(env), signal: abort.signal }));
    });

  program
    .command('status')
    .description('is the key published? (needs KeyServerSync)')
    .argument('<ids...>', 'fingerprints, key IDs or emails')
    .action(async (ids: string[]) => {
      const kp = await open();
      const statuses = await kp.publishing.status(ids, { signal: abort.signal });
      if (globals().json) json(statuses.map((s) => ({ fingerprint: s.fingerprint, state: s.state, addresses: s.addresses, checkedAt: s.checkedAt })));
      else out(statuses.map(formatStatusLine));
    });

  program
    .command('sync')
    .description('refresh local public keys from the key server (KeyServerSync: VKS; otherwise the default server)')
    .argument('[ids...]', 'keys to refresh (default: none; use --all for every key)')
    .option('--all', 'every key in the keyring')
    .option('--yes', 'do not ask for confirmation of --all')
    .option('--include-own', 'also refresh keys whose secret key is here')
    .action(async (ids: string[], opts: { all?: boolean; yes?: boolean; includeOwn?: boolean }) => {
      if (ids.length === 0 && !opts.all) {
        throw new InputError(ErrorCodes.Usage, 'name the keys to sync, or use --all', { nextStep: 'keyport sync --all' });
      }
      const kp = await open();
      const report = await kp.publishing.sync(ids.length ? ids : 'all', { includeOwn: opts.includeOwn, signal: abort.signal });
      if (globals().json) json(report);
      else {
        if (report.results.length) out(formatSyncResults(report.results));
        const s = report.summary;
        out(`${report.server} (${report.protocol}): ${s.updated} updated, ${s.unchanged} unchanged, ${s['not-found']} not on the server, ${s.failed} failed, ${s.skipped} skipped${report.cancelled ? ' (cancelled)' : ''}`);
      }
      if (report.cancelled) throw new CancelledError();
      if (report.summary.failed > 0 || report.summary.rejected > 0) exitCode = Exit.Failed;
    });

  const printPublish = (report: Awaited<ReturnType<Keyport['publishing']['publish']>>) => {
    if (globals().json) {
      json({ fingerprint: report.fingerprint, server: report.server, protocol: report.protocol, addresses: report.addresses });
      return;
    }
    out(`published ${report.fingerprint} to ${report.server} (${report.protocol})`);
    for (const [address, state] of Object.entries(report.addresses)) {
      const next =
        state === 'pending' ? `open the link mailed to ${address}` : state === 'unpublished' ? `keyport verify ${report.fingerprint} ${address}` : '';
      out(`  ${state.padEnd(11)} ${address}${next ? `  -> ${next}` : ''}`);
    }
    if (report.protocol !== 'vks') out('  (HKP servers publish user IDs without verification)');
  };

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
      if (results.some((r) => !r.speaksProtocol)) exitCode = Exit.Failed;
    });

  program
    .command('list')
    .description('list the keys in the keyring')
    .addOption(new Option('--filter <filter>', 'which keys').choices(FILTERS).default('all'))
    .action(async (opts: { filter: KeyFilter }) => {
      const kp = await open();
      const keys = await kp.keyring.list(opts.filter);
      if (globals().json) json(keys.map((k) => keyToJson(k)));
      else out(keys.length ? keys.map((k) => formatKeyLine(k)) : 'the keyring is empty');
    });

  program
    .command('show')
    .description('show the details of one key')
    .argument('<id>', 'fingerprint, 16-hex key ID or email address')
    .action(async (id: string) => {
      const kp = await open();
      let record = await kp.keyring.resolve(id);
      // Fetched only when the user asked for it and a verifying server is routed (KeyServerSync).
      if (kp.settings.get<boolean>('keyserversync.autoStatus') && kp.routing.route('status')) {
        try {
          await kp.publishing.status([record.summary.fingerprint], { signal: abort.signal });
          record = await kp.keyring.resolve(record.summary.fingerprint);
        } catch (e) {
          warn(`publish status not available: ${(e as Error).message}`);
        }
      }
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
        if (info.state === 'failed') exitCode = Exit.Failed;
      });
  }

  const plugins = program.command('plugins').description('add, remove and list third-party plugins');
  plugins
    .command('list')
    .description('third-party plugins named in settings, with their state')
    .action(async () => {
      const kp = await open();
      const rows = kp.settings.get<string[]>('plugins').map((specifier) => {
        const m = kp.modules.list().find((x) => typeof x.origin === 'object' && x.origin.specifier === specifier);
        return { specifier, id: m?.id ?? null, version: m?.version ?? null, state: m?.state ?? 'failed', error: m?.error ? m.error.toJSON() : null };
      });
      if (globals().json) json(rows);
      else {
        out(
          rows.length === 0
            ? 'no third-party plugins (add one with `keyport plugins add PATH|NAME`)'
            : rows.flatMap((r) => formatModuleLines({ state: r.state, id: r.id ?? '?', version: r.version ?? '' }, r.specifier, r.error ? [`${r.error.code} ${String(r.error.message)}`] : [])),
        );
      }
    });
  plugins
    .command('add')
    .description('add a plugin by folder path or npm package name (installed under the plugins folder)')
    .argument('<plugin>', 'a path, or an npm package name')
    .option('--no-install', 'do not run npm install for a package name that is not installed yet')
    .action(async (raw: string, opts: { install: boolean }) => {
      const kp = await open();
      const dir = pluginsDir(kp.paths);
      const specifier = isPathSpecifier(raw) ? pluginLocation(raw, dir) : raw;
      const records = kp.settings.get<Record<string, PluginRecord>>('pluginRecords');
      const record = Object.hasOwn(records, specifier) ? records[specifier] : undefined;
      if (kp.settings.get<string[]>('plugins').includes(specifier) && record) {
        // Added before and unchanged: nothing to do. Changed since: adding it again accepts the change.
        const now = await pluginDigest(specifier, dir).catch(() => null);
        if (now?.sha256 === record.sha256) throw new InputError(ErrorCodes.Usage, `${specifier} is already added`, { nextStep: 'see `keyport plugins list`' });
      }
      // Said before its code first runs: loading it below runs its top-level code.
      if (!globals().json) warn(PLUGIN_RIGHTS_WARNING);
      if (!isPathSpecifier(specifier) && opts.install && !existsSync(pluginLocation(specifier, dir))) {
        await installPackage(specifier, dir, io);
      }
      // Load it before saving: a plugin that cannot load is refused here, with the reason.
      const plugin = await loadPluginModule(specifier, dir, { coreModuleUrl: coreModuleUrl() });
      const info = await kp.modules.add(plugin, { specifier });
      if (info.error?.code === ErrorCodes.ModuleDuplicate || info.error?.code === ErrorCodes.ModuleIncompatible) throw info.error;
      // The record first: a plugin named in `plugins` without one is never loaded.
      await kp.settings.set('pluginRecords', { ...records, [specifier]: await recordPlugin(specifier, dir, plugin) });
      const named = kp.settings.get<string[]>('plugins');
      if (!named.includes(specifier)) await kp.settings.set('plugins', [...named, specifier]);
      if (globals().json) {
        json({ specifier, id: info.id, version: info.version, state: info.state, error: info.error ? info.error.toJSON() : null, runsWithUserRights: true, warning: PLUGIN_RIGHTS_WARNING });
      } else out(`added ${info.id} ${info.version} from ${specifier}: ${info.state}${info.error ? ` (${info.error.code} ${info.error.message})` : ''}`);
      if (info.state === 'failed') exitCode = Exit.Failed;
    });
  plugins
    .command('remove')
    .description('remove a plugin (by id, path or package name); installed files are left in place')
    .argument('<plugin>', 'id, path or package name')
    .action(async (raw: string) => {
      const kp = await open();
      const list = kp.settings.get<string[]>('plugins');
      const byId = kp.modules.list().find((m) => m.id === raw && typeof m.origin === 'object');
      const wanted = byId && typeof byId.origin === 'object' ? byId.origin.specifier : isPathSpecifier(raw) ? pluginLocation(raw, pluginsDir(kp.paths)) : raw;
      if (!list.includes(wanted)) {
        throw new InputError(ErrorCodes.ModuleUnknown, `no third-party plugin "${raw}"`, { nextStep: 'see `keyport plugins list`' });
      }
      await kp.settings.set('plugins', list.filter((p) => p !== wanted));
      const records = { ...kp.settings.get<Record<string, PluginRecord>>('pluginRecords') };
      if (Object.hasOwn(records, wanted)) {
        delete records[wanted];
        await kp.settings.set('pluginRecords', records);
      }
      if (globals().json) json({ removed: wanted });
      else out(`removed ${wanted}`);
    });

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
      if (report.damaged.length > 0) exitCode = Exit.Failed;
    });

  program
    .command('tui')
    .description('open the interactive terminal UI')
    .action(async () => {
      if (!io.stdout.isTTY || !io.stdin.isTTY) {
        throw new InputError(ErrorCodes.Usage, 'the terminal UI needs a terminal', { nextStep: 'run keyport in a terminal, or use the subcommands (keyport --help)' });
      }
      // Loading Ink and React overlaps with opening the keyring: both lie before the first frame.
      const [kp, { runTui }] = await Promise.all([open(), loadTuiOutsideCiMode()]);
      await runTui(kp);
    });

  try {
    const args = argv.slice(2);
    if (withoutGlobalOptions(args).length === 0) {
      if (io.stdout.isTTY && io.stdin.isTTY) {
        await program.parseAsync([...argv, 'tui']);
        return exitCode;
      }
      printText(io.stderr, program.helpInformation());
      return Exit.Usage;
    }
    await program.parseAsync(argv);
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return Exit.Ok;
      return Exit.Usage;
    }
    return reportError(e, io, Boolean(program.opts<GlobalOptions>().json));
  } finally {
    process.off('SIGINT', onSigint);
    await runtime?.dispose();
  }
}

/** The arguments left once the global options are removed: empty means "no command". */
function withoutGlobalOptions(args: string[]): string[] {
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--json' || a.startsWith('--home=') || a.startsWith('--modules=')) continue;
    if (a === '--home' || a === '--modules') {
      i++;
      continue;
    }
    rest.push(a);
  }
  return rest;
}

/** Reads `--file` (a path, a FIFO, a device, or - for stdin), stopping at the cap while reading. */
async function readInput(file: string, io: Io, maxBytes: number): Promise<Uint8Array> {
  if (file === '-') return readStreamBounded(io.stdin as AsyncIterable<Buffer | string>, maxBytes, { label: 'stdin' });
  return readFileBounded(file, maxBytes);
}

/** The user's locale for verification mails, from the usual variables (de_CH.UTF-8 -> de_CH). */
export function localeFromEnv(env: NodeJS.ProcessEnv): string[] | undefined {
  const raw = env.LC_ALL || env.LC_MESSAGES || env.LANG;
  if (!raw || raw === 'C' || raw === 'POSIX') return undefined;
  return [raw.split('.')[0]!.split('@')[0]!];
}

/** Asks for a yes in a terminal; without one, the caller needed --yes. */
async function confirm(io: Io, question: string): Promise<void> {
  if (!io.stdin.isTTY) {
    throw new InputError(ErrorCodes.Usage, 'this needs confirmation and there is no terminal to ask', { nextStep: 'read the warning above, then add --yes' });
  }
  const answer = await ask(io, question);
  if (!/^y(es)?$/i.test(answer.trim())) throw new CancelledError();
}

async function ask(io: Io, question: string): Promise<string> {
  const rl = readline.createInterface({ input: io.stdin, output: io.stderr });
  try {
    return await rl.question(escapeForTerminal(question));
  } finally {
    rl.close();
  }
}
