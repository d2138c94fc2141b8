import { describe, expect, it } from 'vitest';
import { readPacketsLenient } from '../src/openpgp/packets.js';
import { readPacketsDroppingThirdParty } from '../src/openpgp/flood.js';

/** A new-format packet whose body comes in partial-length chunks of 2^exp bytes, then a final chunk. */
function partialPacket(tag: number, chunkExps: number[], last: Uint8Array, fill = (i: number) => i & 0xff): { bytes: Uint8Array; body: Uint8Array } {
  const parts: number[] = [0xc0 | tag];
  const body: number[] = [];
  let n = 0;
  for (const exp of chunkExps) {
    parts.push(0xe0 | exp);
    for (let i = 0; i < 1 << exp; i++) {
      const b = fill(n++);
      parts.push(b);
      body.push(b);
    }
  }
  if (last.length >= 192) throw new Error('test helper: keep the last chunk short');
  parts.push(last.length, ...last);
  body.push(...last);
  return { bytes: Uint8Array.from(parts), body: Uint8Array.from(body) };
}

describe('packet framing', () => {
  it('assembles partial-length bodies of mixed chunk sizes exactly', () => {
    const { bytes, body } = partialPacket(8, [9, 0, 3, 1, 9], Uint8Array.from([1, 2, 3]));
    for (const read of [readPacketsLenient, readPacketsDroppingThirdParty]) {
      const r = read(bytes);
      expect(r.error).toBeUndefined();
      expect(r.packets).toHaveLength(1);
      expect(r.packets[0]!.tag).toBe(8);
      expect(Buffer.from(r.packets[0]!.body).equals(Buffer.from(body))).toBe(true);
    }
  });

  it('a truncated partial chunk is a framing error at the packet start, not a crash', () => {
    const { bytes } = partialPacket(8, [4, 4], Uint8Array.from([9]));
    const cut = bytes.subarray(0, 20);
    expect(readPacketsLenient(cut).error?.offset).toBe(0);
    expect(readPacketsDroppingThirdParty(cut).error?.offset).toBe(0);
  });

  it('a million one-byte partial chunks cost one body, not an object per chunk', () => {
    const chunks = 1_000_000;
    // Built straight into one buffer so that no garbage from building it is collected while measuring.
    const bytes = new Uint8Array(1 + chunks * 2 + 1);
    bytes[0] = 0xc8;
    for (let i = 0; i < chunks; i++) {
      bytes[1 + 2 * i] = 0xe0;
      bytes[2 + 2 * i] = 0x61;
    }
    const before = process.memoryUsage().heapUsed;
    const r = readPacketsLenient(bytes);
    const grown = process.memoryUsage().heapUsed - before;
    expect(r.packets[0]!.body.length).toBe(chunks);
    // One live view per chunk (the reader before this test) held about 145 MB of heap here.
    expect(grown).toBeLessThan(32 * 1024 * 1024);
  });
});
