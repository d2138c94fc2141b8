import { ErrorCodes, InputError } from '../errors.js';
import { concatBytes } from './packets.js';

const BEGIN = /^-----BEGIN PGP ([A-Z ,0-9/]+)-----\s*$/;
const END = /^-----END PGP ([A-Z ,0-9/]+)-----\s*$/;
const ACCEPTED = new Set(['PUBLIC KEY BLOCK', 'PRIVATE KEY BLOCK', 'SIGNATURE']);

export function looksArmored(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, Math.min(bytes.length, 4096))).toString('latin1');
  return head.includes('-----BEGIN PGP ');
}

/**
 * Decodes every ASCII-armor block in the input (RFC 9580 §6) and concatenates their packets.
 * Text outside the blocks is ignored, as GnuPG does. The CRC-24, when present, must match:
 * a damaged armor is refused rather than half-imported.
 */
export function dearmorAll(bytes: Uint8Array): Uint8Array {
  const text = Buffer.from(bytes).toString('latin1');
  const lines = text.split(/\r?\n/);
  const parts: Uint8Array[] = [];
  let i = 0;
  let sawBlock = false;
  while (i < lines.length) {
    const begin = BEGIN.exec(lines[i]!.trim());
    if (!begin) {
      i++;
      continue;
    }
    sawBlock = true;
    const kind = begin[1]!;
    if (!ACCEPTED.has(kind)) {
      throw malformed(`an armored "PGP ${kind}" is not a key`, 'give a public key block (-----BEGIN PGP PUBLIC KEY BLOCK-----)');
    }
    i++;
    // Armor headers run up to the first blank line; some writers omit both.
    let j = i;
    while (j < lines.length && lines[j]!.trim() !== '' && /^[A-Za-z-]+: /.test(lines[j]!)) j++;
    if (j < lines.length && lines[j]!.trim() === '') j++;
    let base64 = '';
    let crc: string | undefined;
    let ended = false;
    for (; j < lines.length; j++) {
      const line = lines[j]!.trim();
      const end = END.exec(line);
      if (end) {
        ended = true;
        if (end[1] !== kind) throw malformed(`armor block "${kind}" ends with "${end[1]}"`);
        break;
      }
      if (line.startsWith('=') && line.length === 5) {
        crc = line.slice(1);
        continue;
      }
      if (line === '') continue;
      if (!/^[A-Za-z0-9+/=]+$/.test(line)) throw malformed('invalid character in armored data');
      base64 += line;
    }
    if (!ended) throw malformed('the armored block is truncated (no END line)');
    const data = new Uint8Array(Buffer.from(base64, 'base64'));
    if (crc !== undefined) {
      const expected = Buffer.from(crc, 'base64');
      const actual = crc24(data);
      if (expected.length !== 3 || expected.readUIntBE(0, 3) !== actual) {
        throw malformed('armor checksum (CRC-24) mismatch: the data was damaged in transit');
      }
    }
    parts.push(data);
    i = j + 1;
  }
  if (!sawBlock) throw malformed('no armored OpenPGP block found');
  return concatBytes(parts);
}

function malformed(message: string, nextStep = 'check that the input is an OpenPGP key (armored or binary) and not damaged') {
  return new InputError(ErrorCodes.InputMalformed, message, { nextStep });
}

export function crc24(data: Uint8Array): number {
  let crc = 0xb704ce;
  for (const byte of data) {
    crc ^= byte << 16;
    for (let k = 0; k < 8; k++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  return crc & 0xffffff;
}

/** Armors binary packets as a public key block (with CRC, which GnuPG 2.2 still expects). */
export function armorPublicKey(data: Uint8Array): string {
  const b64 = Buffer.from(data).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  const crc = Buffer.alloc(3);
  crc.writeUIntBE(crc24(data), 0, 3);
  return ['-----BEGIN PGP PUBLIC KEY BLOCK-----', '', ...lines, `=${crc.toString('base64')}`, '-----END PGP PUBLIC KEY BLOCK-----', ''].join('\n');
}
