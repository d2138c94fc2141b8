import React, { useEffect, useRef, useState } from 'react';
import { Box } from 'ink';
import { Text } from '../text.js';
import type { SearchHit, ServerImportResult } from '@keyport/core';
import { TextField, VirtualList, moveCursor, toastFromError, toggled, useKeys } from '../components.js';
import type { ScreenProps } from '../App.js';
import { formatImportLine } from '../../output.js';
import { serverImportCounts } from '../../actions.js';

/** Search a key server (the default one preselected) and import the chosen results. */
export function ImportScreen({ kp, height, back, notify, setCapturing }: ScreenProps) {
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
  useEffect(() => setCapturing(focus === 'query' && !report), [focus, report, setCapturing]);
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
      const r = await kp.keyservers.importFromServer(ids, server, { signal });
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
      if (focus !== 'results' || !hits) return;
      if (moveCursor(input, key, hits.length, Math.max(1, height - 6), setCursor)) return;
      if (input === ' ') {
        setChosen((c) => toggled(c, cursor));
      } else if (key.return) void importChosen();
    },
    { isActive: focus === 'results' || Boolean(report) || Boolean(busy) },
  );
  // Server choice works while typing too (arrows are not text).
  useKeys(
    (_input, key) => {
      if (key.rightArrow) setServerIndex((i) => (i + 1) % Math.max(1, servers.length));
      else if (key.leftArrow)
        setServerIndex((i) => (i + Math.max(1, servers.length) - 1) % Math.max(1, servers.length));
      else if (key.tab) setFocus('results');
    },
    { isActive: focus === 'query' && !report && !busy },
  );

  return (
    <Box flexDirection="column">
      <Text>
        Server: <Text bold>{server ?? '(none: add one in settings)'}</Text>
        {servers.length > 1 ? (
          <Text dimColor>
            {' '}
            (←→ {serverIndex + 1}/{servers.length})
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
      {busy ? <Text color="cyan">{busy} (Esc cancels)</Text> : null}
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
          <Text dimColor>
            {
              '    key ID / fingerprint                      created     expires     algorithm   user IDs'
            }
          </Text>
          <VirtualList
            items={hits}
            cursor={focus === 'results' ? cursor : -1}
            height={Math.max(1, height - 6)}
            empty="no keys found"
            render={(h, i) => (
              <Text dimColor={h.revoked || h.expired} wrap="truncate-end">
                {chosen.has(i) ? '[x]' : '[ ]'} {(h.fingerprint ?? h.keyId ?? '?').padEnd(40)}{' '}
                {(h.created ?? '').slice(0, 10).padEnd(10)}{' '}
                {(h.expires ?? 'never').slice(0, 10).padEnd(10)}{' '}
                {(h.algorithm ?? '?').padEnd(11)} {h.userIds.join('; ')}
                {h.revoked ? ' [revoked]' : h.expired ? ' [expired]' : ''}
                {h.disabled ? ' [disabled]' : ''}
              </Text>
            )}
          />
        </Box>
      ) : null}
    </Box>
  );
}
