import { ErrorCodes, InputError } from '../errors.js';
import { concatBytes, packetsContained } from './packets.js';

const ACCEPTED = new Set(['PUBLIC KEY BLOCK', 'PRIVATE KEY BLOCK', 'SIGNATURE']);

export function looksArmored(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, Math.min(bytes.length, 4096))).toString('latin1');
  return head.includes('-----BEGIN PGP ');
}

/** Options of {@link dearmorAll}. */
export interface DearmorOptions {
  /**
   * Check the characters and the CRC-24 (default). Off only for data that is then compared
   * byte for byte with packets already trusted: damage cannot make it match, and whatever does
   * not match goes through a checked decode before it is used.
   */
  verify?: boolean;
}

/**
 * Decodes every ASCII-armor block in the input (RFC 9580 §6) and concatenates their packets.
 * Text outside the blocks is ignored, as GnuPG does. The CRC-24, when present, must match:
 * a damaged armor is refused rather than half-imported.
 *
 * Works on whole sections rather than line by line: a key server's answer can hold tens of
 * megabytes of armor, and Node's base64 decoder skips line breaks itself.
 */
export function dearmorAll(bytes: Uint8Array, options: DearmorOptions = {}): Uint8Array {
  const verify = options.verify ?? true;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const parts: Uint8Array[] = [];
  let pos = 0;
  for (;;) {
    const begin = text.indexOf('-----BEGIN PGP ', pos);
    if (begin < 0) break;
    const kindEnd = text.indexOf('-----', begin + 15);
    const lineEnd = text.indexOf('\n', begin);
    if (kindEnd < 0 || lineEnd < 0 || kindEnd > lineEnd) throw malformed('the armored block is truncated (no END line)');
    const kind = text.slice(begin + 15, kindEnd);
    if (!ACCEPTED.has(kind)) {
      throw malformed(`an armored "PGP ${kind}" is not a key`, 'give a public key block (-----BEGIN PGP PUBLIC KEY BLOCK-----)');
    }
    const end = text.indexOf('-----END PGP ', lineEnd);
    if (end < 0) throw malformed('the armored block is truncated (no END line)');
    const endKindEnd = text.indexOf('-----', end + 13);
    const endKind = endKindEnd < 0 ? '' : text.slice(end + 13, endKindEnd);
    if (endKind !== kind) throw malformed(`armor block "${kind}" ends with "${endKind}"`);
    // Armor headers ("Version: …", "Comment: …") run up to the first blank line; some writers
    // omit both the headers and the blank line.
    let bodyStart = lineEnd + 1;
    for (;;) {
      const next = text.indexOf('\n', bodyStart);
      if (next < 0 || next >= end) break;
      const line = text.slice(bodyStart, next).trim();
      if (line === '') {
        bodyStart = next + 1;
        break;
      }
      if (!/^[A-Za-z-]+: /.test(line)) break;
      bodyStart = next + 1;
    }
    const { body, crc } = splitChecksum(text.slice(bodyStart, end));
    if (verify && !/^[A-Za-z0-9+/=\s]*$/.test(body)) throw malformed('invalid character in armored data');
    const data = new Uint8Array(Buffer.from(body, 'base64'));
    if (verify && crc !== undefined) {
      const expected = Buffer.from(crc, 'base64');
      if (expected.length !== 3 || expected.readUIntBE(0, 3) !== crc24(data)) {
        throw malformed('armor checksum (CRC-24) mismatch: the data was damaged in transit');
      }
    }
    parts.push(data);
    pos = endKindEnd + 5;
  }
  if (parts.length === 0) throw malformed('no armored OpenPGP block found');
  return parts.length === 1 ? parts[0]! : concatBytes(parts);
}

/**
 * Separates the optional checksum line ("=XXXX", the last line) from the base64 body. Looked
 * for from the end: a pattern anchored at the end is tried at every line of a large answer.
 */
function splitChecksum(section: string): { body: string; crc?: string } {
  const trimmed = section.trimEnd();
  const lineStart = trimmed.lastIndexOf('\n') + 1;
  const line = trimmed.slice(lineStart);
  if (!/^=[A-Za-z0-9+/]{4}$/.test(line)) return { body: section };
  return { body: section.slice(0, lineStart), crc: line.slice(1) };
}

function malformed(message: string, nextStep = 'check that the input is an OpenPGP key (armored or binary) and not damaged') {
  return new InputError(ErrorCodes.InputMalformed, message, { nextStep });
}

/**
 * CRC-24 tables for slicing by four: the 24-bit register is kept in the top of a 32-bit one, and
 * SLICE[k][b] is the effect of byte b followed by k zero bytes. Four bytes per step make the
 * checksum of a flooded key's 24 MB answer three times faster than a table look-up per byte.
 */
const CRC24_SLICES = (() => {
  const poly = 0x864cfb00;
  const first = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 24;
    for (let k = 0; k < 8; k++) crc = crc & 0x80000000 ? (crc << 1) ^ poly : crc << 1;
    first[i] = crc;
  }
  const slices = [first];
  for (let k = 1; k < 4; k++) {
    const prev = slices[k - 1]!;
    const next = new Int32Array(256);
    for (let i = 0; i < 256; i++) next[i] = (prev[i]! << 8) ^ first[(prev[i]! >>> 24) & 0xff]!;
    slices.push(next);
  }
  return slices as [Int32Array, Int32Array, Int32Array, Int32Array];
})();

/** CRC-24 of RFC 9580 §6.1, four bytes per step (see {@link CRC24_SLICES}). */
export function crc24(data: Uint8Array): number {
  const [t0, t1, t2, t3] = CRC24_SLICES;
  let crc = 0xb704ce << 8;
  const whole = data.length - (data.length & 3);
  let i = 0;
  for (; i < whole; i += 4) {
    crc ^= (data[i]! << 24) | (data[i + 1]! << 16) | (data[i + 2]! << 8) | data[i + 3]!;
    crc = t3[(crc >>> 24) & 0xff]! ^ t2[(crc >>> 16) & 0xff]! ^ t1[(crc >>> 8) & 0xff]! ^ t0[crc & 0xff]!;
  }
  for (; i < data.length; i++) crc = (crc << 8) ^ t0[((crc >>> 24) ^ data[i]!) & 0xff]!;
  return (crc >>> 8) & 0xffffff;
}

/**
 * Does `stored` (a certificate as a store holds it) hold every packet of `answer` (armored or
 * binary), byte for byte? Then importing the answer cannot change anything. False whenever that
 * is not certain: nothing stored, or an answer that does not decode or frame.
 */
export function answerHeld(stored: Uint8Array | undefined, answer: Uint8Array): boolean {
  if (!stored || answer.length === 0) return false;
  let binary: Uint8Array;
  try {
    // Unchecked decode: damage cannot turn into packets identical to stored ones.
    binary = (answer[0]! & 0x80) !== 0 ? answer : dearmorAll(answer, { verify: false });
  } catch {
    return false;
  }
  return binary.length > 0 && packetsContained(stored, binary);
}

/** Armors binary packets as a public key block (with CRC, which GnuPG 2.2 still expects). */
export function armorPublicKey(data: Uint8Array): string {
  const crc = Buffer.alloc(3);
  crc.writeUIntBE(crc24(data), 0, 3);
  return ['-----BEGIN PGP PUBLIC KEY BLOCK-----', '', ...(data.length ? [base64Lines(data)] : []), `=${crc.toString('base64')}`, '-----END PGP PUBLIC KEY BLOCK-----', ''].join('\n');
}

/** Base64 in lines of 64, joined by newlines: copied as bytes, since `export --all` armors tens of MB (a regex split took twice as long). */
function base64Lines(data: Uint8Array): string {
  const b64 = Buffer.from(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'), 'latin1');
  const out = Buffer.allocUnsafe(b64.length + Math.ceil(b64.length / 64) - 1);
  let pos = 0;
  for (let i = 0; i < b64.length; i += 64) {
    if (i) out[pos++] = 0x0a;
    pos += b64.copy(out, pos, i, Math.min(i + 64, b64.length));
  }
  return out.toString('latin1', 0, pos);
}
