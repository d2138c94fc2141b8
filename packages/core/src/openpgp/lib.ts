import type * as OpenPgp from 'openpgp';

let loading: Promise<typeof OpenPgp> | undefined;

/**
 * openpgp.js, loaded on first use. Listing keys and drawing the terminal UI never need it, and
 * compiling and initialising it took about 60 ms of every start (docs/bench.md, first frame).
 */
export function loadOpenpgp(): Promise<typeof OpenPgp> {
  return (loading ??= import('openpgp'));
}
