import type { ReactElement } from 'react';
import { render } from 'ink-testing-library';

/** A rendered TUI and the helpers that drive it. */
export interface TuiDriver {
  app: ReturnType<typeof render>;
  frame: () => string;
  until: (test: (f: string) => boolean, what: string, ms?: number) => Promise<string>;
  see: (text: string | RegExp) => Promise<string>;
  press: (...keys: string[]) => Promise<void>;
  fitted: (columns: number) => Promise<string>;
}

/**
 * Renders a TUI element (built with the `onInputIdle` it is given), optionally at a terminal
 * size, with helpers that wait for the frame to show something and type keys one by one, each
 * handled and drawn before the next (no guessed delays).
 */
export function renderTui(
  element: (onInputIdle: () => void) => ReactElement,
  options: { size?: { columns: number; rows: number }; frameOf?: (raw: string) => string; waitMs?: number } = {},
): TuiDriver {
  let handled: (() => void) | undefined;
  const app = render(element(() => handled?.()));
  if (options.size) {
    Object.defineProperty(app.stdout, 'columns', { value: options.size.columns, configurable: true });
    Object.defineProperty(app.stdout, 'rows', { value: options.size.rows, configurable: true });
    app.stdout.emit('resize');
  }
  const frameOf = options.frameOf ?? ((raw: string) => raw);
  const frame = () => frameOf(app.lastFrame() ?? '');
  const until = async (test: (f: string) => boolean, what: string, ms = options.waitMs ?? 8000) => {
    const end = Date.now() + ms;
    while (!test(frame())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last frame:\n${frame()}`);
      await new Promise((r) => setTimeout(r, 15));
    }
    return frame();
  };
  const see = (text: string | RegExp) => until((f) => (typeof text === 'string' ? f.includes(text) : text.test(f)), String(text));
  const press = async (...keys: string[]) => {
    for (const k of keys) {
      await new Promise<void>((resolve) => {
        handled = resolve;
        app.stdin.write(k);
      });
    }
  };
  /** Waits for a whole frame no wider than the terminal (the first frame after a resize). */
  const fitted = (columns: number) => until((f) => f.includes('1 All') && Math.max(...f.split('\n').map((l) => [...l].length)) <= columns, `a frame ${columns} wide`);
  return { app, frame, until, see, press, fitted };
}
