#!/usr/bin/env node
import { main } from './main.js';
import { printLines } from './output.js';

// Certificate writes are fsynced in parallel; libuv's default pool of 4 threads would serialise
// them. The pool starts on first use, which is after this line.
process.env.UV_THREADPOOL_SIZE ??= '16';

// A reader that stops early (`keyport list | head`) is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}

// Apart from the EPIPE case above, no code below this entry point exits: it returns a code.
main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    printLines(process.stderr, `keyport: KP1000 unexpected failure: ${String(error)}`);
    process.exitCode = 1;
  },
);
