import type { Key } from 'ink';

/** One keystroke as handlers see it: Ink's Key, plus `paste` for text pasted as a whole. */
export type Keystroke = Key & { paste: boolean };

const PASTE_START = '\u001B[200~';
const PASTE_END = '\u001B[201~';

const NONE: Keystroke = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
  paste: false,
};

const SEQUENCES: Record<string, Partial<Keystroke>> = {
  '\u001B[A': { upArrow: true },
  '\u001B[B': { downArrow: true },
  '\u001B[C': { rightArrow: true },
  '\u001B[D': { leftArrow: true },
  '\u001BOA': { upArrow: true },
  '\u001BOB': { downArrow: true },
  '\u001BOC': { rightArrow: true },
  '\u001BOD': { leftArrow: true },
  '\u001B[5~': { pageUp: true },
  '\u001B[6~': { pageDown: true },
  '\u001B[H': { home: true },
  '\u001B[F': { end: true },
  '\u001BOH': { home: true },
  '\u001BOF': { end: true },
  '\u001B[1~': { home: true },
  '\u001B[4~': { end: true },
  '\u001B[7~': { home: true },
  '\u001B[8~': { end: true },
  '\u001B[3~': { delete: true },
  '\u001B[Z': { tab: true, shift: true },
  '\u001B': { escape: true, meta: true },
};

/**
 * The (input, key) pair of one keystroke, as Ink's useInput would give it for that keystroke
 * alone. Unknown escape sequences come back with empty input, so they can never be typed.
 */
export function keystroke(sequence: string): [string, Keystroke] {
  const known = SEQUENCES[sequence];
  if (known) return ['', { ...NONE, ...known }];
  if (sequence === '\r' || sequence === '\n' || sequence === '\r\n') return ['', { ...NONE, return: true }];
  if (sequence === '\t') return ['', { ...NONE, tab: true }];
  if (sequence === '\u007F' || sequence === '\b') return ['', { ...NONE, backspace: true }];
  // Any other escape sequence (function keys, mouse, focus reports) is not text.
  if (sequence.startsWith('\u001B')) return ['', { ...NONE }];
  const code = sequence.codePointAt(0) ?? 0;
  if (sequence.length === 1 && code >= 1 && code <= 26) {
    return [String.fromCharCode(code + 96), { ...NONE, ctrl: true }];
  }
  if (code < 32) return ['', { ...NONE }];
  return [sequence, { ...NONE, shift: /^[A-Z]$/.test(sequence) }];
}

/**
 * Splits what the terminal sent into keystrokes, in order: escape sequences whole, text one
 * character (code point) at a time, CR LF as one Enter, and bracketed paste as one `paste`
 * event with its text. Ink hands a fast burst (`jjjjj`, ten Backspaces) over as one string;
 * read as one key, it would be lost.
 *
 * Stateful because a paste can span several reads.
 */
export class KeystrokeSplitter {
  private pasting: string | null = null;

  /** The keystrokes in `chunk` (one Ink input event). */
  push(chunk: string): [string, Keystroke][] {
    const out: [string, Keystroke][] = [];
    let rest = chunk;
    while (rest.length > 0) {
      if (this.pasting !== null) {
        const end = rest.indexOf(PASTE_END);
        if (end < 0) {
          this.pasting += rest;
          return out;
        }
        const text = this.pasting + rest.slice(0, end);
        this.pasting = null;
        rest = rest.slice(end + PASTE_END.length);
        // Line breaks in pasted text would submit a field: they become spaces.
        if (text) out.push([text.replace(/\r\n|[\r\n]/g, ' '), { ...NONE, paste: true }]);
        continue;
      }
      if (rest.startsWith(PASTE_START)) {
        this.pasting = '';
        rest = rest.slice(PASTE_START.length);
        continue;
      }
      const sequence = nextSequence(rest);
      out.push(keystroke(sequence));
      rest = rest.slice(sequence.length);
    }
    return out;
  }
}

function nextSequence(s: string): string {
  if (s.startsWith('\r\n')) return '\r\n';
  if (s[0] !== '\u001B') return String.fromCodePoint(s.codePointAt(0)!);
  if (s.length === 1) return s;
  const kind = s[1];
  if (kind === '[') {
    // CSI: parameters and intermediates, then one final byte.
    // eslint-disable-next-line no-control-regex -- matching an escape sequence
    const m = /^\u001B\[[[]?[0-?]*[ -/]*[@-~]/.exec(s);
    return m ? m[0] : s.slice(0, 2);
  }
  if (kind === 'O' && s.length >= 3) return s.slice(0, 3);
  // Esc and a key in one read are Esc, then the key (as when typed apart): the UI has no Alt keys.
  return '\u001B';
}
