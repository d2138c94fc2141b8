#!/usr/bin/env node
/**
 * The transfer floor: download the given keys with op=get, CONCURRENCY in flight, a new
 * connection per request (as keyport's transport does), and do nothing with them.
 *   node bench/fetch-floor.mjs BASE_URL CONCURRENCY FINGERPRINT_FILE (one per line)
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';

const [base, concurrency] = [process.argv[2], Number(process.argv[3])];
const fprs = readFileSync(process.argv[4], 'utf8').split('\n').filter(Boolean);
let next = 0;
let bytes = 0;
const get = (fpr) =>
  new Promise((resolve, reject) => {
    const req = http.get(`${base}/pks/lookup?op=get&options=mr&search=0x${fpr}`, { agent: false }, (res) => {
      res.on('data', (c) => (bytes += c.length));
      res.on('end', resolve);
    });
    req.on('error', reject);
  });
const started = Date.now();
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (next < fprs.length) await get(fprs[next++]);
}));
console.log(JSON.stringify({ keys: fprs.length, seconds: (Date.now() - started) / 1000, bytes }));
