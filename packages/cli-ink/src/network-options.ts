import type { HttpExchange, KeyportOptions } from '@keyport/core';
import { printLines } from './output.js';

/** The global options about the network: `--proxy URL`, `--tor`, `--verbose`. */
export interface NetworkGlobals {
  proxy?: string;
  tor?: boolean;
  verbose?: boolean;
}

/** What createKeyport needs from those options: the proxy for this run, and the request log for --verbose. */
export function networkRuntimeOptions(globals: NetworkGlobals, stderr: NodeJS.WritableStream): Pick<KeyportOptions, 'network' | 'onHttpExchange'> {
  return {
    network: { proxy: globals.proxy, tor: globals.tor },
    // On stderr, so that --json on stdout stays exactly the document; escaped like every human line.
    onHttpExchange: globals.verbose ? (exchange) => printLines(stderr, formatExchange(exchange)) : undefined,
  };
}

/** One request as `--verbose` shows it: method, URL, status, bytes, time, and the proxy. */
export function formatExchange(x: HttpExchange): string {
  const via = x.proxy ? ` via ${x.proxy}` : '';
  if (x.status === null) return `keyport: request: ${x.method} ${x.url} failed after ${x.ms} ms${via}: ${x.error ?? 'no answer'}`;
  return `keyport: request: ${x.method} ${x.url} ${x.status} ${x.bytes} ${x.bytes === 1 ? 'byte' : 'bytes'} ${x.ms} ms${via}`;
}
