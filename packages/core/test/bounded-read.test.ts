import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCodes, readFileBounded, readStreamBounded } from '../src/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'keyport-bounded-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bounded reads', () => {
  it('reads a file of exactly the cap and refuses one byte more, naming the file', async () => {
    const file = path.join(dir, 'exact');
    writeFileSync(file, Buffer.alloc(4096, 7));
    expect(await readFileBounded(file, 4096)).toEqual(new Uint8Array(4096).fill(7));
    await expect(readFileBounded(file, 4095)).rejects.toMatchObject({ code: ErrorCodes.InputTooLarge, message: `${file} is 4096 bytes, over the 4095-byte limit` });
  });

  it('stops reading a device that never ends at the cap', async () => {
    await expect(readFileBounded('/dev/zero', 3 * 1024 * 1024 + 5)).rejects.toMatchObject({
      code: ErrorCodes.InputTooLarge,
      message: '/dev/zero holds more than 3145733 bytes',
    });
  });

  it('reports a missing file or a directory as unreadable, not as a bug', async () => {
    await expect(readFileBounded(path.join(dir, 'missing'), 10)).rejects.toMatchObject({ code: ErrorCodes.InputUnreadable, message: expect.stringContaining('ENOENT') });
    await expect(readFileBounded(dir, 10)).rejects.toMatchObject({ code: ErrorCodes.InputUnreadable });
  });

  it('stops consuming a stream at the first chunk over the cap', async () => {
    let pulled = 0;
    async function* endless() {
      for (;;) {
        pulled++;
        yield new Uint8Array(1000);
      }
    }
    await expect(readStreamBounded(endless(), 10_500, { label: 'stdin' })).rejects.toMatchObject({ code: ErrorCodes.InputTooLarge, message: 'stdin holds more than 10500 bytes' });
    expect(pulled).toBe(11);
    const joined = await readStreamBounded((async function* () { yield 'ab'; yield new Uint8Array([99]); })(), 3);
    expect(Buffer.from(joined).toString()).toBe('abc');
  });
});
