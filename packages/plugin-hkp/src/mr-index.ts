/**
 * Parser for the HKP machine-readable index (`op=index&options=mr`), written to survive every
 * dialect in the wild (protocols.md §2.5): LF or CRLF; a key ID or a fingerprint in `pub`;
 * SKS's `%XX` and `%%` escaping, Hockeypuck's lowercase `%3a` with raw UTF-8, Hagrid's raw `:`
 * and `%` in user IDs; missing trailing fields; `info` counts that do not match. Expiry is
 * computed here, never taken from the server's flag alone.
 */

export interface IndexKey {
  /** What the server put in the pub line: 8/16-hex key ID or 32/40/64-hex fingerprint, uppercase. */
  id: string;
  fingerprint: string | null;
  keyId: string | null;
  algorithmId: number | null;
  bits: number | null;
  created: Date | null;
  expires: Date | null;
  revoked: boolean;
  disabled: boolean;
  serverSaysExpired: boolean;
  userIds: string[];
}

export class IndexFormatError extends Error {}

const HEX = /^[0-9A-F]+$/;

export function parseMachineIndex(body: string): IndexKey[] {
  const trimmed = body.replace(/^\uFEFF/, '').trimStart();
  if (trimmed.startsWith('<')) throw new IndexFormatError('the server answered with an HTML page, not a key index');
  const keys: IndexKey[] = [];
  let current: IndexKey | undefined;
  for (const rawLine of body.split('\n')) {
    const line = rawLine.replace(/\r$/, '').trimEnd();
    if (line === '') continue;
    const type = line.slice(0, line.indexOf(':') >>> 0).toLowerCase();
    if (type === 'info') {
      const version = line.split(':')[1];
      if (version && version !== '1') throw new IndexFormatError(`unsupported index version ${version}`);
      continue;
    }
    if (type === 'pub') {
      const f = line.split(':');
      const id = (f[1] ?? '').toUpperCase().replace(/^0X/, '');
      if (!HEX.test(id) || ![8, 16, 32, 40, 64].includes(id.length)) {
        current = undefined; // an unusable record: skip it and its uids
        continue;
      }
      const flags = (f[6] ?? '').toLowerCase();
      current = {
        id,
        fingerprint: id.length >= 32 ? id : null,
        keyId: id.length === 16 ? id : id.length === 40 ? id.slice(-16) : id.length === 64 ? id.slice(0, 16) : null,
        algorithmId: toInt(f[2]),
        bits: toInt(f[3]),
        created: toDate(f[4]),
        expires: toDate(f[5]),
        revoked: flags.includes('r'),
        disabled: flags.includes('d'),
        serverSaysExpired: flags.includes('e'),
        userIds: [],
      };
      keys.push(current);
      continue;
    }
    if (type === 'uid' && current) {
      // uid:<escaped uid>:<created>:<expires>:<flags>. The uid itself may hold raw colons
      // (Hagrid), so take the last three fields from the right, when they look like fields.
      const rest = line.slice(4);
      const parts = rest.split(':');
      let uidText = rest;
      if (parts.length >= 4) {
        const tail = parts.slice(-3);
        const plausible = /^\d*$/.test(tail[0]!) && /^\d*$/.test(tail[1]!) && /^[a-z]*$/i.test(tail[2]!);
        if (plausible) uidText = parts.slice(0, -3).join(':');
      } else if (parts.length > 1 && parts.slice(1).every((p) => /^\d*$|^[a-z]*$/i.test(p))) {
        uidText = parts[0]!;
      }
      current.userIds.push(decodeUid(uidText));
    }
    // Unknown record types (uat, sig, …) are ignored, as GnuPG does.
  }
  return keys;
}

/**
 * Percent-decodes a user ID leniently: `%XX` in either case becomes a byte, SKS's `%%` a single
 * `%`, and a `%` not followed by two hex digits stays as it is (Hagrid does not escape `%`).
 * The bytes are read as UTF-8.
 */
export function decodeUid(text: string): string {
  const bytes: number[] = [];
  const raw = Buffer.from(text, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!;
    if (b === 0x25) {
      // `%%` is SKS's escaped percent, unless an escape follows (`%%20`): then the first `%` is
      // one Hagrid left raw. The two dialects are ambiguous there; this reading fits both
      // servers' usual output.
      if (raw[i + 1] === 0x25 && !/^[0-9a-fA-F]{2}$/.test(raw.subarray(i + 2, i + 4).toString('latin1'))) {
        bytes.push(0x25);
        i++;
        continue;
      }
      const hex = raw.subarray(i + 1, i + 3).toString('latin1');
      if (/^[0-9a-fA-F]{2}$/.test(hex)) {
        bytes.push(parseInt(hex, 16));
        i += 2;
        continue;
      }
    }
    bytes.push(b);
  }
  return Buffer.from(bytes).toString('utf8');
}

function toInt(s: string | undefined): number | null {
  if (!s || !/^\d+$/.test(s.trim())) return null;
  const n = Number(s.trim());
  // A server can send any digits; a number past 2^53 is not one it meant.
  return Number.isSafeInteger(n) ? n : null;
}

/** OpenPGP times are unsigned 32-bit seconds; anything else from a server is unknown, not an error. */
const MAX_OPENPGP_TIME = 0xffffffff;

function toDate(s: string | undefined): Date | null {
  const n = toInt(s);
  return n === null || n === 0 || n > MAX_OPENPGP_TIME ? null : new Date(n * 1000);
}

const ALGORITHMS: Record<number, string> = {
  1: 'rsa',
  2: 'rsa',
  3: 'rsa',
  16: 'elgamal',
  17: 'dsa',
  18: 'ecdh',
  19: 'ecdsa',
  20: 'elgamal',
  22: 'eddsa',
  25: 'x25519',
  26: 'x448',
  27: 'ed25519',
  28: 'ed448',
};

export function algorithmLabel(id: number | null): string | null {
  return id === null ? null : (ALGORITHMS[id] ?? `algorithm ${id}`);
}
