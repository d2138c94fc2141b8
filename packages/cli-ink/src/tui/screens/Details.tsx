import { writeFileSync } from 'node:fs';
import path from 'node:path';
import React, { useEffect, useMemo, useState } from 'react';
import { Box } from 'ink';
import { Text } from '../text.js';
import { armorPublicKey, type StatusRecord } from '@keyport/core';
import { formatKeyDetails, formatStatusLine } from '../../output.js';
import { Confirm, Pane, toastFromError, moveCursor, useKeys } from '../components.js';
import type { ScreenProps } from '../App.js';
import { autoStatusWanted } from '../../actions.js';

interface Operation {
  id: 'publish' | 'verify' | 'sync' | 'export' | 'delete';
  label: string;
  /** Why it cannot run here, or null when it can. */
  unavailable: string | null;
}

/** Key details with the operations the enabled modules offer for this key. */
export function DetailsScreen({
  kp,
  keys,
  height,
  width,
  go,
  back,
  notify,
  fingerprint,
  now,
}: ScreenProps & { fingerprint: string }) {
  const record = keys.find((k) => k.summary.fingerprint === fingerprint);
  const [pane, setPane] = useState<'info' | 'ops'>('ops');
  const [scroll, setScroll] = useState(0);
  const [op, setOp] = useState(0);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [status, setStatus] = useState<StatusRecord | undefined>(
    record?.meta.publishStatus as StatusRecord | undefined,
  );
  const [publishable, setPublishable] = useState<string | null>('checking…');

  // The publish-status line: fetched on open only when the user asked for it (setting) and a
  // verifying server is routed; never otherwise.
  useEffect(() => {
    if (!record) return;
    if (autoStatusWanted(kp)) {
      kp.publishing.status([fingerprint]).then(
        ([s]) => setStatus(s),
        (e: unknown) => notify({ ...toastFromError(e), kind: 'warning' }),
      );
    }
    kp.publishing.plan(fingerprint).then(
      () => setPublishable(null),
      (e: unknown) => setPublishable((e as Error).message),
    );
  }, [kp, fingerprint, record, notify]);

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
        unavailable: null,
      },
    ];
  }, [kp, record, publishable]);

  const info = useMemo(() => {
    if (!record) return [];
    const lines = formatKeyDetails(record, now);
    if (status)
      lines.push(`  Published    ${formatStatusLine({ ...status, fingerprint: '' }).trim()}`);
    else if (autoStatusWanted(kp))
      lines.push('  Published    (checking…)');
    for (const row of kp.ui.keyDetails(record))
      lines.push(`  ${row.label.padEnd(12)} ${row.value}`);
    return lines;
  }, [record, status, kp, now]);

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
          writeFileSync(file, armorPublicKey(await kp.keyring.readPublic(fingerprint)));
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
      if (key.escape) return back();
      if (key.tab) return setPane((p) => (p === 'info' ? 'ops' : 'info'));
      if (pane === 'info')
        moveCursor(input, key, Math.max(1, info.length - infoHeight + 1), infoHeight, setScroll);
      else if (!moveCursor(input, key, operations.length, operations.length, setOp) && key.return)
        void run(operations[op]!);
    },
    { isActive: !confirmDelete },
  );

  if (!record) {
    return <Text>That key is no longer in the keyring. Press Esc to go back.</Text>;
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
          kp.keyring.delete(fingerprint, { secret: true }).then(
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
  const wide = width >= 110;
  return (
    <Box flexDirection={wide ? 'row' : 'column'}>
      <Pane
        title="Key"
        focused={pane === 'info'}
        width={wide ? Math.floor(width * 0.68) : undefined}
      >
        {info
          .slice(
            scroll,
            scroll + (wide ? infoHeight : Math.max(3, infoHeight - operations.length - 2)),
          )
          .map((line, i) => (
            <Text key={i} wrap="truncate-end">
              {line}
            </Text>
          ))}
      </Pane>
      <Pane title="Operations" focused={pane === 'ops'}>
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
      </Pane>
    </Box>
  );
}
