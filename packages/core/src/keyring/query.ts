/** What a user typed to name a key, classified the way key servers and GnuPG read it. */
export type KeyQuery =
  | { kind: 'fingerprint'; value: string }
  | { kind: 'keyId'; value: string }
  | { kind: 'shortKeyId'; value: string }
  | { kind: 'email'; value: string }
  | { kind: 'text'; value: string };

const HEX = /^[0-9A-F]+$/;
const EMAIL = /^[^\s@<>]+@[^\s@<>]+$/;

/**
 * Classifies a query: 40 or 64 hex digits (spaces and `0x` allowed) is a fingerprint, 16 a key
 * ID, 8 a short key ID (refused by callers: collisions are trivial to make), an address (bare or
 * `Name <a@b>`) an email, anything else text.
 */
export function classifyKeyQuery(input: string): KeyQuery {
  const trimmed = input.trim();
  const compact = trimmed.replace(/\s+/g, '').replace(/^0x/i, '').toUpperCase();
  if (HEX.test(compact)) {
    if (compact.length === 40 || compact.length === 64) return { kind: 'fingerprint', value: compact };
    if (compact.length === 16) return { kind: 'keyId', value: compact };
    if (compact.length === 8) return { kind: 'shortKeyId', value: compact };
  }
  const bracket = /<([^<>]+)>\s*$/.exec(trimmed);
  const address = bracket ? bracket[1]!.trim() : trimmed;
  if (EMAIL.test(address)) return { kind: 'email', value: address.toLowerCase() };
  return { kind: 'text', value: trimmed };
}
