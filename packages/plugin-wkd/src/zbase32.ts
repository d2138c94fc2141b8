import { createHash } from 'node:crypto';

/** z-base-32 alphabet (RFC 6189 §5.1.6). */
const ALPHABET = 'ybndrfg8ejkmcpqxot1uwisza345h769';

/** z-base-32 encoding, 5 bits per character, most significant first; a 20-byte SHA-1 gives 32. */
export function zbase32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/**
 * The WKD hash of a local part: ASCII upper case mapped to lower case only (non-ASCII bytes are
 * left alone, as GnuPG does), SHA-1 of the UTF-8 bytes, z-base-32.
 */
export function wkdHash(localPart: string): string {
  const lowered = localPart.replace(/[A-Z]/g, (c) => c.toLowerCase());
  return zbase32(createHash('sha1').update(lowered, 'utf8').digest());
}
