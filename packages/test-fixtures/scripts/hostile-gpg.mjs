// Runs every hostile-server answer through GnuPG, as docs/security.md reports it:
//   file:  `gpg --import` of the answer bytes (an empty keyring, and one holding the victim);
//   recv:  `gpg --recv-keys FPR` against the hostile server through dirmngr (what gpg does with a
//          key server: self-sigs-only and import-clean are its defaults since 2.2.17);
//   refresh: `gpg --refresh-keys` in a keyring holding the victim (gpg's "sync").
// Usage: pnpm --filter @keyport/test-fixtures build && node scripts/hostile-gpg.mjs [mode ...]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fixtureArmored, manifest, startHostileServer } from '../dist/index.js';

const victim = manifest.ed25519;
const modes = process.argv.slice(2).length
  ? process.argv.slice(2)
  : ['subkey-attacker-bound', 'subkey-attacker-encrypt', 'subkey-third-bound', 'subkey-unbound', 'unsigned-uid', 'thousand-certs', 'revocation-flood', 'flooded', 'escapes', 'truncated', 'garbage', 'rate-limited', 'html-404'];

/** Asynchronous: the hostile server runs in this process and must answer dirmngr meanwhile. */
function gpg(home, args, input) {
  const t0 = performance.now();
  const child = spawn('gpg', ['--batch', '--no-tty', '--homedir', home, ...args], { env: { ...process.env, LC_ALL: 'C' } });
  const out = [];
  const err = [];
  child.stdout.on('data', (c) => out.push(c));
  child.stderr.on('data', (c) => err.push(c));
  child.stdin.end(input);
  return new Promise((resolve) =>
    child.on('close', (status) => resolve({ status, stdout: Buffer.concat(out).toString('latin1'), stderr: Buffer.concat(err).toString('latin1'), ms: Math.round(performance.now() - t0) })),
  );
}

function home(serverUrl) {
  const h = mkdtempSync(path.join(os.tmpdir(), 'kp-gpg-'));
  if (serverUrl) writeFileSync(path.join(h, 'dirmngr.conf'), `keyserver ${serverUrl.replace('http://', 'hkp://')}\n`);
  return h;
}

/** Keys in the keyring, and signatures on them not made by their own primary. */
async function state(h) {
  const colons = (await gpg(h, ['--with-colons', '--fixed-list-mode', '--list-sigs'])).stdout;
  const keys = [];
  let primaryId = '';
  let foreign = 0;
  let uidEscaped = false;
  for (const line of colons.split('\n')) {
    const f = line.split(':');
    if (f[0] === 'pub') primaryId = f[4];
    if (f[0] === 'pub') keys.push({ fpr: '', pending: true });
    if (f[0] === 'fpr' && keys.at(-1)?.pending) Object.assign(keys.at(-1), { fpr: f[9], pending: false });
    if ((f[0] === 'sig' || f[0] === 'rev') && f[4] !== primaryId) foreign++;
    if (f[0] === 'uid' && /\\x1b/.test(f[9])) uidEscaped = true;
  }
  return { keys: keys.map((k) => k.fpr), foreign, uidEscaped };
}

const kill = (h) => {
  spawnSync('gpgconf', ['--homedir', h, '--kill', 'all']);
  rmSync(h, { recursive: true, force: true });
};

const summary = (st, r) => {
  const extra = st.keys.filter((k) => k !== victim.fingerprint);
  const line = r.stderr.split('\n').filter((l) => /imported|unchanged|not changed|processed|no valid|error|failed|skipped|new signatures|rejected/.test(l)).map((l) => l.replace(/^gpg: /, '').trim()).slice(0, 4).join('; ');
  return `exit ${r.status}, ${st.keys.includes(victim.fingerprint) ? 'victim held' : 'victim absent'}, ${extra.length} other key(s), ${st.foreign} third-party sig(s), ${r.ms} ms [${line}]`;
};

for (const mode of modes) {
  const s = await startHostileServer({ mode, victim: fixtureArmored('ed25519') });
  const asked = s.escapeKey?.fingerprint ?? victim.fingerprint;
  const file = path.join(os.tmpdir(), `kp-hostile-${mode}.pgp`);
  writeFileSync(file, s.answer);
  const out = {};
  // Plain --import of the answer, into an empty keyring.
  let h = home();
  let r = await gpg(h, ['--import', file]);
  out.importEmpty = summary(await state(h), r);
  kill(h);
  // Into a keyring holding the victim.
  h = home();
  await gpg(h, ['--import'], fixtureArmored('ed25519'));
  r = await gpg(h, ['--import', file]);
  out.importVictim = summary(await state(h), r);
  kill(h);
  // gpg --recv-keys against the hostile server, empty keyring.
  h = home(s.url);
  r = await gpg(h, ['--recv-keys', asked]);
  const st = await state(h);
  out.recvEmpty = summary(st, r) + (mode === 'escapes' ? ` (uid escaped in --with-colons: ${st.uidEscaped})` : '');
  kill(h);
  // gpg --refresh-keys in a keyring holding the victim (gpg's sync).
  h = home(s.url);
  await gpg(h, ['--import'], fixtureArmored('ed25519'));
  r = await gpg(h, ['--refresh-keys']);
  out.refreshVictim = summary(await state(h), r);
  kill(h);
  await s.stop();
  rmSync(file, { force: true });
  console.log(JSON.stringify({ mode, ...out }));
}
