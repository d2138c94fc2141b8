import { CancelledError, ErrorCodes, InputError, toKeyportError, checkServerCopies, serversToCheck, type KeyServerCopies, type Keyport, type ServerCopiesDeps } from '@keyport/core';
import { Exit, formatServerCopies, formatSyncResults, formatStatusLine, printLines } from '../output.js';
import { localeFromEnv, confirm } from './input.js';
import { syncCounts } from '../actions.js';
import type { CommandContext } from './context.js';
import { openWorkingStore, publishingFor, serverCopies } from '../store.js';

/** `keyport` commands: publish, verify, status and sync: the routed operations. */
export function registerPublishing(ctx: CommandContext): void {
  const { program, io, env, abort, globals, open, out, warn, json, setExit, report: printReport } = ctx;
  /** Publishing on the chosen key store. */
  const publishingOn = async () => {
    const { kp, store } = await openWorkingStore(ctx);
    return { kp, store, on: publishingFor(kp, store) };
  };
  const publishing = async () => (await publishingOn()).on;
  const printPublish = (report: Awaited<ReturnType<Keyport['publishing']['publish']>>, copies?: KeyServerCopies) => {
    if (globals().json) {
      json({ fingerprint: report.fingerprint, server: report.server, protocol: report.protocol, addresses: report.addresses, ...(copies ? { servers: copies.servers } : {}) });
      return;
    }
    out(`published ${report.fingerprint} to ${report.server} (${report.protocol})`);
    for (const [address, state] of Object.entries(report.addresses)) {
      const next =
        state === 'pending' ? `open the link mailed to ${address}` : state === 'unpublished' ? `keyport verify ${report.fingerprint} ${address}` : '';
      out(`  ${state.padEnd(11)} ${address}${next ? `  -> ${next}` : ''}`);
    }
    if (report.protocol !== 'vks') out('  (HKP servers publish user IDs without verification)');
    if (copies) out(formatServerCopies(copies));
  };

  /**
   * `publish --to` / `publish.targets`: every target is planned (and, for warnings such as an HKP
   * server's permanence, confirmed) before anything is uploaded; then each gets the key over its
   * own protocol, and each target's copy is checked and reported as `status --servers` does.
   */
  const publishToTargets = async (kp: Keyport, id: string, targets: string[], opts: { verify?: string[] | boolean; locale?: string[]; yes?: boolean; allowOfflinePrimary?: boolean }) => {
    // The key as the chosen store holds it (--store gnupg: GnuPG's copy and secret state).
    const { store, on } = await publishingOn();
    const plans = [];
    for (const server of targets) plans.push(await on.plan(id, { server, allowOfflinePrimary: opts.allowOfflinePrimary }));
    const fingerprint = plans[0]!.record.summary.fingerprint;
    const warnings = [...new Set(plans.flatMap((p) => p.warnings))];
    if (warnings.length && !opts.yes) {
      for (const w of warnings) warn(w);
      await confirm(io, `Publish ${fingerprint} to ${plans.map((p) => `${p.server} (${p.protocol.toUpperCase()})`).join(', ')}? [y/N] `);
    }
    const verify = verifyChoice(opts.verify);
    const published: ({ server: string; protocol: string; addresses: Record<string, string> } | { server: string; protocol: string; error: string })[] = [];
    for (const plan of plans) {
      try {
        const report = await on.publish(id, { verify, locale: opts.locale ?? localeFromEnv(env), signal: abort.signal, server: plan.server, allowOfflinePrimary: opts.allowOfflinePrimary });
        if (!globals().json) printPublish(report);
        published.push({ server: report.server, protocol: report.protocol, addresses: report.addresses });
      } catch (e) {
        if (abort.signal.aborted) throw e;
        const error = toKeyportError(e);
        if (!globals().json) printLines(io.stderr, `keyport: ${error.code} could not publish to ${plan.server}: ${error.message}${error.nextStep ? ` (next: ${error.nextStep})` : ''}`);
        published.push({ server: plan.server, protocol: plan.protocol, error: `${error.code} ${error.message}` });
        setExit(Exit.Failed);
      }
    }
    const [copies] = await checkServerCopies(serverCopies(kp, store), [fingerprint], plans.map((p) => p.server), { signal: abort.signal });
    if (globals().json) json({ fingerprint, published, servers: copies!.servers });
    else out(formatServerCopies(copies!));
  };

  program
    .command('publish')
    .description('publish your public key (never secret material) and request email verification')
    .argument('<id>', 'fingerprint, 16-hex key ID or email address of a key whose primary secret key is here')
    .option('--verify <emails...>', 'request verification for these addresses only')
    .option('--verify-all', 'request verification for every unpublished address (the default)')
    .option('--no-verify', 'request no verification')
    .option('--locale <locales...>', 'language of the verification mail (default: from LC_ALL / LC_MESSAGES / LANG)')
    .option('--yes', 'do not ask for confirmation')
    .option('--to <url>', 'publish to this key server over its own protocol; repeatable (default: the publish.targets setting, else the routed server)', (url: string, urls: string[]) => [...urls, url], [] as string[])
    .option('--allow-offline-primary', 'publish a key whose primary secret key is offline here (sec#) as it is, after checking its public certificate is complete')
    .action(async (id: string, opts: { verify?: string[] | boolean; verifyAll?: boolean; locale?: string[]; yes?: boolean; to: string[]; allowOfflinePrimary?: boolean }) => {
      const kp = await open();
      const targets = opts.to.length ? opts.to : kp.settings.get<string[]>('publish.targets');
      if (targets.length) {
        await publishToTargets(kp, id, targets, opts);
        return;
      }
      const { store, on } = await publishingOn();
      const plan = await on.plan(id, { allowOfflinePrimary: opts.allowOfflinePrimary });
      if (plan.warnings.length && !opts.yes) {
        for (const w of plan.warnings) warn(w);
        await confirm(io, `Publish ${plan.record.summary.fingerprint} to ${plan.server} over ${plan.protocol.toUpperCase()}? [y/N] `);
      }
      const verify = verifyChoice(opts.verify);
      const report = await on.publish(id, { verify, locale: opts.locale ?? localeFromEnv(env), signal: abort.signal, allowOfflinePrimary: opts.allowOfflinePrimary });
      // As with --to: whether the server kept what was sent, in the terms of `status --servers`.
      // Asked with the engine that uploaded: the routed VKS server need not be in the server list.
      const routed = on.target('publish', 'upload');
      const deps = serverCopies(kp, store);
      const viaUploader: ServerCopiesDeps = routed.engine.lookup ? { ...deps, lookupEngine: () => ({ url: routed.server, engine: routed.engine }) } : deps;
      const [copies] = await checkServerCopies(viaUploader, [report.fingerprint], [report.server], { signal: abort.signal });
      printPublish(report, copies);
    });

  program
    .command('verify')
    .description('request verification mails again for addresses of a published key')
    .argument('<id>', 'fingerprint, key ID or email of your key')
    .argument('<emails...>', 'addresses to verify')
    .option('--locale <locales...>', 'language of the verification mail')
    .action(async (id: string, emails: string[], opts: { locale?: string[] }) => {
      printPublish(await (await publishing()).verify(id, emails, { locale: opts.locale ?? localeFromEnv(env), signal: abort.signal }));
    });

  program
    .command('status')
    .description('is the key published? (needs KeyServerSync)')
    .argument('<ids...>', 'fingerprints, key IDs or emails')
    .option('--servers', "ask every publish target and listed server for its copy: current, stale (and what it lacks), absent, unverified or failed")
    .action(async (ids: string[], opts: { servers?: boolean }) => {
      if (opts.servers) {
        const { kp, store } = await publishingOn();
        const copies = serverCopies(kp, store);
        const keys = await checkServerCopies(copies, ids, serversToCheck(kp.settings), { signal: abort.signal });
        if (globals().json) json({ keys });
        else out(keys.flatMap(formatServerCopies));
        if (keys.some((k) => k.servers.some((s) => s.state === 'failed'))) setExit(Exit.Failed);
        return;
      }
      const statuses = await (await publishing()).status(ids, { signal: abort.signal });
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
    .option('--server <url>', 'refresh from this key server for this run (its own protocol), instead of the routed one')
    .action(async (ids: string[], opts: { all?: boolean; yes?: boolean; includeOwn?: boolean; server?: string }) => {
      if (ids.length === 0 && !opts.all) {
        throw new InputError(ErrorCodes.Usage, 'name the keys to sync, or use --all', { nextStep: 'keyport sync --all' });
      }
      if (opts.all && !opts.yes) {
        // A refresh of every key asks the server about each one: the user says so first.
        await confirm(io, 'Refresh every public key in the keyring from the key server? [y/N] ', { message: 'sync --all needs confirmation and there is no terminal to ask', nextStep: 'add --yes' });
      }
      const report = await (await publishing()).sync(ids.length ? ids : 'all', { includeOwn: opts.includeOwn, signal: abort.signal, server: opts.server });
      if (globals().json) json(report);
      else printReport([...formatSyncResults(report.results), `${report.server} (${report.protocol}): ${syncCounts(report)}${report.cancelled ? ' (cancelled)' : ''}`]);
      if (report.cancelled) throw new CancelledError();
      if (report.summary.failed > 0 || report.summary.rejected > 0) setExit(Exit.Failed);
    });
}

/** What `--verify EMAILS...` / `--no-verify` ask of a publish: those addresses, none, or every unpublished one. */
function verifyChoice(flag: string[] | boolean | undefined): string[] | 'none' | 'unpublished' {
  return flag === false ? 'none' : Array.isArray(flag) ? flag : 'unpublished';
}
