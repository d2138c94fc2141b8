#!/usr/bin/env node
import { main } from './main.js';

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
    process.stderr.write(`keyport: KP1000 unexpected failure: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
