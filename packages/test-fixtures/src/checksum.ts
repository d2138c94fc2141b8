/**
 * The armor checksum (CRC-24 of RFC 9580 §6.1), computed bit by bit: the fixtures keep their own,
 * independent of the client's table-driven one, so a fixture can contradict it.
 */
export function crc24(data: Uint8Array): number {
  let crc = 0xb704ce;
  for (const byte of data) {
    crc ^= byte << 16;
    for (let i = 0; i < 8; i++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  return crc & 0xffffff;
}

/** The armor's checksum line ("=" and the base64 of three bytes) for a CRC-24 value. */
export function checksumLine(crc: number): string {
  return `=${Buffer.from([(crc >> 16) & 0xff, (crc >> 8) & 0xff, crc & 0xff]).toString('base64')}`;
}

/** A public key block as key servers write it: no headers, base64 in lines of `width` characters, then the checksum line. */
export function armorWithChecksum(bytes: Uint8Array, width: number): string {
  const base64 = Buffer.from(bytes).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < base64.length; i += width) lines.push(base64.slice(i, i + width));
  return ['-----BEGIN PGP PUBLIC KEY BLOCK-----', '', ...lines, checksumLine(crc24(bytes)), '-----END PGP PUBLIC KEY BLOCK-----', ''].join('\n');
}
