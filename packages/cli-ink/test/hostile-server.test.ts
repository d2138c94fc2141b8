import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEBIAN_KEYRING,
  ESCAPE_USER_ID,
  RAW_TERMINAL_BYTES,
  UNRESOLVABLE_SERVER,
  fixtureArmored,
  fixturePath,
  floodedCertificate,
  hostileBinary,
  manifest,
  startHostileServer,
  thirdPartySignatures,
  type HostileServerMode,
  type HostileServerOptions,
  type RunningHostileServer,
} from '@keyport/test-fixtures';
import { BIN, homeWith, keyportAsync as keyport, tempDir, tempHome, type RunResult } from './helpers.js';

/*
 * Issue 10, "Must show": a hostile key server against the built CLI, over HKP and over VKS.
 * Whatever the server sends: no certificate that was not asked for, no third-party signature
 * kept, the victim still found by its full fingerprint, no raw control bytes on the terminal,
 * and exit code 1 (never 2, a usage error) when the server's data is bad.
 */

const victim = manifest.ed25519;
const bystander = manifest.rsa4096;
type Protocol = 'hkp' | 'vks';
const PROTOCOLS: Protocol[] = ['hkp', 'vks'];

/** Pins the engine: HKP with KeyServerSync off; VKS with the HKP module off (sync goes to keyserversync.url). */
const engineArgs = (p: Protocol) => (p === 'hkp' ? ['--modules', '-keyserversync'] : ['--modules', '-hkp']);

const servers: RunningHostileServer[] = [];
async function hostile(mode: HostileServerMode, extra: Partial<HostileServerOptions> = {}): Promise<RunningHostileServer> {
  const s = await startHostileServer({ mode, victim: fixtureArmored('ed25519'), ...extra });
  servers.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

/*
 * A server's protocol is stored when it is added (ADR 0008) and decides the engine a look-up goes
 * to. The tests name it with --protocol: a probe would let the hostile server choose (in
 * `escapes` mode its "not found" answers are the attack, so no probe is decisive), and an
 * unlisted `--server` URL is HKP, which with HKP disabled is refused before VKS is ever asked.
 */
const addServer = (server: string, p: Protocol) => ['servers', 'add', server, '--protocol', p];

/** An empty home that lists `server` as speaking `p`. */
const serverHome = (server: string, p: Protocol) => homeWith([addServer(server, p)]);

/** A home holding the victim and a bystander, pointed at `server` both as default server (speaking `p`) and as VKS target. */
function victimHome(server: string, p: Protocol = 'hkp'): Promise<string> {
  return homeWith([
    ['import', '--file', fixturePath(victim.file)],
    ['import', '--file', fixturePath(bystander.file)],
    addServer(server, p),
    ['servers', 'default', server],
    ['config', 'set', 'keyserversync.url', server],
  ]);
}

async function fingerprints(home: string): Promise<string[]> {
  const r = await keyport(['list', '--json'], { home });
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { fingerprint: string }[]).map((k) => k.fingerprint).sort();
}

/** Third-party signatures on the stored certificate, counted on `export` by the fixture's own packet reader. */
async function thirdPartyKept(home: string, fingerprint: string): Promise<number> {
  const r = await keyport(['export', fingerprint], { home });
  expect(r.status, r.stderr).toBe(0);
  return thirdPartySignatures(await hostileBinary(r.stdout));
}

/** `show FPR` names exactly that primary. */
async function expectShown(home: string, fingerprint: string): Promise<void> {
  const r = await keyport(['show', fingerprint, '--json'], { home });
  expect([r.status, r.stderr]).toEqual([0, '']);
  expect((JSON.parse(r.stdout) as { fingerprint: string }).fingerprint).toBe(fingerprint);
}

function expectNoRawControls(r: RunResult, what: string): void {
  for (const [stream, text] of [['stdout', r.stdout], ['stderr', r.stderr]] as const) {
    const m = RAW_TERMINAL_BYTES.exec(text);
    expect(m, `${what}: raw U+${m?.[0].codePointAt(0)!.toString(16).padStart(4, '0')} on ${stream}: ${JSON.stringify(text.slice(Math.max(0, (m?.index ?? 0) - 40), (m?.index ?? 0) + 40))}`).toBeNull();
  }
}

/** The look-up went to `s` over `p` (and was not refused before any request, which would pass the "nothing added" checks for nothing). */
function expectAsked(s: RunningHostileServer, p: Protocol): void {
  const lookup = (u: string) => (p === 'hkp' ? u.startsWith('/pks/lookup?') && /[?&]op=get(&|$)/.test(u) : u.startsWith('/vks/v1/by-'));
  expect(s.requests.some((q) => lookup(q.url)), `no ${p} look-up reached the server`).toBe(true);
}

type SyncReport = { results: { fingerprint: string; status: string; reason: string | null }[] };

describe.each(PROTOCOLS)('hostile answers to look-ups by fingerprint over %s', (protocol) => {
  // Each answer holds certificates that merely carry the victim's key or address.
  const unasked: HostileServerMode[] = ['subkey-attacker-bound', 'subkey-third-bound', 'subkey-unbound', 'unsigned-uid', 'thousand-certs'];

  it.each(unasked)('%s: import into an empty keyring adds no certificate that was not asked for, exit 1', async (mode) => {
    const s = await hostile(mode);
    const home = await serverHome(s.url, protocol);
    const r = await keyport([...engineArgs(protocol), 'import', victim.fingerprint, '--server', s.url], { home });
    expectAsked(s, protocol);
    // Only `thousand-certs` carries the real key next to the attacker's certificates.
    expect(await fingerprints(home)).toEqual(mode === 'thousand-certs' ? [victim.fingerprint] : []);
    expect(r.status, r.stdout + r.stderr).toBe(1);
    if (mode === 'thousand-certs') {
      // Each attacker certificate is refused and counted, none dropped silently.
      expect(r.stdout).toMatch(/^1 new, 0 updated, 0 unchanged, 1000 rejected$/m);
      await expectShown(home, victim.fingerprint);
      expect(await thirdPartyKept(home, victim.fingerprint)).toBe(0);
    }
  });

  it.each(unasked)('%s: sync leaves the keyring as it was and the victim found by its fingerprint', async (mode) => {
    const s = await hostile(mode);
    const home = await victimHome(s.url, protocol);
    const before = await fingerprints(home);
    const exported = (await keyport(['export', victim.fingerprint], { home })).stdout;
    const r = await keyport([...engineArgs(protocol), 'sync', '--all', '--yes', '--json'], { home });
    expect(r.status, r.stderr).not.toBe(2);
    expect(await fingerprints(home)).toEqual(before);
    await expectShown(home, victim.fingerprint);
    expect((await keyport(['export', victim.fingerprint], { home })).stdout).toBe(exported);
    const report = JSON.parse(r.stdout) as SyncReport;
    // Sync only ever reports on the keys it asked about.
    expect(report.results.map((x) => x.fingerprint).sort()).toEqual(before);
    const mine = report.results.find((x) => x.fingerprint === victim.fingerprint)!;
    if (mode === 'thousand-certs') expect(mine.status).toBe('unchanged');
    else {
      // The answer held nothing for the victim: bad data from the server, said with a reason.
      expect(['rejected', 'not-found']).toContain(mine.status);
      expect(mine.reason).toBeTruthy();
      expect(r.status).toBe(1);
    }
  });

  it('subkey-attacker-encrypt (a valid binding, no back-signature needed): sync adds nothing and a full fingerprint names the victim', async () => {
    const s = await hostile('subkey-attacker-encrypt');
    const home = await victimHome(s.url, protocol);
    const before = await fingerprints(home);
    const r = await keyport([...engineArgs(protocol), 'sync', '--all', '--yes'], { home });
    expect(r.status).not.toBe(2);
    expect(await fingerprints(home)).toEqual(before);
    // Even if an import takes the attacker's certificate (its subkey is validly bound), the full fingerprint names the primary.
    await keyport([...engineArgs(protocol), 'import', victim.fingerprint, '--server', s.url], { home });
    await expectShown(home, victim.fingerprint);
  });

  it('revocation-flood: 5,000 key revocations from random issuers are not kept, twice in a row', async () => {
    const s = await hostile('revocation-flood');
    const home = await victimHome(s.url, protocol);
    const exported = (await keyport(['export', victim.fingerprint], { home })).stdout;
    for (let round = 0; round < 2; round++) {
      const r = await keyport([...engineArgs(protocol), 'sync', victim.fingerprint, '--json'], { home });
      expect(r.status, r.stderr).not.toBe(2);
      expect(await thirdPartyKept(home, victim.fingerprint)).toBe(0);
      expect((await keyport(['export', victim.fingerprint], { home })).stdout).toBe(exported);
      const shown = await keyport(['show', victim.fingerprint, '--json'], { home });
      expect((JSON.parse(shown.stdout) as { revoked: boolean }).revoked).toBe(false);
    }
    // The same answer fetched by import into an empty keyring: the key, none of the flood.
    const empty = await serverHome(s.url, protocol);
    await keyport([...engineArgs(protocol), 'import', victim.fingerprint, '--server', s.url], { home: empty });
    expect(await fingerprints(empty)).toEqual([victim.fingerprint]);
    expect(await thirdPartyKept(empty, victim.fingerprint)).toBe(0);
  });

  it('flooded (third-party certifications from 50 signers): none kept from a server', async () => {
    const s = await hostile('flooded');
    const home = await victimHome(s.url, protocol);
    const r = await keyport([...engineArgs(protocol), 'sync', victim.fingerprint], { home });
    expect(r.status, r.stderr).not.toBe(2);
    expect(await thirdPartyKept(home, victim.fingerprint)).toBe(0);
    await expectShown(home, victim.fingerprint);
  });

  it.each(['truncated', 'garbage'] as const)('%s answer: exit 1 with a reason (not 2), nothing stored', async (mode) => {
    const s = await hostile(mode);
    const empty = await serverHome(s.url, protocol);
    const imported = await keyport([...engineArgs(protocol), 'import', victim.fingerprint, '--server', s.url], { home: empty });
    expectAsked(s, protocol);
    expect(imported.status, imported.stdout + imported.stderr).toBe(1);
    expect(await fingerprints(empty)).toEqual([]);
    const home = await victimHome(s.url, protocol);
    const exported = (await keyport(['export', victim.fingerprint], { home })).stdout;
    const synced = await keyport([...engineArgs(protocol), 'sync', victim.fingerprint], { home });
    expect(synced.status, synced.stdout + synced.stderr).toBe(1);
    expect(synced.stdout + synced.stderr).toContain(victim.fingerprint);
    expect((await keyport(['export', victim.fingerprint], { home })).stdout).toBe(exported);
  });

  it('escapes: user IDs and error bodies reach the terminal escaped, --json keeps the exact string', async () => {
    const s = await hostile('escapes');
    const eve = s.escapeKey!.fingerprint;
    const home = await serverHome(s.url, protocol);
    const imported = await keyport([...engineArgs(protocol), 'import', eve, '--server', s.url], { home });
    expectNoRawControls(imported, 'import');
    expect(imported.status, imported.stderr).toBe(0);
    expectNoRawControls(await keyport(['list'], { home }), 'list');
    expectNoRawControls(await keyport(['show', eve], { home }), 'show');
    const asJson = JSON.parse((await keyport(['show', eve, '--json'], { home })).stdout) as { userIds: string[] };
    expect(asJson.userIds).toContain(ESCAPE_USER_ID);
    // An unknown key: the server's error body carries the attacks too.
    const unknown = await keyport([...engineArgs(protocol), 'import', bystander.fingerprint, '--server', s.url], { home });
    expectNoRawControls(unknown, 'error body');
    expect(unknown.status).toBe(1);
    const synced = await keyport([...engineArgs(protocol), 'sync', '--all', '--yes'], { home: await victimHome(s.url, protocol) });
    expectNoRawControls(synced, 'sync');
  });
});

describe('a flooded key from a file', () => {
  it('keeps at most 250 certifications on a user ID whose certifiers are not in the keyring, and says how many it dropped', async () => {
    const file = path.join(tempDir('kp-flood-'), 'flooded.pgp');
    writeFileSync(file, await floodedCertificate(fixtureArmored('ed25519'), 2000, 50));
    const home = tempHome();
    const r = await keyport(['import', '--file', file], { home });
    expect(r.status, r.stderr).toBe(0);
    expect(await fingerprints(home)).toEqual([victim.fingerprint]);
    // None of the 50 certifiers is in the keyring, so none of their 2,000 certifications stays.
    expect(await thirdPartyKept(home, victim.fingerprint)).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/2,?000/);
  });
});

describe('hostile answers to searches (HKP index)', () => {
  it('escapes in index lines and error bodies are shown escaped', async () => {
    const s = await hostile('escapes');
    const home = tempHome();
    const hit = await keyport(['search', s.escapeKey!.fingerprint, '--server', s.url], { home });
    expect(hit.status, hit.stderr).toBe(0);
    expectNoRawControls(hit, 'search');
    expect(hit.stdout).toContain('eve@escape.example');
    const byText = await keyport(['search', 'eve@escape.example', '--server', s.url], { home });
    expectNoRawControls(byText, 'search by email');
    const miss = await keyport(['search', bystander.fingerprint, '--server', s.url], { home });
    expectNoRawControls(miss, 'search error body');
    expect(miss.status).toBe(1);
  });

  it.each(['subkey-attacker-bound', 'thousand-certs', 'revocation-flood'] as const)('%s: a search adds nothing to the keyring', async (mode) => {
    const s = await hostile(mode);
    const home = await victimHome(s.url);
    const before = await fingerprints(home);
    const r = await keyport(['search', victim.fingerprint, '--server', s.url], { home });
    expect(r.status).not.toBe(2);
    expect(await fingerprints(home)).toEqual(before);
  });

  it('a web server\'s HTML 404 is not taken for a key server: search fails (exit 1), servers test says it does not speak HKP', async () => {
    const s = await hostile('html-404');
    const home = tempHome();
    const r = await keyport(['search', victim.fingerprint, '--server', s.url], { home });
    expect(r.status, r.stdout).toBe(1);
    expect(r.stdout).not.toMatch(/no keys? found/i);
    const tested = await keyport(['servers', 'test', s.url, '--json'], { home });
    expect(tested.status).toBe(1);
    expect((JSON.parse(tested.stdout) as { speaksProtocol: boolean }[])[0]!.speaksProtocol).toBe(false);
  });
});

describe.each(PROTOCOLS)('rate limits and offline hosts over %s', (protocol) => {
  /** Ten keys, each of which sync asks about. */
  const TEN = ['rsa4096', 'ed25519', 'expired', 'revoked', 'to-revoke', 'expired-subkey', 'revoked-uid', 'pair-old', 'pair-new', 'secret'] as const;
  const tenKeys = (server: string) =>
    homeWith([
      ...TEN.map((n) => ['import', '--file', fixturePath(manifest[n].file)]),
      addServer(server, protocol),
      ['servers', 'default', server],
      ['config', 'set', 'keyserversync.url', server],
    ]);

  it('429 with Retry-After: 3600 ends the run for that host and says when to retry', async () => {
    const s = await hostile('rate-limited', { retryAfter: 3600 });
    const home = await tenKeys(s.url);
    // One request at a time, so that "stops at the first 429" is observable as one request.
    await keyport(['config', 'set', 'network.perHostConcurrency', '1'], { home });
    const r = await keyport([...engineArgs(protocol), 'sync', '--all', '--yes'], { home });
    expect(r.status).toBe(1);
    // Not one request per key: the run stops asking once the server said to come back in an hour.
    const lookups = s.requests.filter((q) => q.url.includes('/pks/lookup') || q.url.includes('/vks/v1/'));
    expect(lookups.length).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/retry|try again/i);
    expect(r.stdout + r.stderr).toMatch(/3600|60 min|1 h|hour|\d{2}:\d{2}/);
  });

  it('an unresolvable host: one line with the reason and the count, within 5 s', async () => {
    const home = await tenKeys(UNRESOLVABLE_SERVER);
    const held = (await fingerprints(home)).length;
    const started = performance.now();
    const r = await keyport([...engineArgs(protocol), 'sync', '--all', '--yes'], { home, timeoutMs: 15_000 });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(r.status).toBe(1);
    const lines = (r.stdout + r.stderr).trim().split('\n');
    // One summary line (plus at most a next step), naming the host, the reason and the count.
    expect(lines.length, lines.join('\n')).toBeLessThanOrEqual(2);
    expect(lines.join('\n')).toContain('keys.hostile.invalid');
    expect(lines.join('\n')).toMatch(new RegExp(`\\b${held}\\b`));
    expect(lines.join('\n')).toMatch(/resolve|DNS|ENOTFOUND|not found/i);
  });
});

describe('offline sync of the Debian keyring (905 keys)', () => {
  let home: string;
  beforeAll(async () => {
    home = tempHome();
    const r = await keyport(['import', '--file', DEBIAN_KEYRING], { home });
    if (r.status !== 0) throw new Error(r.stderr);
    await keyport(['config', 'set', 'keyserversync.url', UNRESOLVABLE_SERVER], { home });
  }, 120_000);

  it('ends within 5 s with one line, not 905', async () => {
    const started = performance.now();
    const r = await keyport(['sync', '--all', '--yes'], { home, timeoutMs: 15_000 });
    const took = performance.now() - started;
    expect(took).toBeLessThan(5000);
    expect(r.status).toBe(1);
    const lines = (r.stdout + r.stderr).trim().split('\n');
    expect(lines.length).toBeLessThanOrEqual(2);
    expect(lines.join('\n')).toMatch(/905/);
  }, 60_000);
});

describe('the terminal UI in a real terminal (tmux) with a hostile user ID', () => {
  it('list, details and search leave the pane title and the paste buffer alone and conceal nothing', async () => {
    const s = await hostile('escapes');
    const eve = s.escapeKey!.fingerprint;
    const home = await homeWith([
      addServer(s.url, 'hkp'),
      ['servers', 'default', s.url],
      ['--modules', '-keyserversync', 'import', eve],
    ]);
    const socket = path.join(tempDir('kp-tmux-'), 'tmux');
    const tmux = (...args: string[]) => execFileSync('tmux', ['-S', socket, ...args], { encoding: 'utf8' });
    // A shell first, so the title and clipboard settings are in place before keyport draws anything.
    tmux('new-session', '-d', '-s', 'kp', '-x', '160', '-y', '45', 'sh');
    try {
      tmux('set-option', '-g', 'set-clipboard', 'on'); // OSC 52 from the application would fill a tmux buffer
      tmux('select-pane', '-t', 'kp', '-T', 'before-keyport');
      tmux('send-keys', '-t', 'kp', '-l', `exec env NO_COLOR=1 CI=1 ${process.execPath} ${BIN} --home ${home} --modules -keyserversync tui`);
      tmux('send-keys', '-t', 'kp', 'Enter');
      const screen = () => tmux('capture-pane', '-p', '-t', 'kp');
      const see = async (text: string | RegExp) => {
        const end = Date.now() + 15_000;
        for (;;) {
          const now = screen();
          if (typeof text === 'string' ? now.includes(text) : text.test(now)) return now;
          if (Date.now() > end) throw new Error(`timed out waiting for ${String(text)}; screen:\n${now}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      const untouched = (where: string) => {
        expect(tmux('display-message', '-p', '-t', 'kp', '#{pane_title}').trim(), `${where}: pane title`).toBe('before-keyport');
        expect(tmux('list-buffers'), `${where}: paste buffers`).toBe('');
        // With attributes: no concealed (SGR 8) or red (SGR 31) text came from the user ID.
        const raw = tmux('capture-pane', '-p', '-e', '-t', 'kp');
        // eslint-disable-next-line no-control-regex -- looking for the attacker's SGR sequences
        expect(raw, `${where}: SGR from the user ID`).not.toMatch(/\u001B\[(?:[0-9;]*;)?(?:8|31)m/);
      };
      // The escaped user ID is longer than the row, so the row is found by Eve's key ID and the
      // escaped title sequence, shown as text at the start of the user ID.
      const eveRow = new RegExp(`${s.escapeKey!.keyId}.*Eve \\\\x1b\\]0;pwned-title\\\\x07`);
      await see(eveRow);
      untouched('list');
      tmux('send-keys', '-t', 'kp', 'Enter');
      await see('Fingerprint');
      untouched('details');
      tmux('send-keys', '-t', 'kp', 'Escape');
      await see(eveRow);
      tmux('send-keys', '-t', 'kp', 'i');
      await see('Search:');
      tmux('send-keys', '-t', 'kp', '-l', eve);
      tmux('send-keys', '-t', 'kp', 'Enter');
      await see(/\d+ keys? found/);
      untouched('search');
      // The attack is shown as text, not obeyed: the title it tried to set is visible on screen.
      expect(screen()).toContain('pwned-title');
    } finally {
      spawnSync('tmux', ['-S', socket, 'kill-server']);
    }
  }, 60_000);
});

/**
 * Runs keyport with a watchdog on its resident memory (from /proc) and its time: it is killed as
 * soon as it passes either bound, so a test of unbounded reading never eats the machine.
 */
function watched(args: string[], home: string, bounds: { ms: number; rssBytes: number }): Promise<RunResult & { peakRss: number; killedFor: string | null; ms: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, '--home', home, ...args], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let peakRss = 0;
  let killedFor: string | null = null;
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const watch = setInterval(() => {
    try {
      const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0);
      peakRss = Math.max(peakRss, kb * 1024);
    } catch {
      /* exited meanwhile */
    }
    const over = peakRss > bounds.rssBytes ? `RSS passed ${bounds.rssBytes >> 20} MB` : performance.now() - started > bounds.ms ? `still running after ${bounds.ms} ms` : null;
    if (over && !killedFor) {
      killedFor = over;
      child.kill('SIGKILL');
    }
  }, 20);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearInterval(watch);
      resolve({ status: code ?? -1, stdout, stderr, peakRss, killedFor, ms: performance.now() - started });
    }),
  );
}

describe('bounded reading of local inputs', () => {
  it('import --file /dev/zero stops with the size error within seconds, below 600 MB', async () => {
    const r = await watched(['import', '--file', '/dev/zero'], tempHome(), { ms: 10_000, rssBytes: 600 * 2 ** 20 });
    expect(r.killedFor, `peak ${r.peakRss >> 20} MB`).toBeNull();
    // Input that cannot be used is a usage/input error (exit 2, docs/cli.md); 1 is for servers' bad data.
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^keyport: KP1301 /);
  });

  it('a FIFO fed 1 GiB is not read whole before the size cap rejects it', async () => {
    const dir = tempDir('kp-fifo-');
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const writer = spawn('sh', ['-c', `head -c 1073741824 /dev/zero > ${fifo}`], { stdio: 'ignore' });
    try {
      const r = await watched(['import', '--file', fifo], tempHome(), { ms: 10_000, rssBytes: 600 * 2 ** 20 });
      expect(r.killedFor, `peak ${r.peakRss >> 20} MB`).toBeNull();
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^keyport: KP1301 /);
    } finally {
      writer.kill('SIGKILL');
    }
  });
});
