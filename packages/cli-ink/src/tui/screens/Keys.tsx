import React, { useEffect, useMemo, useState } from 'react';
import { Box } from 'ink';
import { Text } from '../text.js';
import { userIdForDisplay, type KeyRecord } from '@keyport/core';
import { isExpired } from '../../output.js';
import { TextField, VirtualList, moveCursor, toggled, useKeys } from '../components.js';
import type { ScreenProps } from '../App.js';

const TABS = ['All', 'Expired', 'Revoked', 'Secret'] as const;
type Tab = (typeof TABS)[number];

function inTab(k: KeyRecord, tab: Tab, now: number): boolean {
  switch (tab) {
    case 'All':
      return true;
    case 'Expired':
      return isExpired(k.summary.expires, now);
    case 'Revoked':
      return k.summary.revoked;
    case 'Secret':
      return k.hasSecret;
  }
}

function matchesFilter(k: KeyRecord, filter: string): boolean {
  if (!filter) return true;
  const f = filter.toLowerCase();
  const s = k.summary;
  return (
    s.fingerprint.toLowerCase().includes(f.replace(/\s+/g, '')) ||
    s.userIds.some((u) => u.userId.toLowerCase().includes(f))
  );
}

/** The Key Manager: tabs, filter as you type, multi-select, and the way to every operation. */
export function KeysScreen({ keys, height, go, notify, setCapturing, now }: ScreenProps) {
  const [tab, setTab] = useState<Tab>('All');
  const [filter, setFilter] = useState('');
  const [filtering, setFiltering] = useState(false);
  const [cursor, setCursor] = useState(0);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const shown = useMemo(
    () => keys.filter((k) => inTab(k, tab, now) && matchesFilter(k, filter)),
    [keys, tab, filter, now],
  );
  useEffect(() => setCursor((c) => Math.min(c, Math.max(0, shown.length - 1))), [shown.length]);
  useEffect(() => setCapturing(filtering), [filtering, setCapturing]);
  const current = shown[cursor];
  const listHeight = Math.max(1, height - 3);

  useKeys(
    (input, key) => {
      if (moveCursor(input, key, shown.length, listHeight, setCursor)) return;
      const t = TABS.indexOf(tab);
      if (key.rightArrow) setTab(TABS[(t + 1) % TABS.length]!);
      else if (key.leftArrow) setTab(TABS[(t + TABS.length - 1) % TABS.length]!);
      else if (/^[1-4]$/.test(input)) setTab(TABS[Number(input) - 1]!);
      else if (input === '/') setFiltering(true);
      else if (input === ' ' && current) {
        setSelected((s) => toggled(s, current.summary.fingerprint));
      } else if (key.escape && selected.size > 0) setSelected(new Set());
      else if (key.return && current)
        go({ screen: 'details', fingerprint: current.summary.fingerprint });
      else if (input === 'i') go({ screen: 'import' });
      else if (input === 's')
        go({ screen: 'sync', fingerprints: selected.size > 0 ? [...selected] : 'all' });
      else if (input === 'p') {
        if (current) go({ screen: 'publish', fingerprint: current.summary.fingerprint });
        else notify({ kind: 'warning', text: 'no key under the cursor to publish' });
      } else if (input === ',') go({ screen: 'settings' });
    },
    { isActive: !filtering },
  );

  return (
    <Box flexDirection="column">
      <Box>
        {TABS.map((t, i) => (
          <Text key={t} inverse={t === tab} bold={t === tab}>
            {` ${i + 1} ${t}${t === tab ? ` (${shown.length})` : ''} `}
          </Text>
        ))}
        <Text dimColor>{selected.size > 0 ? `  ${selected.size} selected (Esc clears)` : ''}</Text>
      </Box>
      <TextField
        label="/"
        value={filter}
        onChange={setFilter}
        active={filtering}
        placeholder="filter: name, address or fingerprint"
        onSubmit={() => setFiltering(false)}
        onCancel={() => {
          setFilter('');
          setFiltering(false);
        }}
      />
      <VirtualList
        items={shown}
        cursor={cursor}
        height={listHeight}
        empty={
          keys.length === 0
            ? 'The keyring is empty. Press i to import from a key server, or run keyport import --file FILE'
            : 'no key matches'
        }
        render={(k) => {
          const s = k.summary;
          const expired = isExpired(s.expires, now);
          const shownUserId = s.userIds.find((u) => u.primary) ?? s.userIds[0];
          const uid = shownUserId ? userIdForDisplay(shownUserId) : '(no user ID)';
          return (
            <Text dimColor={s.revoked || expired} strikethrough={s.revoked} wrap="truncate-end">
              {selected.has(s.fingerprint) ? '[x]' : '[ ]'} {k.hasSecret ? 'sec' : 'pub'} {s.keyId}{' '}
              {s.created.slice(0, 10)} {uid}
              {s.revoked ? ' [revoked]' : expired ? ' [expired]' : ''}
            </Text>
          );
        }}
      />
    </Box>
  );
}
