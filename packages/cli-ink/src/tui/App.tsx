import React, { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Box } from 'ink';
import { Text } from './text.js';
import type { KeyRecord, Keyport } from '@keyport/core';
import { KeysProvider, ScreenActive, StatusLine, useKeys, useTerminalSize, type Toast } from './components.js';
import { KeysScreen } from './screens/Keys.js';
import { DetailsScreen } from './screens/Details.js';
import { ImportScreen } from './screens/Import.js';
import { SyncScreen } from './screens/Sync.js';
import { PublishScreen } from './screens/Publish.js';
import { SettingsScreen } from './screens/Settings.js';

/** Where the user is. Screens stack: Esc goes back one. */
export type Route =
  | { screen: 'keys' }
  | { screen: 'details'; fingerprint: string }
  | { screen: 'import' }
  | { screen: 'sync'; fingerprints: string[] | 'all' }
  | { screen: 'publish'; fingerprint: string; verifyOnly?: boolean }
  | { screen: 'settings' };

/** What every screen gets from the frame. */
export interface ScreenProps {
  kp: Keyport;
  keys: KeyRecord[];
  /** Rows available to the screen's body. */
  height: number;
  width: number;
  go: (route: Route) => void;
  back: () => void;
  notify: (toast: Toast) => void;
  /** A screen that is typing text says so, so q and ? reach the text field. */
  setCapturing: (capturing: boolean) => void;
  now: number;
}

const HELP: [string, string][] = [
  ['↑↓ j k', 'move; PgUp PgDn, g G: page, top, end'],
  ['Enter', 'open / confirm'],
  ['Esc', 'back, or cancel running work'],
  ['Tab', 'next pane or field'],
  ['/', 'filter (keys)'],
  ['Space', 'select several (keys, search results) or toggle'],
  ['← → 1-4', 'tabs'],
  ['i', 'import from a key server'],
  ['s', 'sync the selected keys, or all of them'],
  ['p', 'publish the key under the cursor'],
  [',', 'settings: key servers, network, modules'],
  ['?', 'this help'],
  ['q', 'quit'],
];

const FOOTERS: Record<Route['screen'], string> = {
  keys: '⏎ open  / filter  ␣ select  ←→ tabs  i import  s sync  p publish  , settings  ? help  q quit',
  details: 'Tab pane · ↑↓ choose · Enter run · Esc back · ? help',
  import: 'Tab field/results · ←→ server · Enter search/import · Space select · Esc back',
  sync: 'Esc cancel (keeps what finished) · ↑↓ scroll results · Enter done',
  publish: 'Space choose address · Enter continue · Esc back',
  settings:
    '←→ section · ↑↓ choose · a add · e edit · d delete · t test · T test all · Enter default / toggle · Esc back',
};

/** The whole terminal UI: header, the current screen, the status line and the footer. */
export function App(props: { kp: Keyport; onQuit: () => void; initialKeys: KeyRecord[]; now?: number }) {
  return (
    <KeysProvider>
      <Frame {...props} />
    </KeysProvider>
  );
}

function Frame({
  kp,
  onQuit,
  initialKeys,
  now: fixedNow,
}: {
  kp: Keyport;
  onQuit: () => void;
  initialKeys: KeyRecord[];
  now?: number;
}) {
  // One clock reading for the session: a new one per render would change every screen's props
  // and re-filter the whole key list on each key press.
  const [now] = useState(() => fixedNow ?? Date.now());
  const { columns, rows } = useTerminalSize();
  const [stack, setStack] = useState<Route[]>([{ screen: 'keys' }]);
  const [keys, setKeys] = useState(initialKeys);
  const [toast, setToast] = useState<Toast | null>(null);
  const [help, setHelp] = useState(false);
  const [capturing, setCapturing] = useState(false);
  const [, setTick] = useState(0);
  const route = stack[stack.length - 1]!;
  const toastTimer = useRef<NodeJS.Timeout | undefined>(undefined);

  const notify = useCallback((t: Toast) => {
    setToast(t);
    clearTimeout(toastTimer.current);
    // Errors stay until the next message: they carry the next step.
    if (t.kind !== 'error') toastTimer.current = setTimeout(() => setToast(null), 6000);
  }, []);

  // The keyring changes under the UI (imports, syncs, deletes): reload the list.
  useEffect(() => {
    const reload = () => void kp.keyring.list('all').then(setKeys, () => undefined);
    const subs = [
      kp.bus.on('keyring:changed', reload),
      kp.bus.on('module:state', () => setTick((n) => n + 1)),
      kp.bus.on('settings:changed', () => setTick((n) => n + 1)),
    ];
    return () => {
      for (const s of subs) s.dispose();
      clearTimeout(toastTimer.current);
    };
  }, [kp]);

  const go = useCallback((r: Route) => setStack((s) => [...s, r]), []);
  const back = useCallback(() => {
    setCapturing(false);
    setStack((s) => (s.length > 1 ? s.slice(0, -1) : s));
  }, []);

  useKeys((input, key) => {
    if (help) {
      if (key.escape || input === '?' || input === 'q') setHelp(false);
      return;
    }
    if (capturing) return;
    if (input === '?') setHelp(true);
    else if (input === 'q') onQuit();
  });

  const enabled = kp.modules
    .list()
    .filter((m) => m.state === 'enabled')
    .map((m) => m.id);
  const status = kp.ui.statusItems();
  const header = `keyport · ${kp.paths.home ?? kp.paths.keyringDir} · ${keys.length} keys`;
  const context = `default ${kp.keyservers.defaultServer()} · modules ${enabled.join(', ') || 'none'}${status.length ? ` · ${status.map((s) => `${s.label} ${s.value}`).join(' · ')}` : ''}`;
  // Two header lines, the status line and the footer; the rest is the screen's.
  const bodyHeight = Math.max(5, rows - 5);
  const props: ScreenProps = useMemo(
    () => ({ kp, keys, height: bodyHeight, width: columns, go, back, notify, setCapturing, now }),
    [kp, keys, bodyHeight, columns, go, back, notify, now],
  );

  return (
    <Box flexDirection="column" width={columns}>
      <Text bold wrap="truncate-end">
        {header}
      </Text>
      <Text dimColor wrap="truncate-end">
        {context}
      </Text>
      <Box flexDirection="column" height={bodyHeight}>
        {help ? (
          <Box flexDirection="column" borderStyle="round" paddingX={1}>
            <Text bold>Keys (? or Esc closes)</Text>
            {HELP.map(([k, what]) => (
              <Text key={k}>
                <Text bold>{k.padEnd(10)}</Text> {what}
              </Text>
            ))}
          </Box>
        ) : null}
        {/* Screens under the top one stay mounted (hidden, keys off) so going back finds them
            as they were: tab, filter, cursor, selection. */}
        {stack.map((r, i) => {
          const top = i === stack.length - 1;
          return (
            <Box key={`${i}:${JSON.stringify(r)}`} display={top && !help ? 'flex' : 'none'} flexDirection="column">
              <ScreenActive.Provider value={top && !help}>
                <CurrentScreen route={r} props={props} />
              </ScreenActive.Provider>
            </Box>
          );
        })}
      </Box>
      <StatusLine toast={toast} />
      <Text dimColor wrap="truncate-end">
        {FOOTERS[route.screen]}
      </Text>
    </Box>
  );
}

function CurrentScreen({ route, props }: { route: Route; props: ScreenProps }) {
  switch (route.screen) {
    case 'keys':
      return <KeysScreen {...props} />;
    case 'details':
      return <DetailsScreen {...props} fingerprint={route.fingerprint} />;
    case 'import':
      return <ImportScreen {...props} />;
    case 'sync':
      return <SyncScreen {...props} fingerprints={route.fingerprints} />;
    case 'publish':
      return (
        <PublishScreen
          {...props}
          fingerprint={route.fingerprint}
          verifyOnly={route.verifyOnly ?? false}
        />
      );
    case 'settings':
      return <SettingsScreen {...props} />;
  }
}
