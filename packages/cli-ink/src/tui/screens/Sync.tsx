import React, { useEffect, useRef, useState } from 'react';
import { Box } from 'ink';
import { Text } from '../text.js';
import type { SyncReport } from '@keyport/core';
import {
  Confirm,
  ProgressBar,
  VirtualList,
  moveCursor,
  toastFromError,
  useKeys,
} from '../components.js';
import type { ScreenProps } from '../App.js';
import { syncCounts } from '../../actions.js';

const STATUSES = [
  'updated',
  'unchanged',
  'not-found',
  'failed',
  'skipped',
  'new',
  'rejected',
] as const;

/** Sync the chosen keys (or all, after a confirmation) with progress, counts and cancel. */
export function SyncScreen({
  kp,
  store,
  keys,
  height,
  back,
  notify,
  fingerprints,
  what,
}: ScreenProps & { fingerprints: string[] | 'all'; what?: string }) {
  // Sync of all keys, or of a list picked in the key list, is confirmed with its count first.
  const [confirmed, setConfirmed] = useState(fingerprints !== 'all' && what === undefined);
  const [progress, setProgress] = useState<{
    done: number;
    total: number;
    counts: Record<string, number>;
  }>({ done: 0, total: 0, counts: {} });
  const [report, setReport] = useState<SyncReport | null>(null);
  const [cursor, setCursor] = useState(0);
  const running = useRef<AbortController | null>(null);
  const route = kp.routing.route('sync');
  const target = route
    ? `${route.server.href.replace(/\/$/, '')} (${route.engineId.toUpperCase()})`
    : `${kp.keyservers.defaultServer()} (default server)`;

  useEffect(() => {
    if (!confirmed) return;
    const controller = new AbortController();
    running.current = controller;
    const sub = kp.bus.on('progress', (p) => {
      if (p.operation === 'sync')
        setProgress({ done: p.done, total: p.total ?? 0, counts: p.counts ?? {} });
    });
    store.publishing.sync(fingerprints, { signal: controller.signal }).then(
      (r) => {
        setReport(r);
        const s = r.summary;
        notify({
          kind: r.cancelled ? 'warning' : s.failed > 0 ? 'warning' : 'info',
          text: `${r.cancelled ? 'sync cancelled; kept what finished: ' : 'sync done: '}${syncCounts(r)}`,
        });
      },
      (e: unknown) => {
        notify(toastFromError(e));
        back();
      },
    );
    return () => {
      sub.dispose();
      controller.abort();
    };
    // Runs once per confirmed sync.
  }, [confirmed]);

  useKeys(
    (input, key) => {
      if (key.escape) {
        if (report) back();
        else running.current?.abort();
        return;
      }
      if (report) {
        if (key.return) back();
        else moveCursor(input, key, report.results.length, Math.max(1, height - 5), setCursor);
      }
    },
    { isActive: confirmed },
  );

  if (!confirmed) {
    const chosen = fingerprints === 'all' ? null : new Set(fingerprints);
    const count = keys.filter((k) => !k.hasSecret && (!chosen || chosen.has(k.summary.fingerprint))).length;
    return (
      <Confirm
        message={
          chosen
            ? `Sync the ${count} public key(s) of the ${what ?? `${chosen.size} chosen`} with ${target}?`
            : `Sync all ${count} public keys with ${target}?`
        }
        details={['your own keys are skipped: publish them instead']}
        onYes={() => setConfirmed(true)}
        onNo={back}
      />
    );
  }
  const counts = report ? report.summary : progress.counts;
  const total = report ? report.results.length : progress.total;
  const done = report ? report.results.length : progress.done;
  return (
    <Box flexDirection="column">
      <Text>
        Sync with <Text bold>{target}</Text>
        {report
          ? report.cancelled
            ? ' · cancelled'
            : ' · done'
          : ' · running (Esc cancels, keeps what finished)'}
      </Text>
      <ProgressBar done={done} total={total} />
      <Text>
        {STATUSES.filter((s) => (counts as Record<string, number>)[s])
          .map((s) => `${s} ${(counts as Record<string, number>)[s]}`)
          .join(' · ') || 'waiting for the first answers…'}
      </Text>
      {report ? (
        <VirtualList
          items={report.results}
          cursor={cursor}
          height={Math.max(1, height - 5)}
          render={(r) => (
            <Text wrap="truncate-end" dimColor={r.status === 'unchanged' || r.status === 'skipped'}>
              {r.status.padEnd(10)} {r.fingerprint ?? '?'} {r.reason ?? ''}
              {r.status === 'updated'
                ? `+${r.added.userIds} uid +${r.added.subkeys} sub +${r.added.signatures} sig +${r.added.revocations} rev`
                : ''}
            </Text>
          )}
        />
      ) : null}
    </Box>
  );
}
