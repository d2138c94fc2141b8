import { promises as fs } from 'node:fs';
import { ErrorCodes, InputError } from '../errors.js';
import { concatBytes } from '../openpgp/packets.js';

/** Bytes asked of the kernel per read: large enough to read fast, small next to any sane cap. */
const CHUNK_BYTES = 1024 * 1024;

/** What to call the input in messages, and what the user can do when it is too large. */
export interface BoundedReadOptions {
  /** The name the messages use: a path, or "stdin". */
  label?: string;
  /** The step suggested when the input is over the cap. */
  tooLargeStep?: string;
}

/**
 * Reads a whole file, FIFO or character device, but never more than `maxBytes`: reading stops
 * the moment the input proves larger (one byte over the cap), whatever `stat` claims, so
 * `/dev/zero` or an endless FIFO ends with {@link ErrorCodes.InputTooLarge} instead of filling
 * memory. Memory stays below twice the cap plus one chunk.
 *
 * @throws InputError `InputTooLarge` over the cap, `InputUnreadable` when the file cannot be
 * opened or read (the message names the file and the system's reason).
 */
export async function readFileBounded(file: string, maxBytes: number, options: BoundedReadOptions = {}): Promise<Uint8Array> {
  const label = options.label ?? file;
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (e) {
    throw unreadable(label, e);
  }
  try {
    const stat = await handle.stat().catch(() => undefined);
    // A regular file that says it is too large is refused before reading a byte.
    if (stat?.isFile() && stat.size > maxBytes) {
      throw tooLarge(`${label} is ${stat.size} bytes, over the ${maxBytes}-byte limit`, options);
    }
    if (stat?.isDirectory()) {
      throw new InputError(ErrorCodes.InputUnreadable, `cannot read ${label}: it is a directory`, { nextStep: 'give the path of a file' });
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    // One scratch buffer, and exact copies kept: pipes return 64 KiB per read, and keeping
    // views of 1 MiB buffers would hold sixteen times what was read.
    const scratch = Buffer.allocUnsafe(CHUNK_BYTES);
    for (;;) {
      // Never ask for more than the cap allows plus one byte: that byte is the proof of "too large".
      const want = Math.min(CHUNK_BYTES, maxBytes + 1 - size);
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.read(scratch, 0, want, null));
      } catch (e) {
        throw unreadable(label, e);
      }
      if (bytesRead === 0) break;
      size += bytesRead;
      if (size > maxBytes) throw tooLarge(`${label} holds more than ${maxBytes} bytes`, options);
      chunks.push(new Uint8Array(scratch.subarray(0, bytesRead)));
    }
    return concatBytes(chunks);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * Reads a stream (stdin, an HTTP body) to its end, but never keeps more than `maxBytes`: the
 * first chunk that crosses the cap ends the read with {@link ErrorCodes.InputTooLarge}, and the
 * stream is left unconsumed from there on.
 */
export async function readStreamBounded(
  stream: AsyncIterable<Uint8Array | string>,
  maxBytes: number,
  options: BoundedReadOptions = {},
): Promise<Uint8Array> {
  const label = options.label ?? 'the input';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const piece of stream) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
    size += chunk.length;
    if (size > maxBytes) throw tooLarge(`${label} holds more than ${maxBytes} bytes`, options);
    chunks.push(chunk);
  }
  return concatBytes(chunks);
}

function tooLarge(message: string, options: BoundedReadOptions) {
  return new InputError(ErrorCodes.InputTooLarge, message, { nextStep: options.tooLargeStep ?? 'split the input, or raise the limit with `keyport config set import.maxBytes N`' });
}

function unreadable(label: string, e: unknown) {
  const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  return new InputError(ErrorCodes.InputUnreadable, `cannot read ${label}: ${code}`, { nextStep: 'check the path and permissions', cause: e });
}
