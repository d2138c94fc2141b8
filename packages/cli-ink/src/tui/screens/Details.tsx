import { writeFileSync } from 'node:fs';
import path from 'node:path';
import React, { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Box } from 'ink';
import { Text } from '../text.js';
import { armorPublicKey, checkServerCopies, isCancelled, serversToCheck, toKeyportError, type KeyServerCopies, type Keyport, type PublishRecord, type StatusRecord } from '@keyport/core';
import { formatDetailRows, formatKeyDetails, formatKeyStatus, formatMissing } from '../../output.js';
import { Busy, Confirm, Pane, toastFromError, moveCursor, useKeys } from '../components.js';
import type { ScreenProps } from '../App.js';
import { useRecordWithMeta } from '../store.js';
import { autoStatusWanted } from '../../actions.js';

type PublishPlan = Awaited<ReturnType<Keyport['publishing']['plan']>>;

/** `text` in lines of at most `width` characters, broken at spaces (a longer word is cut). */
function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = '';
    }
    line = line ? `${line} ${word}` : word;
    while (line.length > width) {
      lines.push(line.slice(0, width));
      line = line.slice(width);
    }
  }
  if (line) lines.push(line);
  return lines;
}

interface Operation {
  id: 'publish' | 'verify' | 'sync' | 'export' | 'delete';
  label: string;
  /** Why it cannot run here, or null when it can. */
  unavailable: string | null;
}

/** Key details with the operations the enabled modules offer for this key. */
export function DetailsScreen({
  kp,
  store,
  keys,
  height,
  width,
  go,
  back,
  notify,
  fingerprint,
  now,
}: ScreenProps & { fingerprint: string }) {
  const record = useRecordWithMeta(store, keys, fingerprint);
  const [pane, setPane] = useState<'info' | 'ops'>('ops');
  const [scroll, setScroll] = useState(0);
  const [op, setOp] = useState(0);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [status, setStatus] = useState<StatusRecord | undefined>(
    record?.meta.publishStatus as StatusRecord | undefined,
  );
  const [publishable, setPublishable] = useState<string | null>('checking…');
  // A store whose listing has no metadata (GnuPG) gives the stored status a moment after the key.
  const storedStatus = record?.meta.publishStatus as StatusRecord | undefined;
  useEffect(() => {
    if (storedStatus) setStatus((s) => s ?? storedStatus);
  }, [storedStatus]);

  const [checking, setChecking] = useState<string | false>(false);
  // The per-server table (S) and the plans for re-publishing its stale copies (P), confirmed first.
  const [copies, setCopies] = useState<KeyServerCopies | null>(null);
  const [republish, setRepublish] = useState<PublishPlan[] | null>(null);
  const checks = useRef<AbortController | null>(null);
  const [recheckIn, setRecheckIn] = useState<number | null>(null);
  // Work of this screen stops when it is left.
  useEffect(() => () => checks.current?.abort(), []);

  /** Asks the verifying server what it publishes for this key; Esc stops it. */
  const checkStatus = useCallback(
    async (quiet: boolean): Promise<StatusRecord | undefined> => {
      if (!kp.routing.route('status')) {
        if (!quiet) notify({ kind: 'warning', text: 'checking the publish status needs the KeyServerSync module (a verifying key server)' });
        return undefined;
      }
      checks.current?.abort();
      const controller = new AbortController();
      checks.current = controller;
      setChecking('checking the publish status');
      try {
        const [s] = await store.publishing.status([fingerprint], { signal: controller.signal });
        if (controller.signal.aborted) return undefined;
        setStatus(s);
        if (!quiet && s) notify({ kind: 'info', text: `publish status: ${formatKeyStatus(s)}` });
        return s;
      } catch (e) {
        if (!isCancelled(e) && !controller.signal.aborted) notify({ ...toastFromError(e), kind: 'warning' });
        return undefined;
      } finally {
        if (checks.current === controller) setChecking(false);
      }
    },
    [kp, store, fingerprint, notify],
  );

  /** Asks every publish target and listed server for its copy (read-only look-ups); Esc stops it. */
  const checkCopies = useCallback(async () => {
    checks.current?.abort();
    const controller = new AbortController();
    checks.current = controller;
    setChecking("checking each server's copy");
    try {
      const [found] = await checkServerCopies(store.serverCopies, [fingerprint], serversToCheck(kp.settings), { signal: controller.signal });
      if (!controller.signal.aborted && found) setCopies(found);
    } catch (e) {
      if (!isCancelled(e) && !controller.signal.aborted) notify({ ...toastFromError(e), kind: 'warning' });
    } finally {
      if (checks.current === controller) setChecking(false);
    }
  }, [store, fingerprint, notify]);

  const staleServers = (copies?.servers ?? []).filter((c) => c.state === 'stale').map((c) => c.server);

  /** Plans an upload to each stale server: the confirmation shows every warning (HKP: it cannot be undone). */
  const planRepublish = async () => {
    if (!copies) return notify({ kind: 'warning', text: "press S first to check each server's copy" });
    if (staleServers.length === 0) return notify({ kind: 'info', text: 'no server has a stale copy of this key' });
    try {
      const plans = [];
      for (const server of staleServers) plans.push(await store.publishing.plan(fingerprint, { server }));
      setRepublish(plans);
    } catch (e) {
      notify(toastFromError(e));
    }
  };

  /** Uploads to each planned server (no new verification mails), then checks the copies again. */
  const runRepublish = async (plans: PublishPlan[]) => {
    setRepublish(null);
    const controller = new AbortController();
    checks.current = controller;
    setChecking(`publishing to ${plans.length} server${plans.length === 1 ? '' : 's'}`);
    const failed: string[] = [];
    for (const plan of plans) {
      if (controller.signal.aborted) break;
      try {
        await store.publishing.publish(fingerprint, { verify: 'none', signal: controller.signal, server: plan.server });
      } catch (e) {
        if (controller.signal.aborted) break;
        const error = toKeyportError(e);
        failed.push(`${plan.server}: ${error.code} ${error.message}`);
      }
    }
    if (checks.current === controller) setChecking(false);
    if (controller.signal.aborted) return notify({ kind: 'warning', text: 'stopped publishing; a server may have received the key already' });
    if (failed.length) notify({ kind: 'error', text: `could not publish to ${failed.join('; ')}` });
    else notify({ kind: 'info', text: `published ${fingerprint} to ${plans.map((p) => p.server).join(', ')}` });
    await checkCopies();
  };

  // The publish-status line: fetched on open only when the user asked for it (setting) and a
  // verifying server is routed; never otherwise.
  useEffect(() => {
    if (!record) return;
    if (autoStatusWanted(kp)) void checkStatus(true);
    store.publishing.plan(fingerprint).then(
      () => setPublishable(null),
      (e: unknown) => setPublishable((e as Error).message),
    );
    // Once per key shown.
  }, [kp, store, fingerprint, Boolean(record)]);

  // Addresses waiting for the owner to confirm a mail are re-checked while the screen is open,
  // after 5 s, then 10, 20 … up to 5 minutes apart, until the server publishes them all.
  const publishRecord = record?.meta.publish as PublishRecord | undefined;
  const pendingAddresses = Object.entries(publishRecord?.addresses ?? {})
    .filter(([a, st]) => st === 'pending' && !(status?.addresses ?? []).map((x) => x.toLowerCase()).includes(a.toLowerCase()))
    .map(([a]) => a);
  const stillPending = pendingAddresses.length > 0 && Boolean(kp.routing.route('status'));
  useEffect(() => {
    if (!stillPending) return setRecheckIn(null);
    let delay = 5000;
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const schedule = () => {
      setRecheckIn(delay);
      timer = setTimeout(() => {
        void checkStatus(true).then(() => {
          if (stopped) return;
          delay = Math.min(delay * 2, 300_000);
          schedule();
        });
      }, delay);
    };
    schedule();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [stillPending, checkStatus]);

  const operations: Operation[] = useMemo(() => {
    if (!record) return [];
    const verifying = Boolean(kp.routing.route('publish'));
    const published = Boolean(record.meta.publish);
    return [
      { id: 'publish', label: 'Publish to key server', unavailable: publishable },
      {
        id: 'verify',
        label: 'Request verification',
        unavailable: !verifying
          ? 'needs the KeyServerSync module (a verifying key server)'
          : !published
            ? 'publish the key first'
            : publishable,
      },
      {
        id: 'sync',
        label: 'Sync this key',
        unavailable: record.hasSecret ? 'you own this key: publish it instead' : null,
      },
      { id: 'export', label: `Export to ${record.summary.fingerprint}.asc`, unavailable: null },
      {
        id: 'delete',
        label: record.hasSecret ? 'Delete (with its secret key)' : 'Delete',
        unavailable:
          record.hasSecret && !store.deletesSecretKeys
            ? `keyport does not delete secret keys from ${store.id === 'gnupg' ? `GnuPG: gpg --delete-secret-and-public-keys ${record.summary.fingerprint}` : `the ${store.id} store`}`
            : null,
      },
    ];
  }, [kp, store, record, publishable]);

  const wide = width >= 110;
  const keyPaneWidth = wide ? Math.floor(width * 0.62) : width;
  // Inside the pane's border and padding.
  const infoWidth = keyPaneWidth - 4;
  const info = useMemo(() => {
    if (!record) return [];
    const lines = formatKeyDetails(record, now);
    // The fingerprint in groups of four, wrapped to the pane: never cut.
    const at = lines.findIndex((l) => l.startsWith('  Fingerprint  '));
    if (at >= 0) {
      const groups = record.summary.fingerprint.match(/.{1,4}/g) ?? [];
      const perLine = Math.max(1, Math.floor((infoWidth - 15 + 1) / 5));
      const rows: string[] = [];
      for (let i = 0; i < groups.length; i += perLine) rows.push(`${i === 0 ? '  Fingerprint  ' : ' '.repeat(15)}${groups.slice(i, i + perLine).join(' ')}`);
      lines.splice(at, 1, ...rows);
    }
    // Publication comes right under the key's dates, where a short terminal still shows it.
    const publication: string[] = [];
    if (status) publication.push(`  Published    ${formatKeyStatus(status)}`);
    else if (autoStatusWanted(kp)) publication.push('  Published    (checking…)');
    if (publishRecord) {
      const published = new Set((status?.addresses ?? []).map((a) => a.toLowerCase()));
      for (const [address, state] of Object.entries(publishRecord.addresses)) {
        const shown = published.has(address.toLowerCase()) ? 'published' : state;
        publication.push(`  Address      ${shown.padEnd(11)} ${address}`);
      }
    }
    if (copies) {
      // One row per server, as `status --servers` prints them, right under the publication.
      publication.push('  Servers');
      for (const c of copies.servers) {
        publication.push(`  ${c.state.padEnd(10)} ${c.server} (${c.protocol ?? 'no protocol'})`);
        // What a stale copy lacks (full fingerprints), wrapped to the pane rather than cut.
        if (c.state !== 'current') publication.push(...wrapWords(c.state === 'stale' ? `lacks ${formatMissing(c.missing)}` : c.reason, infoWidth - 6).map((l) => `      ${l}`));
      }
      if (staleServers.length) publication.push(`  P: publish to the ${staleServers.length} stale server${staleServers.length === 1 ? '' : 's'}`);
    }
    const afterUsage = lines.findIndex((l) => l.startsWith('  Usage')) + 1;
    lines.splice(afterUsage > 0 ? afterUsage : lines.length, 0, ...publication);
    lines.push(...formatDetailRows(kp.ui.keyDetails(record)));
    return lines;
  }, [record, status, kp, now, infoWidth, publishRecord, copies, staleServers.length]);

  // A new table scrolls the key pane to it: on a short terminal it is below the pane's end.
  useEffect(() => {
    if (!copies) return;
    const at = info.indexOf('  Servers');
    if (at >= 0) setScroll(at);
  }, [copies]);

  const run = async (o: Operation) => {
    if (!record) return;
    if (o.unavailable) return notify({ kind: 'warning', text: `${o.label}: ${o.unavailable}` });
    try {
      switch (o.id) {
        case 'publish':
          return go({ screen: 'publish', fingerprint });
        case 'verify':
          return go({ screen: 'publish', fingerprint, verifyOnly: true });
        case 'sync':
          return go({ screen: 'sync', fingerprints: [fingerprint] });
        case 'export': {
          const file = path.resolve(`${fingerprint}.asc`);
          writeFileSync(file, armorPublicKey(await store.readPublic(fingerprint)));
          return notify({ kind: 'info', text: `exported the public key to ${file}` });
        }
        case 'delete':
          return setConfirmDelete(true);
      }
    } catch (e) {
      notify(toastFromError(e));
    }
  };

  const infoHeight = Math.max(3, height - 4);
  useKeys(
    (input, key) => {
      if (key.escape) {
        // A running check stops first; the next Esc goes back.
        if (checking) return checks.current?.abort();
        return back();
      }
      if (input === 'c') return void checkStatus(false);
      if (input === 'S') return void checkCopies();
      if (input === 'P') return void planRepublish();
      if (key.tab) return setPane((p) => (p === 'info' ? 'ops' : 'info'));
      if (pane === 'info')
        moveCursor(input, key, Math.max(1, info.length - infoHeight + 1), infoHeight, setScroll);
      else if (!moveCursor(input, key, operations.length, operations.length, setOp) && key.return)
        void run(operations[op]!);
    },
    { isActive: !confirmDelete && !republish },
  );

  if (!record) {
    return <Text>That key is no longer in the keyring. Press Esc to go back.</Text>;
  }
  if (republish) {
    return (
      <Confirm
        message={`Publish ${fingerprint} to ${republish.map((p) => `${p.server} (${p.protocol.toUpperCase()})`).join(', ')}?`}
        details={[...new Set(republish.flatMap((p) => p.warnings))]}
        onYes={() => void runRepublish(republish)}
        onNo={() => setRepublish(null)}
      />
    );
  }
  if (confirmDelete) {
    return (
      <Confirm
        message={`Delete ${record.hasSecret ? 'the key AND ITS SECRET KEY' : 'the public key'} ${fingerprint}?`}
        details={
          record.hasSecret ? ['the secret key cannot be recovered unless you have a backup'] : []
        }
        onNo={() => setConfirmDelete(false)}
        onYes={() => {
          setConfirmDelete(false);
          store.delete(fingerprint).then(
            () => {
              notify({ kind: 'info', text: `deleted ${fingerprint}` });
              back();
            },
            (e: unknown) => notify(toastFromError(e)),
          );
        }}
      />
    );
  }
  return (
    <Box flexDirection={wide ? 'row' : 'column'} width={width}>
      <Pane title="Key" focused={pane === 'info'} width={keyPaneWidth}>
        {info
          .slice(
            scroll,
            scroll + (wide ? infoHeight : Math.max(3, infoHeight - operations.length - 3)),
          )
          .map((line, i) => (
            <Text key={i} wrap="truncate-end">
              {line}
            </Text>
          ))}
      </Pane>
      <Pane title="Operations" focused={pane === 'ops'} width={wide ? width - keyPaneWidth : width}>
        {operations.map((o, i) => (
          <Text
            key={o.id}
            inverse={pane === 'ops' && i === op}
            dimColor={o.unavailable !== null}
            wrap="truncate-end"
          >
            {pane === 'ops' && i === op ? '›' : ' '} {o.label}
            {o.unavailable ? ` (${o.unavailable})` : ''}
          </Text>
        ))}
        {checking ? (
          <Busy label={`${checking} (Esc stops)`} />
        ) : stillPending && recheckIn !== null ? (
          <Text dimColor wrap="truncate-end">
            {pendingAddresses.length} address(es) pending: re-checked every {Math.round(recheckIn / 1000)} s while open (c: now)
          </Text>
        ) : null}
      </Pane>
    </Box>
  );
}
