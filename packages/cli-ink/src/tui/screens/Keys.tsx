import React, { memo, useLayoutEffect, useEffect, useMemo, useRef, useState } from 'react';
import { Box } from 'ink';
import { Text } from '../text.js';
import { userIdForDisplay, type KeyRecord } from '@keyport/core';
import { isExpired } from '../../output.js';
import { Confirm, TextField, VirtualList, moveCursor, toastFromError, toggled, useKeys } from '../components.js';
import type { ScreenProps } from '../App.js';
import { exportKeys, ExportTargetExists } from '../export.js';

const TABS = ['All', 'Expired', 'Revoked', 'Secret'] as const;
type Tab = (typeof TABS)[number];
const SORTS = ['name', 'created', 'expires'] as const;
type Sort = (typeof SORTS)[number];

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

/** Lower case without accents: `Jeremy` finds `Jérémy`. */
export function folded(text: string): string {
  // Most user IDs are ASCII: skip the (costly) decomposition for them.
  // eslint-disable-next-line no-control-regex -- the ASCII range
  if (/^[\u0000-\u007F]*$/.test(text)) return text.toLowerCase();
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

export function primaryUserId(k: KeyRecord): string {
  const s = k.summary;
  return s.userIds.find((u) => u.primary)?.userId ?? s.userIds[0]?.userId ?? '(no user ID)';
}

/**
 * Whether a key matches the filter: its user IDs by case- and accent-insensitive substring, or its
 * fingerprint or key ID as hex, with a `0x` prefix and spaces (as gpg prints them) ignored.
 */
export function matchesFilter(k: KeyRecord, filter: string): boolean {
  return matcher(filter)(searchText(k));
}

/**
 * What the filter looks in and the name the list sorts by, folded once per key (not once per key
 * per keystroke). Sorting by name needs every key's anyway, before the first frame, so the filter
 * text is made with it: the first filter key then finds it ready.
 */
interface SearchText {
  fingerprint: string;
  userIds: string;
  /** The primary user ID (see primaryUserId), folded. */
  name: string;
}
const searchTexts = new WeakMap<KeyRecord, SearchText>();
function searchText(k: KeyRecord): SearchText {
  let t = searchTexts.get(k);
  if (!t) {
    const userIds = k.summary.userIds;
    const foldedIds = userIds.map((u) => folded(u.userId));
    const primary = Math.max(0, userIds.findIndex((u) => u.primary));
    t = { fingerprint: k.summary.fingerprint.toLowerCase(), userIds: foldedIds.join('\n'), name: foldedIds[primary] ?? folded(primaryUserId(k)) };
    searchTexts.set(k, t);
  }
  return t;
}
/** A filter as it is matched: folded text, and the hex it also stands for (if it is hex). */
interface Query {
  text: string;
  hex: string | null;
}
function query(filter: string): Query {
  const text = folded(filter.trim());
  const hex = text.replace(/^0x/, '').replace(/\s+/g, '');
  return { text, hex: /^[0-9a-f]+$/.test(hex) ? hex : null };
}
function matcher(filter: string | Query): (t: SearchText) => boolean {
  const { text, hex } = typeof filter === 'string' ? query(filter) : filter;
  if (!text) return () => true;
  return (t) => (hex !== null && t.fingerprint.includes(hex)) || t.userIds.includes(text);
}
/**
 * Whether every key `next` matches also matched `previous`, so typing on can search the last
 * result instead of the whole keyring: the text only grew, and any hex match was one before.
 * (`0` then `0xa` is not: `0x` turns the hex part from `0` into `a`.)
 */
export function narrows(previous: string, next: string): boolean {
  const was = query(previous);
  const is = query(next);
  if (!was.text) return true;
  if (!is.text.includes(was.text)) return false;
  return is.hex === null || (was.hex !== null && is.hex.includes(was.hex));
}

/** Plain code-unit order: on 10,000 keys localeCompare (Intl) costs more than the first frame may. */
const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function sortKeys(keys: KeyRecord[], by: Sort): KeyRecord[] {
  const name = new Map(keys.map((k) => [k, searchText(k).name]));
  const byName = (a: KeyRecord, b: KeyRecord) => order(name.get(a)!, name.get(b)!) || order(a.summary.fingerprint, b.summary.fingerprint);
  if (by === 'name') return [...keys].sort(byName);
  // Newest first; keys that never expire last.
  const at = (k: KeyRecord) => (by === 'created' ? Date.parse(k.summary.created) : k.summary.expires ? Date.parse(k.summary.expires) : Infinity);
  return [...keys].sort((a, b) => (by === 'created' ? at(b) - at(a) : at(a) - at(b)) || byName(a, b));
}

type Dialog =
  | { kind: 'export'; path: string }
  | { kind: 'overwrite'; path: string }
  | { kind: 'delete' };

/** The Key Manager: tabs, filter as you type, sort, multi-select, and the way to every operation. */
export function KeysScreen({ store, keys, height, width, go, notify, setCapturing, now, reload }: ScreenProps) {
  const [tab, setTab] = useState<Tab>('All');
  const [sort, setSort] = useState<Sort>('name');
  const [filter, setFilter] = useState('');
  const [filtering, setFiltering] = useState(false);
  const [cursor, setCursor] = useState(0);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const sorted = useMemo(() => sortKeys(keys, sort), [keys, sort]);
  const inThisTab = useMemo(() => (tab === 'All' ? sorted : sorted.filter((k) => inTab(k, tab, now))), [sorted, tab, now]);
  // Typing on in the filter searches the last result, not the whole keyring (it only narrows).
  const lastShown = useRef<{ from: KeyRecord[]; filter: string; shown: KeyRecord[] } | null>(null);
  const shown = useMemo(() => {
    const last = lastShown.current;
    const from = last && last.from === inThisTab && narrows(last.filter, filter) ? last.shown : inThisTab;
    const matches = matcher(filter);
    const result = filter.trim() ? from.filter((k) => matches(searchText(k))) : inThisTab;
    lastShown.current = { from: inThisTab, filter, shown: result };
    return result;
  }, [inThisTab, filter]);
  // Keys deleted elsewhere leave the selection.
  useEffect(() => {
    setSelected((s) => {
      if (s.size === 0) return s;
      const held = new Set(keys.map((k) => k.summary.fingerprint));
      const kept = [...s].filter((f) => held.has(f));
      return kept.length === s.size ? s : new Set(kept);
    });
  }, [keys]);
  useEffect(() => setCursor((c) => Math.min(c, Math.max(0, shown.length - 1))), [shown.length]);
  // In the commit: the footer and q must know before the next key.
  useLayoutEffect(() => setCapturing(filtering || dialog?.kind === 'export'), [filtering, dialog, setCapturing]);
  // Opening and closing the filter also tell the frame in the same update, so the key is drawn
  // once: left to the effect alone, it draws the whole screen a second time.
  const showFilter = (open: boolean) => {
    setFiltering(open);
    setCapturing(open);
  };
  const current = shown[cursor];
  const listHeight = Math.max(1, height - 3);
  /** What an action applies to: the selection, else the keys shown. */
  const targets = selected.size > 0 ? [...selected] : shown.map((k) => k.summary.fingerprint);
  const targetWords = selected.size > 0 ? `${selected.size} selected` : `${shown.length} shown`;

  const runExport = (file: string, overwrite: boolean) => {
    exportKeys(store, targets, file, { overwrite }).then(
      (r) => {
        setDialog(null);
        notify({ kind: 'info', text: `exported ${r.count} public key(s) to ${r.path}` });
      },
      (e: unknown) => {
        if (e instanceof ExportTargetExists) setDialog({ kind: 'overwrite', path: e.path });
        else {
          setDialog(null);
          notify(toastFromError(e));
        }
      },
    );
  };

  useKeys(
    (input, key) => {
      if (key.paste) {
        // Pasted into the list: it is a filter (a fingerprint, an address), never keys.
        setFilter(input.trim());
        showFilter(true);
        return;
      }
      if (moveCursor(input, key, shown.length, listHeight, setCursor)) return;
      const t = TABS.indexOf(tab);
      if (key.rightArrow) setTab(TABS[(t + 1) % TABS.length]!);
      else if (key.leftArrow) setTab(TABS[(t + TABS.length - 1) % TABS.length]!);
      else if (/^[1-4]$/.test(input)) setTab(TABS[Number(input) - 1]!);
      else if (input === '/') showFilter(true);
      else if (input === 'o') setSort((s) => SORTS[(SORTS.indexOf(s) + 1) % SORTS.length]!);
      else if (input === ' ' && current) {
        setSelected((s) => toggled(s, current.summary.fingerprint));
      } else if (key.escape) {
        // Esc undoes one thing at a time: the selection, then the filter.
        if (selected.size > 0) setSelected(new Set());
        else if (filter) setFilter('');
      } else if (key.return && current)
        go({ screen: 'details', fingerprint: current.summary.fingerprint });
      else if (input === 'i') go({ screen: 'import' });
      else if (input === 'f') go({ screen: 'file-import' });
      else if (input === 'r') reload();
      else if (input === 's') {
        if (selected.size === 0 && !filter && tab === 'All') go({ screen: 'sync', fingerprints: 'all' });
        else if (targets.length === 0) notify({ kind: 'warning', text: 'no key shown to sync' });
        else go({ screen: 'sync', fingerprints: targets, what: targetWords });
      } else if (input === 'x') {
        if (targets.length === 0) notify({ kind: 'warning', text: 'no key shown to export' });
        else setDialog({ kind: 'export', path: targets.length === 1 ? `${targets[0]}.asc` : 'keys.asc' });
      } else if (input === 'D') {
        if (selected.size === 0) notify({ kind: 'warning', text: 'select keys with Space first, then D deletes them' });
        else if (!store.deletesSecretKeys && keys.every((k) => !selected.has(k.summary.fingerprint) || k.hasSecret))
          notify({ kind: 'warning', text: `keyport does not delete secret keys from ${store.id}${store.id === 'gnupg' ? ': use gpg --delete-secret-and-public-keys' : ''}` });
        else setDialog({ kind: 'delete' });
      } else if (input === 'p') {
        if (current) go({ screen: 'publish', fingerprint: current.summary.fingerprint });
        else notify({ kind: 'warning', text: 'no key under the cursor to publish' });
      } else if (input === ',') go({ screen: 'settings' });
    },
    { isActive: !filtering && dialog === null, paste: true },
  );

  if (dialog?.kind === 'overwrite') {
    return (
      <Confirm
        message={`${dialog.path} exists. Replace it?`}
        onYes={() => runExport(dialog.path, true)}
        onNo={() => setDialog({ kind: 'export', path: dialog.path })}
      />
    );
  }
  if (dialog?.kind === 'delete') {
    const secretOnes = new Set(keys.filter((k) => selected.has(k.summary.fingerprint) && k.hasSecret).map((k) => k.summary.fingerprint));
    const withSecret = secretOnes.size;
    // A store that leaves secret keys to its own tool (GnuPG) deletes the others and keeps those.
    const kept = store.deletesSecretKeys ? 0 : withSecret;
    return (
      <Confirm
        message={
          kept
            ? `Delete ${selected.size - kept} of the ${selected.size} selected key(s)? ${kept} with secret keys stay: keyport does not delete secret keys from ${store.id}`
            : `Delete the ${selected.size} selected key(s)${withSecret ? `, ${withSecret} WITH THEIR SECRET KEYS` : ''}?`
        }
        details={kept ? (store.id === 'gnupg' ? ['delete those with gpg --delete-secret-and-public-keys'] : []) : withSecret ? ['a secret key cannot be recovered unless you have a backup'] : []}
        onNo={() => setDialog(null)}
        onYes={() => {
          const doomed = kept ? [...selected].filter((f) => !secretOnes.has(f)) : [...selected];
          setDialog(null);
          void (async () => {
            let deleted = 0;
            try {
              for (const f of doomed) {
                await store.delete(f);
                deleted++;
              }
              setSelected(kept ? new Set(secretOnes) : new Set());
              notify({ kind: 'info', text: `deleted ${deleted} key(s)${kept ? `; the ${kept} with secret keys stay selected` : ''}` });
            } catch (e) {
              notify(toastFromError(e));
            }
          })();
        }}
      />
    );
  }

  // Narrow terminals give the width to the user ID: the date goes first, then the key ID shrinks.
  const showDate = width >= 90;
  const longId = width >= 70;
  return (
    <Box flexDirection="column">
      <Box>
        {TABS.map((t, i) => (
          <Text key={t} inverse={t === tab} bold={t === tab}>
            {` ${i + 1} ${t}${t === tab ? ` (${shown.length})` : ''} `}
          </Text>
        ))}
        <Text dimColor wrap="truncate-end">
          {` by ${sort}`}
          {selected.size > 0 ? `  ${selected.size} selected (Esc clears)` : ''}
        </Text>
      </Box>
      {dialog?.kind === 'export' ? (
        <TextField
          label={`Export ${targetWords} key(s) to:`}
          value={dialog.path}
          onChange={(p) => setDialog({ kind: 'export', path: p })}
          active
          onSubmit={(p) => (p.trim() ? runExport(p.trim(), false) : undefined)}
          onCancel={() => setDialog(null)}
        />
      ) : (
        <TextField
          label="/"
          value={filter}
          onChange={setFilter}
          active={filtering}
          placeholder="filter: name, address or fingerprint"
          onSubmit={() => showFilter(false)}
          onCancel={() => {
            setFilter('');
            showFilter(false);
          }}
        />
      )}
      <VirtualList
        items={shown}
        cursor={cursor}
        height={listHeight}
        empty={
          keys.length === 0
            ? 'The keyring is empty. Press i to import from a key server, or f to import a file'
            : 'no key matches'
        }
        render={(k) => (
          <KeyRow record={k} selected={selected.has(k.summary.fingerprint)} now={now} longId={longId} showDate={showDate} />
        )}
      />
    </Box>
  );
}

/**
 * One row of the list; memoised, so a key press redraws only the rows that changed. One string,
 * so React and Ink handle one text node per row rather than one per field.
 */
const KeyRow = memo(function KeyRow({
  record,
  selected,
  now,
  longId,
  showDate,
}: {
  record: KeyRecord;
  selected: boolean;
  now: number;
  longId: boolean;
  showDate: boolean;
}) {
  const s = record.summary;
  const expired = isExpired(s.expires, now);
  const shownUserId = s.userIds.find((u) => u.primary) ?? s.userIds[0];
  const uid = shownUserId ? userIdForDisplay(shownUserId) : '(no user ID)';
  const id = longId ? s.keyId : s.keyId.slice(-8);
  const date = showDate ? `${s.created.slice(0, 10)} ` : '';
  const state = s.revoked ? ' [revoked]' : expired ? ' [expired]' : '';
  return (
    <Text dimColor={s.revoked || expired} strikethrough={s.revoked}>
      {`${selected ? '[x]' : '[ ]'} ${record.hasSecret ? 'sec' : 'pub'} ${id} ${date}${uid}${state}`}
    </Text>
  );
});
