/**
 * Characters a terminal or a reader would take as something other than the text they are:
 * - C0 controls (U+0000-001F, ESC and so every escape sequence, CR, LF, tab), DEL (U+007F) and
 *   C1 controls (U+0080-009F, among them CSI U+009B and OSC U+009D);
 * - bidirectional formatting: embeddings and overrides (U+202A-202E), isolates (U+2066-2069)
 *   and the marks LRM, RLM and ALM (U+200E, U+200F, U+061C): each can reorder what is shown, so
 *   an address or a file name reads differently from what it is;
 * - the line and paragraph separators U+2028 and U+2029, which break rows like LF;
 * - lone surrogates (half of a UTF-16 pair), which no terminal can show.
 * Everything else, backslashes included, is printable and left alone.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function escapeCharacter(character: string): string {
  const code = character.charCodeAt(0);
  // ASCII controls the way gpg shows them; other code points by number, so a C1 control
  // (\u{009B}) never reads like an invalid byte (\x9b).
  if (code < 0x80) return `\\x${code.toString(16).padStart(2, '0')}`;
  return `\\u{${code.toString(16).toUpperCase().padStart(4, '0')}}`;
}

/**
 * Makes text safe to show on a terminal: every control character, escape sequence, DEL,
 * bidirectional formatting character, line or paragraph separator and lone surrogate becomes a
 * visible escape, so text from a key, a file or a server can neither drive the terminal (window
 * title, clipboard, colours) nor break or reorder a row.
 *
 * @remarks
 * ASCII controls and DEL are shown as `\xNN` (lowercase hex: ESC is `\x1b` as in gpg; LF is
 * `\x0a` and CR `\x0d`, where gpg writes `\n` and `\r`); C1 controls, bidirectional formatting characters (U+200E, U+200F, U+061C,
 * U+202A-202E, U+2066-2069), U+2028, U+2029 and lone surrogates as `\u{NNNN}` (uppercase hex, at
 * least four digits, e.g. `\u{202E}`). Printable Unicode (accents, CJK, emoji, joiners) and
 * backslashes are left as they are, so a `\xNN` already in the text (an invalid byte shown by
 * the user-ID summary) stays as it is. Apply it to every human-readable line (CLI output, error
 * messages, TUI text); never to `--json` output, which keeps the exact strings.
 *
 * @param text - Text from any source.
 * @returns The same text with the unsafe characters escaped; `text` itself when nothing is unsafe.
 */
export function escapeForTerminal(text: string): string {
  UNSAFE.lastIndex = 0;
  if (!UNSAFE.test(text)) return text;
  return text.replace(UNSAFE, escapeCharacter);
}
