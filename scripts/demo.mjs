#!/usr/bin/env node
/**
 * `pnpm demo`: keyport's terminal UI on a throwaway home, against fixture servers on loopback
 * (an SKS-like HKP server with sample keys, a Hagrid-like VKS server that verifies addresses a
 * few seconds after mailing them, and a Web Key Directory for example.org). No network needed.
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'packages/cli-ink/dist/bundle/keyport.js');
const { startDemo } = await import(path.join(root, 'packages/test-fixtures/dist/index.js'));

if (!process.stdout.isTTY || !process.stdin.isTTY) {
  console.error('keyport demo: the terminal UI needs a terminal (run `pnpm demo` in one)');
  process.exit(2);
}
const demo = await startDemo({ autoVerifyMs: 3000 });
const env = { ...process.env, ...demo.env };
for (const file of demo.keyFiles) spawnSync(process.execPath, [bin, '--home', demo.home, 'import', '--file', file], { stdio: 'ignore', env });
console.log(`keyport demo: home ${demo.home}; HKP ${demo.hkp.url}, VKS ${demo.hagrid.url}, WKD for example.org`);
console.log('Try: i and search "example.org"; Enter on a key; p on Sam Secret (your own key) to publish; s to sync; , for settings');
// The TUI runs in a child process: the fixture servers keep answering from this one.
const child = spawn(process.execPath, [bin, '--home', demo.home, 'tui'], { stdio: 'inherit', env });
const code = await new Promise((resolve) => child.on('exit', (c) => resolve(c ?? 0)));
await demo.stop();
console.log(`keyport demo: done. The demo home is left at ${demo.home}`);
process.exit(code);
