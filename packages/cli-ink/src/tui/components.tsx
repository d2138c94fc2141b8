import React, { createContext, useCallback, useContext, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { Box, useInput, useStdout } from 'ink';
import { Text } from './text.js';
import { toKeyportError } from '@keyport/core';

type InputHandler = Parameters<typeof useInput>[0];
interface KeyEntry {
  handler: InputHandler;
  active: boolean;
}
const KeysContext = createContext<Map<object, KeyEntry> | null>(null);

/**
 * One subscription to Ink's input for the whole UI, dispatching each key to the handlers of the
 * mounted components. Components register in a layout effect (during the commit), and their
 * handler and activity are refreshed on every render: a key pressed right after a screen
 * appears, or right after a state change, reaches the new screen with its new state. (Ink's own
 * useInput subscribes in a passive effect, which can run after the next key has arrived.)
 */
export function KeysProvider({ children }: { children: React.ReactNode }) {
  const handlers = useRef(new Map<object, KeyEntry>()).current;
  const dispatch = useCallback<InputHandler>(
    (input, key) => {
      for (const entry of [...handlers.values()]) if (entry.active) entry.handler(input, key);
    },
    [handlers],
  );
  useInput(dispatch);
  return <KeysContext.Provider value={handlers}>{children}</KeysContext.Provider>;
}

/** False inside screens that are kept mounted under the one on top (their keys are off). */
export const ScreenActive = createContext(true);

/** Handles keys while `isActive` (default true) and the screen is on top, through the nearest KeysProvider. */
export function useKeys(handler: InputHandler, options: { isActive?: boolean } = {}): void {
  const handlers = useContext(KeysContext);
  const onTop = useContext(ScreenActive);
  const entry = useRef<KeyEntry>({ handler, active: false }).current;
  entry.handler = handler;
  entry.active = onTop && options.isActive !== false;
  useLayoutEffect(() => {
    if (!handlers) return;
    handlers.set(entry, entry);
    return () => {
      handlers.delete(entry);
    };
  }, [handlers, entry]);
}

/** Terminal size, updated on resize. */
export function useTerminalSize(fallback = { columns: 100, rows: 30 }): {
  columns: number;
  rows: number;
} {
  const { stdout } = useStdout();
  const read = () => ({
    columns: stdout?.columns || fallback.columns,
    rows: stdout?.rows || fallback.rows,
  });
  const [size, setSize] = useState(read);
  useEffect(() => {
    if (!stdout) return;
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}

/** A message in the status line: results, warnings, and errors with their code and next step. */
export interface Toast {
  kind: 'info' | 'warning' | 'error';
  text: string;
}

export function toastFromError(error: unknown): Toast {
  const e = toKeyportError(error);
  return {
    kind: 'error',
    text: `${e.code} ${e.message}${e.nextStep ? ` (next: ${e.nextStep})` : ''}`,
  };
}

export function StatusLine({ toast }: { toast: Toast | null }) {
  if (!toast) return <Text> </Text>;
  const mark = toast.kind === 'error' ? '✗' : toast.kind === 'warning' ? '!' : '✓';
  return (
    <Text
      color={toast.kind === 'error' ? 'red' : toast.kind === 'warning' ? 'yellow' : 'green'}
      wrap="truncate-end"
    >
      {mark} {toast.text}
    </Text>
  );
}

/**
 * A virtualised list: only the rows in view are rendered, so thousands of rows draw as fast as
 * ten. The cursor row is marked with `›` as well as inverse video, so it shows without colour.
 */
export function VirtualList<T>({
  items,
  cursor,
  height,
  render,
  empty,
}: {
  items: readonly T[];
  cursor: number;
  height: number;
  render: (item: T, index: number, selected: boolean) => React.ReactNode;
  empty?: string;
}) {
  const rows = Math.max(1, height);
  if (items.length === 0) return <Text dimColor>{empty ?? 'nothing here'}</Text>;
  const start = Math.min(
    Math.max(0, cursor - Math.floor(rows / 2)),
    Math.max(0, items.length - rows),
  );
  return (
    <Box flexDirection="column">
      {items.slice(start, start + rows).map((item, i) => (
        <Box key={start + i}>
          <Text inverse={start + i === cursor}>{start + i === cursor ? '›' : ' '}</Text>
          {render(item, start + i, start + i === cursor)}
        </Box>
      ))}
    </Box>
  );
}

/** A copy of `set` with `item` added, or removed when it was there (Space on a row). */
export function toggled<T>(set: ReadonlySet<T>, item: T): Set<T> {
  const next = new Set(set);
  if (next.has(item)) next.delete(item);
  else next.add(item);
  return next;
}

/** Moves a cursor with ↑↓ / j k / PgUp PgDn / g G. Returns true when the key was handled. */
export function moveCursor(
  input: string,
  key: { upArrow: boolean; downArrow: boolean; pageUp: boolean; pageDown: boolean },
  length: number,
  page: number,
  set: (f: (c: number) => number) => void,
): boolean {
  const last = Math.max(0, length - 1);
  if (key.downArrow || input === 'j') set((c) => Math.min(last, c + 1));
  else if (key.upArrow || input === 'k') set((c) => Math.max(0, c - 1));
  else if (key.pageDown) set((c) => Math.min(last, c + page));
  else if (key.pageUp) set((c) => Math.max(0, c - page));
  else if (input === 'G') set(() => last);
  else if (input === 'g') set(() => 0);
  else return false;
  return true;
}

/** A one-line text field; Enter submits, Esc cancels. Keeps its text when the submit fails. */
export function TextField({
  label,
  value,
  onChange,
  onSubmit,
  onCancel,
  active,
  placeholder,
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  onSubmit: (v: string) => void;
  onCancel?: () => void;
  active: boolean;
  placeholder?: string;
}) {
  // Keys can arrive faster than renders (pasting, fast typing): edit the latest text, not the
  // text of the last render, so no character is lost.
  const latest = useRef(value);
  latest.current = value;
  const set = (next: string) => {
    latest.current = next;
    onChange(next);
  };
  useKeys(
    (input, key) => {
      if (key.return) onSubmit(latest.current);
      else if (key.escape) onCancel?.();
      else if (key.backspace || key.delete) set(latest.current.slice(0, -1));
      else if (key.ctrl && input === 'u') set('');
      else if (input && !key.ctrl && !key.meta && !key.tab && !key.upArrow && !key.downArrow) {
        // Pasted or fast input arrives in one piece, possibly with the Enter that ends it.
        const end = input.search(/[\r\n]/);
        if (end < 0) return set(latest.current + input);
        set(latest.current + input.slice(0, end));
        onSubmit(latest.current);
      }
    },
    { isActive: active },
  );
  return (
    <Text>
      <Text bold={active}>{label}</Text> {value || <Text dimColor>{placeholder ?? ''}</Text>}
      {active ? <Text inverse> </Text> : null}
    </Text>
  );
}

/** A yes/no question. y confirms; n or Esc declines. */
export function Confirm({
  message,
  details,
  onYes,
  onNo,
}: {
  message: string;
  details?: string[];
  onYes: () => void;
  onNo: () => void;
}) {
  useKeys((input, key) => {
    if (input === 'y' || input === 'Y') onYes();
    else if (input === 'n' || input === 'N' || key.escape) onNo();
  });
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      {(details ?? []).map((d) => (
        <Text key={d} color="yellow">
          ! {d}
        </Text>
      ))}
      <Text bold>{message} [y/N]</Text>
    </Box>
  );
}

/** A text progress bar with its counts. */
export function ProgressBar({
  done,
  total,
  width = 30,
}: {
  done: number;
  total: number;
  width?: number;
}) {
  const ratio = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(ratio * width);
  return (
    <Text>
      [{'#'.repeat(filled)}
      {'.'.repeat(width - filled)}] {done}/{total}
    </Text>
  );
}

/** A titled box, highlighted when it has the focus. */
export function Pane({
  title,
  focused,
  children,
  width,
}: {
  title: string;
  focused?: boolean;
  children: React.ReactNode;
  width?: number | string;
}) {
  return (
    <Box
      flexDirection="column"
      borderStyle="single"
      borderColor={focused ? 'cyan' : undefined}
      paddingX={1}
      width={width as number}
    >
      <Text bold underline={focused}>
        {focused ? '▸ ' : ''}
        {title}
      </Text>
      {children}
    </Box>
  );
}
