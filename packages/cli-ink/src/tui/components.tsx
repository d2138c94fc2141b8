import React, { createContext, useContext, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { Box, useStdin, useStdout, type DOMElement } from 'ink';
import { Text, usePlain } from './text.js';
import { KeystrokeSplitter, type Keystroke } from './keystrokes.js';
import { toKeyportError } from '@keyport/core';

/** Handles one keystroke. */
export type InputHandler = (input: string, key: Keystroke) => void;
interface KeyEntry {
  handler: InputHandler;
  active: boolean;
  /** Takes pasted text (text fields); other handlers never see it, so a paste cannot act as keys. */
  paste: boolean;
}
const KeysContext = createContext<Map<object, KeyEntry> | null>(null);

/**
 * One subscription to the terminal's input for the whole UI, dispatching each keystroke to the
 * handlers of the mounted components. What arrives in one read (a burst, auto-repeat, a paste)
 * is split into keystrokes and handled one at a time, each after the render the previous one
 * caused: handlers and their activity are refreshed on every render, so the second key of `/a`
 * reaches the filter the first one opened, as it would typed slowly. Each dispatch bumps a
 * counter in the same batch as the handlers' own updates; the next key goes out from the
 * layout effect of that render. Components register in a layout effect too, so a key pressed
 * right after a screen appears reaches it. `onIdle` is called when every keystroke received so
 * far has been handled and drawn (tests).
 *
 * While more keys wait, their renders are not drawn (see holdFrames): Ink redraws the whole
 * screen for every frame, which costs several times what handling a key does, so drawing each
 * key of a burst would leave the later ones waiting behind frames nobody sees.
 */
export function KeysProvider({ children, onIdle }: { children: React.ReactNode; onIdle?: () => void }) {
  const handlers = useRef(new Map<object, KeyEntry>()).current;
  const idle = useRef(onIdle);
  idle.current = onIdle;
  const [dispatched, setDispatched] = useState(0);
  const pump = useRef({ queue: [] as [string, Keystroke][], waiting: false, next: () => {}, drawHeld: () => {} }).current;
  const { setRawMode, internal_eventEmitter } = useStdin();
  pump.next = () => {
    const next = pump.queue.shift();
    if (!next) {
      pump.waiting = false;
      pump.drawHeld();
      idle.current?.();
      return;
    }
    pump.waiting = true;
    const [input, key] = next;
    // Who handles this key is decided before any handler runs: a handler that opens a field
    // must not have the field receive the same key.
    const targets = [...handlers.values()].filter((e) => e.active && (!key.paste || e.paste));
    for (const entry of targets) entry.handler(input, key);
    setDispatched((n) => n + 1);
  };
  // The render of the last key is committed: send the next one.
  useLayoutEffect(() => {
    if (dispatched > 0) setImmediate(() => pump.next());
  }, [dispatched, pump]);
  // In the commit, not after it: the first key can come right after the first frame.
  useLayoutEffect(() => {
    setRawMode(true);
    const splitter = new KeystrokeSplitter();
    const onInput = (chunk: string) => {
      pump.queue.push(...splitter.push(chunk));
      if (!pump.waiting && pump.queue.length > 0) pump.next();
    };
    internal_eventEmitter.on('input', onInput);
    return () => {
      pump.queue.length = 0;
      pump.next = () => {};
      internal_eventEmitter.removeListener('input', onInput);
      setRawMode(false);
    };
  }, [handlers, setRawMode, internal_eventEmitter, pump]);
  const anchor = useRef<DOMElement>(null);
  useLayoutEffect(() => {
    const held = holdFrames(anchor.current, () => pump.queue.length > 0);
    pump.drawHeld = held.draw;
    return held.release;
  }, [pump]);
  return (
    <KeysContext.Provider value={handlers}>
      {children}
      {/* Takes no room and draws nothing: a way to Ink's root node, for holdFrames. */}
      <Box ref={anchor} display="none" />
    </KeysContext.Provider>
  );
}

/** The longest a frame is held while keys keep coming (a long burst still shows its progress). */
const MAX_HOLD_MS = 50;

/**
 * Makes Ink skip drawing while `busy()` (keys are waiting), for at most MAX_HOLD_MS; `draw` draws
 * what was held, `release` undoes it. Ink draws through its root node's `onRender` (a field of
 * its DOMElement type), called after each commit; `node` is any node of the tree. Without that
 * field (another Ink), nothing is held.
 */
function holdFrames(node: DOMElement | null, busy: () => boolean): { draw: () => void; release: () => void } {
  let root = node;
  while (root?.parentNode) root = root.parentNode;
  const render = root?.onRender;
  if (!root || root.nodeName !== 'ink-root' || !render) return { draw: () => {}, release: () => {} };
  let heldSince: number | null = null;
  const draw = () => {
    heldSince = null;
    render();
  };
  root.onRender = () => {
    const now = performance.now();
    if (busy() && (heldSince === null || now - heldSince < MAX_HOLD_MS)) {
      heldSince ??= now;
      return;
    }
    draw();
  };
  return {
    draw: () => {
      if (heldSince !== null) draw();
    },
    release: () => {
      if (root.onRender !== render) root.onRender = render;
    },
  };
}

/** False inside screens that are kept mounted under the one on top (their keys are off). */
export const ScreenActive = createContext(true);

/**
 * Handles keys while `isActive` (default true) and the screen is on top, through the nearest
 * KeysProvider. `paste: true` also receives pasted text, as one keystroke with `key.paste`.
 */
export function useKeys(handler: InputHandler, options: { isActive?: boolean; paste?: boolean } = {}): void {
  const handlers = useContext(KeysContext);
  const onTop = useContext(ScreenActive);
  const entry = useRef<KeyEntry>({ handler, active: false, paste: false }).current;
  entry.handler = handler;
  entry.active = onTop && options.isActive !== false;
  entry.paste = options.paste === true;
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
 *
 * `render` gives a row's text (a string or a Text): each row is one line of text, the mark and a
 * space before it, truncated at the end, so the mark can never be squeezed away and every row
 * starts in the same column. One text node per row, no Boxes: Ink redraws the whole frame on
 * every key, and each Box (and each horizontal clip, which re-slices every line it holds) costs
 * on every frame. The rows are clipped vertically only: truncated to the width already, they
 * need no horizontal clip, and this innermost clip replaces the body's for them.
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
    <Box flexDirection="column" overflowY="hidden">
      {items.slice(start, start + rows).map((item, i) => (
        <Text key={start + i} wrap="truncate-end">
          <Text inverse={start + i === cursor}>{start + i === cursor ? '›' : ' '}</Text>{' '}
          {render(item, start + i, start + i === cursor)}
        </Text>
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

/**
 * A one-line text field with a text cursor: ←→ Home End move it, Backspace and Delete edit at
 * it, Ctrl-U clears, pasted text is inserted whole. Enter submits, Esc cancels. Keeps its text
 * when the submit fails.
 */
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
  // Keys can arrive faster than renders: edit the latest text and cursor, not those of the last
  // render, so no character is lost.
  const latest = useRef(value);
  const [at, setAt] = useState(value.length);
  const caret = useRef(at);
  if (latest.current !== value) {
    // Changed from outside (cleared, replaced): the cursor goes to the end.
    latest.current = value;
    caret.current = value.length;
  }
  const place = (next: number) => {
    caret.current = Math.max(0, Math.min(latest.current.length, next));
    setAt(caret.current);
  };
  const set = (next: string, cursorAt: number) => {
    latest.current = next;
    onChange(next);
    place(cursorAt);
  };
  useKeys(
    (input, key) => {
      const text = latest.current;
      const c = Math.min(caret.current, text.length);
      if (key.return) onSubmit(text);
      else if (key.escape) onCancel?.();
      else if (key.leftArrow) place(c - 1);
      else if (key.rightArrow) place(c + 1);
      else if (key.home || (key.ctrl && input === 'a')) place(0);
      else if (key.end || (key.ctrl && input === 'e')) place(text.length);
      else if (key.backspace) {
        if (c > 0) set(text.slice(0, c - 1) + text.slice(c), c - 1);
      } else if (key.delete) set(text.slice(0, c) + text.slice(c + 1), c);
      else if (key.ctrl && input === 'u') set('', 0);
      else if (input && !key.ctrl && !key.meta && !key.tab && !key.upArrow && !key.downArrow) {
        set(text.slice(0, c) + input + text.slice(c), c + input.length);
      }
    },
    { isActive: active, paste: true },
  );
  const c = Math.min(at, value.length);
  const plain = usePlain();
  // Without attributes the caret is a bar before the character it stands on.
  const caretMark = (under: string) => (plain ? `▏${under}` : <Text inverse>{under || ' '}</Text>);
  return (
    <Text wrap="truncate-start">
      <Text bold={active}>{label}</Text>{' '}
      {value ? (
        <>
          {value.slice(0, c)}
          {active ? caretMark(value.slice(c, c + 1)) : null}
          {active ? value.slice(c + 1) : value.slice(c)}
        </>
      ) : (
        <>
          {active ? caretMark('') : null}
          <Text dimColor>{placeholder ?? ''}</Text>
        </>
      )}
    </Text>
  );
}

/** A yes/no question. y confirms; n, Esc or Enter (the default, N) declines. */
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
  useFooter('y yes · n Enter Esc no');
  useKeys((input, key) => {
    if (input === 'y' || input === 'Y') onYes();
    else if (input === 'n' || input === 'N' || key.escape || key.return) onNo();
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

/**
 * What the footer shows while a dialog or mode is open, in place of the screen's keys (set by
 * the component that is open, cleared when it closes).
 */
export const FooterContext = createContext<((footer: string | null) => void) | null>(null);

/** Shows `footer` in the frame's footer while the calling component is mounted on the top screen. */
export function useFooter(footer: string | null): void {
  const set = useContext(FooterContext);
  const onTop = useContext(ScreenActive);
  useLayoutEffect(() => {
    if (!set || !onTop || footer === null) return;
    set(footer);
    return () => set(null);
  }, [set, onTop, footer]);
}

/**
 * A wait the user can see: nothing for the first 300 ms (most answers come sooner), then a
 * spinner with the elapsed time and how to cancel.
 */
export function Busy({ label }: { label: string }) {
  const [since] = useState(() => Date.now());
  const [now, setNow] = useState(since);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 100);
    return () => clearInterval(timer);
  }, []);
  const elapsed = now - since;
  if (elapsed < 300) return <Text> </Text>;
  const frames = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏';
  return (
    <Text color="cyan" wrap="truncate-end">
      {frames[Math.floor(elapsed / 100) % frames.length]} {label} {(elapsed / 1000).toFixed(1)} s (Esc cancels)
    </Text>
  );
}

/**
 * The footer line: the screen's keys, as many as fit in `width` in their order, and always
 * `? help  q quit` at the end.
 */
export function fitFooter(items: readonly string[], width: number, tail = ['? help', 'q quit']): string {
  const end = tail.join('  ');
  let line = '';
  for (const item of items) {
    const next = line ? `${line}  ${item}` : item;
    if (next.length + 2 + end.length > width) break;
    line = next;
  }
  return line ? `${line}  ${end}` : end;
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
  const plain = usePlain();
  return (
    <Box
      flexDirection="column"
      borderStyle="single"
      borderColor={focused && !plain ? 'cyan' : undefined}
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
