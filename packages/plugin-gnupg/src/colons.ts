import { algorithmName, emailOf, type KeySecretState, type KeySecretStates, type KeyStoreEntry, type KeySummary, type KeyUsage, type SubkeySummary } from '@keyport/core';

/** gpg's public-key algorithm numbers, as core's {@link algorithmName} names them (openpgp.js names). */
const ALGORITHMS: Record<string, string> = {
  '1': 'rsaEncryptSign',
  '2': 'rsaEncrypt',
  '3': 'rsaSign',
  '16': 'elgamal',
  '17': 'dsa',
  '18': 'ecdh',
  '19': 'ecdsa',
  '20': 'elgamal',
  '22': 'eddsaLegacy',
  '25': 'x25519',
  '26': 'x448',
  '27': 'ed25519',
  '28': 'ed448',
};

const iso = (seconds: string | undefined) => (seconds ? new Date(Number(seconds) * 1000).toISOString() : null);

function usageOf(capabilities: string | undefined): KeyUsage[] {
  // Lower-case letters are the key's own capabilities; upper-case ones summarise the whole key.
  const own = capabilities ?? '';
  const out: KeyUsage[] = [];
  if (own.includes('c')) out.push('certify');
  if (own.includes('s')) out.push('sign');
  if (own.includes('e')) out.push('encrypt');
  if (own.includes('a')) out.push('authenticate');
  return out;
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A colon field as text: gpg escapes `:` and control bytes as `\xNN` and passes the rest as raw
 * bytes (read here as latin1). Valid UTF-8 is decoded; other bytes stay `\xNN`, as core shows them.
 */
export function unescapeField(field: string): string {
  const bytes = Buffer.from(field.replace(/\\x([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return [...bytes].map((b) => (b < 0x80 ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
  }
}

/** The fields a `pub` and a `sub` line give alike: algorithm (fields 3, 4, 17), creation and expiry (6, 7). */
function keyFields(f: string[]) {
  const a = algorithmName({ algorithm: ALGORITHMS[f[3] ?? ''] ?? `algorithm ${f[3]}`, bits: f[2] ? Number(f[2]) : undefined, curve: f[16] || undefined });
  return { algorithm: a.name, bits: a.bits, curve: a.curve, created: iso(f[5])!, expires: iso(f[6]) };
}

/**
 * Parses `gpg --list-keys --with-colons --fixed-list-mode --with-fingerprint --with-fingerprint`
 * (read as latin1) into key summaries in gpg's order. The first user ID listed is the primary
 * one: gpg lists it first.
 */
export function parseKeyListing(text: string): KeySummary[] {
  const keys: KeySummary[] = [];
  let key: KeySummary | undefined;
  let sub: SubkeySummary | undefined;
  let expectFpr: 'key' | 'sub' | undefined;
  for (const line of text.split('\n')) {
    const f = line.split(':');
    switch (f[0]) {
      case 'pub': {
        key = {
          fingerprint: '',
          keyId: f[4] ?? '',
          version: 4,
          ...keyFields(f),
          revoked: f[1] === 'r',
          revocation: null,
          usage: usageOf(f[11]),
          userIds: [],
          subkeys: [],
        };
        keys.push(key);
        sub = undefined;
        expectFpr = 'key';
        break;
      }
      case 'sub': {
        if (!key) break;
        sub = {
          fingerprint: '',
          keyId: f[4] ?? '',
          ...keyFields(f),
          expired: f[1] === 'e',
          revoked: f[1] === 'r',
          revocation: null,
          usage: usageOf(f[11]),
        };
        key.subkeys.push(sub);
        expectFpr = 'sub';
        break;
      }
      case 'fpr':
        if (expectFpr === 'key' && key) {
          key.fingerprint = f[9] ?? '';
          key.version = key.fingerprint.length === 64 ? 6 : 4;
        } else if (expectFpr === 'sub' && sub) sub.fingerprint = f[9] ?? '';
        expectFpr = undefined;
        break;
      case 'uid': {
        if (!key) break;
        const userId = unescapeField(f[9] ?? '');
        key.userIds.push({
          userId,
          email: emailOf(userId),
          primary: key.userIds.length === 0,
          revoked: f[1] === 'r',
          revocation: null,
          expires: iso(f[6]),
          expired: f[1] === 'e',
        });
        expectFpr = undefined;
        break;
      }
    }
  }
  return keys;
}

/** `+` present, `#` stub, a card serial number otherwise (doc/DETAILS, field 15 of sec/ssb). */
function secretStateOf(token: string | undefined): KeySecretState {
  if (token === '#') return 'stub';
  if (token && token !== '+') return 'card';
  return 'present';
}

/** Parses `gpg --list-secret-keys --with-colons --fixed-list-mode --with-fingerprint --with-fingerprint` into states by primary fingerprint. */
export function parseSecretListing(text: string): Map<string, KeySecretStates> {
  const states = new Map<string, KeySecretStates>();
  let current: KeySecretStates | undefined;
  let pending: { kind: 'sec' | 'ssb'; state: KeySecretState } | undefined;
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] === 'sec' || f[0] === 'ssb') {
      pending = { kind: f[0], state: secretStateOf(f[14]) };
      if (f[0] === 'sec') current = { primary: pending.state, subkeys: {} };
    } else if (f[0] === 'fpr' && pending && current) {
      if (pending.kind === 'sec') states.set(f[9] ?? '', current);
      else current.subkeys[f[9] ?? ''] = pending.state;
      pending = undefined;
    }
  }
  return states;
}

/** The states of a key with no secret part. */
export const NO_SECRET: KeySecretStates = Object.freeze({ primary: 'absent', subkeys: Object.freeze({}) }) as KeySecretStates;

/** One listing entry with its secret states. */
export function entriesOf(keys: KeySummary[], secrets: Map<string, KeySecretStates>): KeyStoreEntry[] {
  return keys.map((summary) => ({ summary, secret: secrets.get(summary.fingerprint) ?? NO_SECRET }));
}
