import { describe, expect, it } from 'vitest';
import { escapeForTerminal } from '../src/index.js';

const ESC = '\u001b';

describe('escapeForTerminal', () => {
  it('shows every C0 control, DEL and so every escape sequence as \\xNN', () => {
    expect(escapeForTerminal(`${ESC}]0;PWNED\u0007`)).toBe('\\x1b]0;PWNED\\x07');
    expect(escapeForTerminal(`${ESC}]52;c;ZWNobyBwd25lZA==\u0007`)).toBe('\\x1b]52;c;ZWNobyBwd25lZA==\\x07');
    expect(escapeForTerminal(`${ESC}[31mred${ESC}[8mhidden${ESC}[0m`)).toBe('\\x1b[31mred\\x1b[8mhidden\\x1b[0m');
    expect(escapeForTerminal('a\r\nb\tc\u0000d\u007fe')).toBe('a\\x0d\\x0ab\\x09c\\x00d\\x7fe');
    for (let code = 0; code < 0x20; code++) {
      expect(escapeForTerminal(String.fromCharCode(code))).toBe(`\\x${code.toString(16).padStart(2, '0')}`);
    }
  });

  it('shows C1 controls as \\u{NNNN}, never like an invalid byte', () => {
    expect(escapeForTerminal('\u009b31m\u009d0;t\u009c')).toBe('\\u{009B}31m\\u{009D}0;t\\u{009C}');
    for (let code = 0x80; code < 0xa0; code++) {
      expect(escapeForTerminal(String.fromCharCode(code))).toBe(`\\u{00${code.toString(16).toUpperCase()}}`);
    }
  });

  it('shows bidirectional overrides, isolates and marks, and line separators, as \\u{NNNN}', () => {
    expect(escapeForTerminal('alice\u202Egro.elpmaxe@')).toBe('alice\\u{202E}gro.elpmaxe@');
    const bidi = [0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0x2028, 0x2029];
    for (const code of bidi) {
      expect(escapeForTerminal(`x${String.fromCharCode(code)}y`)).toBe(`x\\u{${code.toString(16).toUpperCase().padStart(4, '0')}}y`);
    }
  });

  it('shows lone surrogates and keeps surrogate pairs', () => {
    expect(escapeForTerminal('a\ud800b')).toBe('a\\u{D800}b');
    expect(escapeForTerminal('a\udc00b')).toBe('a\\u{DC00}b');
    expect(escapeForTerminal('\udc00\ud800')).toBe('\\u{DC00}\\u{D800}');
    expect(escapeForTerminal('key 🔑 \ud83d\udd11')).toBe('key 🔑 🔑');
  });

  it('leaves printable Unicode and backslashes alone', () => {
    const printable = 'Zoë Ångström 李小龙 <zoë@例え.jp> 👩‍💻 ZW\u200dJ soft\u00adhyphen € « »';
    expect(escapeForTerminal(printable)).toBe(printable);
    // An invalid byte already shown as \xNN, and a literal backslash, stay as they are.
    expect(escapeForTerminal('M\\xfcller \\ back\\slash')).toBe('M\\xfcller \\ back\\slash');
    expect(escapeForTerminal('')).toBe('');
  });

  it('gives the same answer on every call (no state kept between calls)', () => {
    for (let i = 0; i < 3; i++) {
      expect(escapeForTerminal(`${ESC}x`)).toBe('\\x1bx');
      expect(escapeForTerminal('plain')).toBe('plain');
    }
  });
});
