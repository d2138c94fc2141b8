import { ErrorCodes, InputError } from '../errors.js';
import type { KeySummary } from './summary.js';

/** A `list` pattern, classified the way `gpg --list-keys PATTERN` classifies it (g10 classify_user_id). */
export type ListPattern =
  | { kind: 'all' }
  | { kind: 'substring'; text: string }
  | { kind: 'exact'; text: string }
  | { kind: 'email'; address: string }
  | { kind: 'email-part'; text: string }
  | { kind: 'short-key-id' | 'key-id' | 'fingerprint'; hex: string };

const HEX = /^[0-9a-fA-F]+$/;

/**
 * Classifies a `list` pattern as gpg does: `<a@b>` an exact address, `@part` part of an address,
 * `=text` an exact user ID, `*text` (or anything else) a substring of a user ID, and hex digits
 * (optionally after `0x`, with a trailing `!`, or a fingerprint written in groups with spaces) a
 * key ID of 8 or 16 digits or a fingerprint of 40 or 64. Case never matters.
 *
 * @throws InputError (KP1002) for a pattern gpg also refuses: `0x` without 8, 16, 40 or 64 hex
 * digits, or the keygrip (`&`) and local-ID (`#`) forms keyport has no use for.
 */
export function parseListPattern(pattern: string): ListPattern {
  const s = pattern.trimStart();
  if (s.trim() === '') return { kind: 'all' };
  const usage = (why: string) =>
    new InputError(ErrorCodes.Usage, `"${pattern}" is not a pattern keyport can list by: ${why}`, {
      nextStep: 'give part of a user ID, <address>, @domain, a key ID (8 or 16 hex digits) or a fingerprint',
    });
  switch (s[0]) {
    case '<': {
      const end = s.indexOf('>');
      if (end < 0) throw usage('the address has no closing ">"');
      return { kind: 'email', address: asciiLower(s.slice(1, end)) };
    }
    case '@':
      return { kind: 'email-part', text: asciiLower(s.slice(1)) };
    case '=':
      return { kind: 'exact', text: s.slice(1) };
    case '*':
      return { kind: 'substring', text: asciiLower(s.slice(1)) };
    case '#':
    case '&':
      throw usage(`the "${s[0]}" form (${s[0] === '#' ? 'local key ID' : 'keygrip'}) is not supported`);
  }
  const hex = hexOf(s);
  if (hex !== undefined) return hex;
  if (/^0x/i.test(s)) throw usage('after "0x" come 8, 16, 40 or 64 hex digits');
  return { kind: 'substring', text: asciiLower(s) };
}

/** 8/16 hex digits as a key ID, 40/64 as a fingerprint (also in space-separated groups), else undefined. */
function hexOf(s: string): ListPattern | undefined {
  let t = s.trimEnd();
  if (t.endsWith('!')) t = t.slice(0, -1);
  const prefixed = /^0x/i.test(t);
  if (prefixed) t = t.slice(2);
  if (HEX.test(t)) {
    const hex = t.toUpperCase();
    if (hex.length === 8) return { kind: 'short-key-id', hex };
    if (hex.length === 16) return { kind: 'key-id', hex };
    if (hex.length === 40 || hex.length === 64) return { kind: 'fingerprint', hex };
    return undefined;
  }
  // "AAAA BBBB ... JJJJ": the grouped form gpg prints; only whole fingerprints count.
  if (!prefixed && /^[0-9a-fA-F]{4}( {1,2}[0-9a-fA-F]{4})+$/.test(t)) {
    const hex = t.replace(/ /g, '').toUpperCase();
    if (hex.length === 40 || hex.length === 64) return { kind: 'fingerprint', hex };
  }
  return undefined;
}

/** Lower case for ASCII only, as gpg compares (a non-ASCII letter matches only itself). */
function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/**
 * Does the key match a `list` pattern, as `gpg --list-keys PATTERN` would list it? User-ID forms
 * look at every user ID, revoked and expired ones too; key-ID and fingerprint forms at the
 * primary key and every subkey. An empty pattern matches every key.
 *
 * @throws InputError (KP1002) for a pattern {@link parseListPattern} refuses.
 */
export function matchesListPattern(summary: KeySummary, pattern: string | ListPattern): boolean {
  const p = typeof pattern === 'string' ? parseListPattern(pattern) : pattern;
  const keys = [summary, ...summary.subkeys];
  switch (p.kind) {
    case 'all':
      return true;
    case 'substring':
      return summary.userIds.some((u) => asciiLower(u.userId).includes(p.text));
    case 'exact':
      return summary.userIds.some((u) => u.userId === p.text);
    case 'email':
      return summary.userIds.some((u) => addressOf(u.userId) === p.address);
    case 'email-part':
      return summary.userIds.some((u) => addressOf(u.userId)?.includes(p.text) ?? false);
    case 'short-key-id':
      return keys.some((k) => k.keyId.endsWith(p.hex));
    case 'key-id':
      return keys.some((k) => k.keyId === p.hex);
    case 'fingerprint':
      return keys.some((k) => k.fingerprint === p.hex);
  }
}

/** The text between the last `<` and the following `>` of a user ID (gpg's mailbox), in ASCII lower case. */
function addressOf(userId: string): string | undefined {
  const start = userId.lastIndexOf('<');
  if (start < 0) return userId.includes('@') ? asciiLower(userId.trim()) : undefined;
  const end = userId.indexOf('>', start);
  return end < 0 ? undefined : asciiLower(userId.slice(start + 1, end));
}
