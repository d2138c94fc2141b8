import os from 'node:os';
import React, { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Box } from 'ink';
import { Plain, Text, colorsOff } from './text.js';
import type { KeyRecord, Keyport } from '@keyport/core';
import { FooterContext, KeysProvider, ScreenActive, StatusLine, fitFooter, useKeys, useTerminalSize, type Toast } from './components.js';
import { KeysScreen } from './screens/Keys.js';
import { DetailsScreen } from './screens/Details.js';
import { ImportScreen } from './screens/Import.js';
import { FileImportScreen } from './screens/FileImport.js';
import { SyncScreen } from './screens/Sync.js';
import { PublishScreen } from './screens/Publish.js';
import { SettingsScreen } from './screens/Settings.js';
import { storeForTui, type TuiStore } from './store.js';

/** Where the user is. Screens stack: Esc goes back one. */
export type Route =
  | { screen: 'keys' }
  | { screen: 'details'; fingerprint: string }
  | { screen: 'import' }
  | { screen: 'file-import' }
  /** `what` says which keys a list is ("3 selected", "12 shown"), for the confirmation. */
  | { screen: 'sync'; fingerprints: string[] | 'all'; what?: string }
  | { screen: 'publish'; fingerprint: string; verifyOnly?: boolean }
  | { screen: 'settings' };

/** What every screen gets from the frame. */
export interface ScreenProps {
  kp: Keyport;
  /** The key store the UI works on: keys, import, publishing and deletes go through it. */
  store: TuiStore;
  keys: KeyRecord[];
  /** Rows available to the screen's body. */
  height: number;
  width: number;
  go: (route: Route) => void;
  back: () => void;
  /** Shows a message in the status line while this screen is on top (and below, once it is left). */
  notify: (toast: Toast) => void;
  /** A screen that is typing text says so, so q and ? reach the text field. */
  setCapturing: (capturing: boolean) => void;
  /** Reads the keyring again (r). */
  reload: () => void;
  now: number;
}

/** Shown after a screen's own keys when there is room (the footer says them too). */
const COMMON_HELP: [string, string][] = [
  ['?', 'this help (? or Esc closes)'],
  ['q', 'quit (not while typing)'],
];

/** The keys of each screen, for the help overlay and (shortened to fit) the footer. */
const SCREEN_KEYS: Record<Route['screen'], { help: [string, string][]; footer: string[] }> = {
  keys: {
    help: [
      ['↑↓ j k', 'move; PgUp PgDn, g G: page, top, end'],
      ['Enter', 'key details and operations'],
      ['/', 'filter: name, address, fingerprint or key ID (0x, spaces, accents all fine)'],
      ['Esc', 'clear the selection, then the filter'],
      ['Space', 'select several keys'],
      ['← → 1-4', 'tabs: all, expired, revoked, secret'],
      ['o', 'sort by name, created or expires'],
      ['i', 'search a key server and import'],
      ['f', 'import a key file'],
      ['s', 'sync the selected keys, else the keys shown'],
      ['x', 'export the selected keys, else the keys shown, to a file'],
      ['D', 'delete the selected keys'],
      ['p', 'publish the key under the cursor'],
      ['r', 'read the keyring again (changes from other keyport runs appear by themselves)'],
      [',', 'settings: key servers, network, modules'],
    ],
    footer: ['⏎ open', '/ filter', '␣ select', '←→ tabs', 'i import', 'f file', 's sync', 'x export', 'o sort', 'p publish', ', settings'],
  },
  details: {
    help: [
      ['Tab', 'switch between the key and its operations'],
      ['↑↓ j k', 'choose an operation, or scroll the key'],
      ['Enter', 'run the operation'],
      ['c', 'check the publish status now'],
      ['S', "check each server's copy: current, stale (and what it lacks), absent, unverified, failed"],
      ['P', 'publish to the servers whose copy is stale (after S)'],
      ['Esc', 'back (stops a running check)'],
    ],
    footer: ['Tab pane', '↑↓ choose', '⏎ run', 'c check status', 'S servers', 'Esc back'],
  },
  import: {
    help: [
      ['type', 'the search: fingerprint, key ID, email or name'],
      ['← →', 'move in the search text'],
      ['Enter', 'search; in the results: import the chosen keys'],
      ['Tab', 'between the search and the results'],
      ['Space', 'choose several results'],
      ['[ ]', 'previous / next key server (in the results)'],
      ['Esc', 'cancel a running search or import, else back'],
    ],
    footer: ['⏎ search/import', 'Tab field/results', '␣ choose', '[ ] server', 'Esc back'],
  },
  'file-import': {
    help: [
      ['type', 'the path of a key file (armored or binary)'],
      ['Tab', 'complete the path'],
      ['Enter', 'import the file'],
      ['Esc', 'back'],
    ],
    footer: ['⏎ import', 'Tab complete', 'Esc back'],
  },
  sync: {
    help: [
      ['Esc', 'cancel (keeps what finished), or back when done'],
      ['↑↓ j k', 'scroll the results'],
      ['Enter', 'done'],
    ],
    footer: ['Esc cancel/back', '↑↓ results', '⏎ done'],
  },
  publish: {
    help: [
      ['Space', 'choose an address'],
      ['Enter', 'continue'],
      ['Esc', 'back'],
    ],
    footer: ['␣ choose address', '⏎ continue', 'Esc back'],
  },
  settings: {
    help: [
      ['← → Tab', 'section: key servers, network, modules'],
      ['↑↓ j k', 'choose'],
      ['a e d', 'add, edit, delete a key server'],
      ['t T', 'test the server, or all of them (Esc stops)'],
      ['Enter', 'make default, or toggle'],
      ['Esc', 'stop a running test, else back'],
    ],
    footer: ['←→ section', '↑↓ choose', 'a add', 'e edit', 'd delete', 't test', 'T test all', '⏎ default/toggle', 'Esc back'],
  },
};

/** What the terminal UI is opened with. */
interface AppProps {
  kp: Keyport;
  /** The key store to work on; default: the embedded keyring. */
  store?: TuiStore;
  /** A warning shown when the UI opens (the store chosen could not be opened, say). */
  notice?: string;
  onQuit: () => void;
  initialKeys: KeyRecord[];
  now?: number;
  /** No colours or attributes; default: from NO_COLOR and TERM. */
  plain?: boolean;
  /** Called when all keys received so far are handled and drawn (for tests). */
  onInputIdle?: () => void;
}

/** The whole terminal UI: header, the current screen, the status line and the footer. */
export function App(props: AppProps) {
  return (
    <Plain.Provider value={props.plain ?? colorsOff(process.env)}>
      <KeysProvider onIdle={props.onInputIdle}>
        <Frame {...props} />
      </KeysProvider>
    </Plain.Provider>
  );
}

/** How often another process's changes to the keyring are looked for. */
const WATCH_INTERVAL_MS = 400;

/**
 * The header's first line: which store and where, and how many keys. The store's folder gives
 * way first (`~` for the home folder, then its start cut to `…`), so the rest fits the width.
 */
export function headerLine(storeId: string, location: string, keyCount: number, width: number, homeDir = os.homedir()): string {
  const where = homeDir && (location === homeDir || location.startsWith(`${homeDir}/`)) ? `~${location.slice(homeDir.length)}` : location;
  const head = `keyport · ${storeId} · `;
  const tail = ` · ${keyCount} keys`;
  const room = width - [...head].length - [...tail].length;
  const chars = [...where];
  // Too little room for a useful part of the folder: the line is cut at the end as before.
  if (chars.length <= room || room < 8) return `${head}${where}${tail}`;
  return `${head}…${chars.slice(chars.length - (room - 1)).join('')}${tail}`;
}

function Frame({
  kp,
  store: givenStore,
  notice,
  onQuit,
  initialKeys,
  now: fixedNow,
}: Omit<AppProps, 'plain' | 'onInputIdle'>) {
  const store = useMemo(() => givenStore ?? storeForTui(kp, kp.store), [givenStore, kp]);
  // One clock reading for the session: a new one per render would change every screen's props
  // and re-filter the whole key list on each key press.
  const [now] = useState(() => fixedNow ?? Date.now());
  const { columns, rows } = useTerminalSize();
  const [stack, setStack] = useState<Route[]>([{ screen: 'keys' }]);
  const [keys, setKeys] = useState(initialKeys);
  // A toast belongs to the screen (stack depth) that made it: it is not shown over the screens
  // opened after it, and moves down when its screen is left (the result of what was done there).
  const [toast, setToast] = useState<(Toast & { depth: number }) | null>(notice ? { kind: 'warning', text: notice, depth: 0 } : null);
  const [help, setHelp] = useState(false);
  const [capturing, setCapturing] = useState(false);
  const [dialogFooter, setDialogFooter] = useState<string | null>(null);
  const [, setTick] = useState(0);
  const route = stack[stack.length - 1]!;
  const toastTimer = useRef<NodeJS.Timeout | undefined>(undefined);

  const notifiers = useRef(new Map<number, (t: Toast) => void>()).current;
  const notifyAt = (depth: number) => {
    let n = notifiers.get(depth);
    if (!n) {
      n = (t: Toast) => {
        setToast({ ...t, depth });
        clearTimeout(toastTimer.current);
        // Errors stay until the next message: they carry the next step.
        if (t.kind !== 'error') toastTimer.current = setTimeout(() => setToast(null), 6000);
      };
      notifiers.set(depth, n);
    }
    return n;
  };

  // One reading at a time, and one more after it when asked meanwhile: a GnuPG listing can take
  // longer than the changes of a running sync come, and an older reading must not land last.
  const reading = useRef<{ again: boolean } | null>(null);
  const reload = useCallback(() => {
    if (reading.current) {
      reading.current.again = true;
      return;
    }
    const read = () => {
      const state = { again: false };
      reading.current = state;
      void store
        .list()
        .then(setKeys, () => undefined)
        .finally(() => {
          reading.current = null;
          if (state.again) read();
        });
    };
    read();
  }, [store]);
  // The keyring changes under the UI: in this process (imports, syncs, deletes) through the
  // store's change signal, and in other processes (keyport, gpg) through the store's stamp (its
  // files' size, time and inode), looked at a few times a second.
  useEffect(() => {
    const subs = [kp.bus.on('module:state', () => setTick((n) => n + 1)), kp.bus.on('settings:changed', () => setTick((n) => n + 1))];
    const offChange = store.onChange(reload);
    let seen = '';
    const look = () => store.stamp().catch(() => 'none');
    void look().then((v) => (seen ||= v));
    const timer = setInterval(() => {
      void look().then((v) => {
        if (seen && v !== seen) reload();
        seen = v;
      });
    }, WATCH_INTERVAL_MS);
    return () => {
      for (const s of subs) s.dispose();
      offChange();
      clearInterval(timer);
      clearTimeout(toastTimer.current);
    };
  }, [kp, store, reload]);

  const go = useCallback((r: Route) => setStack((s) => [...s, r]), []);
  const depthNow = useRef(0);
  depthNow.current = stack.length - 1;
  const back = useCallback(() => {
    setCapturing(false);
    const top = Math.max(0, depthNow.current - 1);
    setToast((t) => (t && t.depth > top ? { ...t, depth: top } : t));
    setStack((s) => (s.length > 1 ? s.slice(0, -1) : s));
  }, []);

  useKeys((input, key) => {
    if (help) {
      if (key.escape || input === '?' || input === 'q' || key.return) setHelp(false);
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
  const header = headerLine(store.id, store.location, keys.length, columns);
  const context = `default ${kp.keyservers.defaultServer()} · modules ${enabled.join(', ') || 'none'}${status.length ? ` · ${status.map((s) => `${s.label} ${s.value}`).join(' · ')}` : ''}`;
  // Two header lines, the status line and the footer; the rest is the screen's.
  const bodyHeight = Math.max(5, rows - 5);
  const screenKeys = SCREEN_KEYS[route.screen];
  const footer = help
    ? fitFooter(['Esc close help'], columns)
    : dialogFooter
      ? fitFooter([dialogFooter], columns, ['? help'])
      : fitFooter(capturing ? ['typing: ⏎ done', 'Esc cancel', '←→ move'] : screenKeys.footer, columns, capturing ? ['? help'] : undefined);
  const depth = stack.length - 1;

  return (
    <FooterContext.Provider value={setDialogFooter}>
      <Box flexDirection="column" width={columns}>
        <Text bold wrap="truncate-end">
          {header}
        </Text>
        <Text dimColor wrap="truncate-end">
          {context}
        </Text>
        <Box flexDirection="column" height={bodyHeight} overflow="hidden">
          {help ? (
            <Box flexDirection="column" borderStyle="round" paddingX={1}>
              <Text bold wrap="truncate-end">
                Keys: {TITLES[route.screen]} (? or Esc closes)
              </Text>
              {/* ? and q are in the footer line; the rest must fit the body (borders and title). */}
              {[...screenKeys.help, ...COMMON_HELP].slice(0, Math.max(1, bodyHeight - 3)).map(([k, what]) => (
                <Text key={k} wrap="truncate-end">
                  <Text bold>{k.padEnd(10)}</Text> {what}
                </Text>
              ))}
            </Box>
          ) : null}
          {/* Screens under the top one stay mounted (hidden, keys off) so going back finds them
              as they were: tab, filter, cursor, selection. */}
          {stack.map((r, i) => {
            const top = i === depth;
            return (
              <Box key={`${i}:${JSON.stringify(r)}`} display={top && !help ? 'flex' : 'none'} flexDirection="column">
                <ScreenActive.Provider value={top && !help}>
                  <CurrentScreen
                    route={r}
                    props={{ kp, store, keys, height: bodyHeight, width: columns, go, back, notify: notifyAt(i), setCapturing, reload, now }}
                  />
                </ScreenActive.Provider>
              </Box>
            );
          })}
        </Box>
        <StatusLine toast={toast && toast.depth === depth ? toast : null} />
        <Text dimColor wrap="truncate-end">
          {footer}
        </Text>
      </Box>
    </FooterContext.Provider>
  );
}

const TITLES: Record<Route['screen'], string> = {
  keys: 'key list',
  details: 'key details',
  import: 'import from a key server',
  'file-import': 'import a file',
  sync: 'sync',
  publish: 'publish',
  settings: 'settings',
};

function CurrentScreen({ route, props }: { route: Route; props: ScreenProps }) {
  switch (route.screen) {
    case 'keys':
      return <KeysScreen {...props} />;
    case 'details':
      return <DetailsScreen {...props} fingerprint={route.fingerprint} />;
    case 'import':
      return <ImportScreen {...props} />;
    case 'file-import':
      return <FileImportScreen {...props} />;
    case 'sync':
      return <SyncScreen {...props} fingerprints={route.fingerprints} what={route.what} />;
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
