import React, { useLayoutEffect, useEffect, useRef, useState } from 'react';
import { Box } from 'ink';
import { Text } from '../text.js';
import type { KeyRecord, SearchHit, ServerImportResult } from '@keyport/core';
import { Busy, TextField, VirtualList, moveCursor, toastFromError, toggled, useKeys } from '../components.js';
import type { ScreenProps } from '../App.js';
import { formatImportLine } from '../../output.js';
import { serverImportCounts } from '../../actions.js';

/**
 * Whether a search result is a key already held, and whether the server's copy has something
 * the local one lacks (a user ID, a revocation, another expiry): `held*` then, and an import
 * would update it.
 */
export function heldMark(hit: SearchHit, held: ReadonlyMap<string, KeyRecord>): '' | 'held' | 'held*' {
  const local =
    (hit.fingerprint && held.get(hit.fingerprint.toUpperCase())) ||
    (hit.keyId ? [...held.values()].find((k) => k.summary.keyId.toUpperCase() === hit.keyId!.toUpperCase()) : undefined);
  if (!local) return '';
  const s = local.summary;
  const ours = new Set(s.userIds.map((u) => u.userId));
  const differs =
    hit.userIds.some((u) => !ours.has(u)) ||
    (hit.revoked && !s.revoked) ||
    (hit.expires ?? null)?.slice(0, 10) !== (s.expires ?? null)?.slice(0, 10);
  return differs ? 'held*' : 'held';
}

/** Search a key server (the default one preselected) and import the chosen results. */
export function ImportScreen({ kp, store, keys, height, width, back, notify, setCapturing }: ScreenProps) {
  const servers = kp.keyservers.list();
  const [serverIndex, setServerIndex] = useState(
    Math.max(
      0,
      servers.findIndex((s) => s.isDefault),
    ),
  );
  const [query, setQuery] = useState('');
  const [focus, setFocus] = useState<'query' | 'results'>('query');
  const [hits, setHits] = useState<SearchHit[] | null>(null);
  const [cursor, setCursor] = useState(0);
  const [chosen, setChosen] = useState<Set<number>>(new Set());
  const [busy, setBusy] = useState<string | null>(null);
  const [report, setReport] = useState<ServerImportResult[] | null>(null);
  const running = useRef<AbortController | null>(null);
  const server = servers[serverIndex]?.url;
  const held = React.useMemo(() => new Map(keys.map((k) => [k.summary.fingerprint.toUpperCase(), k])), [keys]);
  // In the commit: the footer and q must know before the next key.
  useLayoutEffect(() => setCapturing(focus === 'query' && !report), [focus, report, setCapturing]);
  useEffect(() => () => running.current?.abort(), []);

  /** Runs `work` with a status line and Esc to cancel it; a failure becomes a message. */
  const whileBusy = async (label: string, work: (signal: AbortSignal) => Promise<void>) => {
    running.current = new AbortController();
    setBusy(label);
    try {
      await work(running.current.signal);
    } catch (e) {
      notify(toastFromError(e));
    } finally {
      setBusy(null);
    }
  };

  const search = (text: string) => {
    if (!text.trim()) return;
    return whileBusy(`searching ${server ?? 'the default server'}…`, async (signal) => {
      const found = await kp.keyservers.search(text.trim(), server, signal);
      setHits(found.hits);
      setCursor(0);
      setChosen(new Set());
      setFocus('results');
      notify({ kind: 'info', text: `${found.hits.length} keys found on ${found.server}` });
    });
  };

  const importChosen = () => {
    if (!hits || hits.length === 0) return;
    const rows = chosen.size > 0 ? [...chosen].map((i) => hits[i]!) : [hits[cursor]!];
    const ids = rows.map((h) => h.fingerprint ?? h.keyId).filter((x): x is string => Boolean(x));
    if (ids.length === 0)
      return notify({
        kind: 'warning',
        text: 'the server gave no fingerprint or key ID for that result',
      });
    return whileBusy(`importing ${ids.length} key(s)…`, async (signal) => {
      const r = await kp.keyservers.importFromServer(ids, server, { signal, into: store.into });
      setReport(r.results);
      const s = r.summary;
      notify({
        kind: s.rejected + s.notFound > 0 ? 'warning' : 'info',
        text: `imported: ${serverImportCounts(s)}`,
      });
    });
  };

  useKeys(
    (input, key) => {
      if (key.escape) {
        if (busy) running.current?.abort();
        else if (report) setReport(null);
        else back();
        return;
      }
      if (report) {
        if (key.return) setReport(null);
        return;
      }
      if (key.tab) return setFocus((f) => (f === 'query' ? 'results' : 'query'));
      if (focus !== 'results') return;
      const n = Math.max(1, servers.length);
      if (input === ']') return setServerIndex((i) => (i + 1) % n);
      if (input === '[') return setServerIndex((i) => (i + n - 1) % n);
      if (!hits) return;
      if (moveCursor(input, key, hits.length, Math.max(1, height - 6), setCursor)) return;
      if (input === ' ') {
        setChosen((c) => toggled(c, cursor));
      } else if (key.return) void importChosen();
    },
    { isActive: focus === 'results' || Boolean(report) || Boolean(busy) },
  );
  // In the search field ←→ move the text cursor; Tab goes to the results.
  useKeys(
    (_input, key) => {
      if (key.tab) setFocus('results');
    },
    { isActive: focus === 'query' && !report && !busy },
  );

  // Narrow terminals give the width to the user IDs: algorithm first, then dates, then the
  // fingerprint shortens to the long key ID.
  const showAlgo = width >= 150;
  const showDates = width >= 120;
  const idWidth = width >= 100 ? 40 : 16;
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        Server: <Text bold>{server ?? '(none: add one in settings)'}</Text>
        {servers.length > 1 ? (
          <Text dimColor>
            {' '}
            ([ ] {serverIndex + 1}/{servers.length}, in the results)
          </Text>
        ) : null}
      </Text>
      <TextField
        label="Search:"
        value={query}
        onChange={setQuery}
        onSubmit={(v) => void search(v)}
        onCancel={back}
        active={focus === 'query' && !report && !busy}
        placeholder="fingerprint, key ID, email or name"
      />
      {busy ? <Busy label={busy} /> : null}
      {report ? (
        <Box flexDirection="column">
          <Text bold>Import report (Enter or Esc to go on)</Text>
          {report.map((r, i) => (
            <Text key={i} wrap="truncate-end">
              {formatImportLine(r)}
            </Text>
          ))}
        </Box>
      ) : hits ? (
        <Box flexDirection="column">
          <Text dimColor wrap="truncate-end">
            {`  ${'    '}${'key'.padEnd(idWidth)} ${showDates ? `${'created'.padEnd(10)} ${'expires'.padEnd(10)} ` : ''}${showAlgo ? `${'algorithm'.padEnd(11)} ` : ''}user IDs`}
          </Text>
          <VirtualList
            items={hits}
            cursor={focus === 'results' ? cursor : -1}
            height={Math.max(1, height - 6)}
            empty="no keys found"
            render={(h, i) => {
              const mark = heldMark(h, held);
              const id = h.fingerprint ?? h.keyId ?? '?';
              return (
                <Text dimColor={h.revoked || h.expired} wrap="truncate-end">
                  {chosen.has(i) ? '[x]' : '[ ]'} {(idWidth < id.length ? id.slice(-idWidth) : id).padEnd(idWidth)}{' '}
                  {showDates ? `${(h.created ?? '').slice(0, 10).padEnd(10)} ${(h.expires ?? 'never').slice(0, 10).padEnd(10)} ` : ''}
                  {showAlgo ? `${(h.algorithm ?? '?').padEnd(11)} ` : ''}
                  {mark ? `(${mark}) ` : ''}
                  {h.userIds.join('; ')}
                  {h.revoked ? ' [revoked]' : h.expired ? ' [expired]' : ''}
                  {h.disabled ? ' [disabled]' : ''}
                </Text>
              );
            }}
          />
          <Text dimColor wrap="truncate-end">
            (held): in your keyring · (held*): the server's copy has more (user IDs, revocation, expiry)
          </Text>
        </Box>
      ) : null}
    </Box>
  );
}
