import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHkpFixture, type RunningHkpFixture } from '@keyport/test-fixtures';
import { HOSTILE_USER_IDS, LISTED_USER_IDS, RAW_CONTROL, SHOWN_USER_IDS, hostileKeys } from './hostile-keys.js';
import { keyportAsync, tempHome } from './helpers.js';

/**
 * Text from keys and servers reaches the terminal escaped, in every command's human output and
 * in error messages; --json keeps the exact strings.
 */
const names = Object.keys(HOSTILE_USER_IDS) as (keyof typeof HOSTILE_USER_IDS)[];
let keys: ReturnType<typeof hostileKeys>;
let home: string;
let index: RunningHkpFixture;
let failing: RunningHkpFixture;
let maintenance: RunningHkpFixture;

/** What a terminal would receive, checked as bytes (as `od -c` shows them). */
function expectShownSafely(output: string): void {
  const bad = [...output].filter((c) => RAW_CONTROL.test(c)).map((c) => `U+${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);
  expect(bad).toEqual([]);
}

beforeAll(async () => {
  keys = hostileKeys();
  home = tempHome();
  const file = path.join(home, 'hostile.asc');
  writeFileSync(file, keys.armored);
  const imported = await keyportAsync(['import', '--file', file], { home });
  expect(imported.status, imported.stderr).toBe(0);
  [index, failing, maintenance] = await Promise.all([
    startHkpFixture({ dialect: 'sks', keys: keys.certificates, hostile: 'escapes' }),
    startHkpFixture({ dialect: 'sks', keys: [], hostile: 'escapes' }),
    startHkpFixture({ dialect: 'sks', keys: [], hostile: 'escapes-503' }),
  ]);
}, 60_000);
afterAll(async () => {
  await Promise.all([index?.stop(), failing?.stop(), maintenance?.stop()]);
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('hostile user IDs on the command line', () => {
  it('import reports them escaped', async () => {
    const again = await keyportAsync(['import', '--file', path.join(home, 'hostile.asc')], { home });
    expectShownSafely(again.stdout + again.stderr);
    for (const name of names) expect(again.stdout).toContain(`unchanged  ${keys.fingerprints[name]}  ${SHOWN_USER_IDS[name]}`);
  });

  it('list shows one row per key, each user ID escaped', async () => {
    const r = await keyportAsync(['list'], { home });
    expect(r.status).toBe(0);
    expectShownSafely(r.stdout);
    const rows = r.stdout.trimEnd().split('\n');
    expect(rows).toHaveLength(names.length);
    for (const name of names) expect(rows.find((row) => row.includes(keys.fingerprints[name]))).toMatch(new RegExp(`${escapeRegExp(LISTED_USER_IDS[name])}$`));
  });

  it('show prints the user ID escaped on its own row', async () => {
    for (const name of names) {
      const r = await keyportAsync(['show', keys.fingerprints[name]], { home });
      expect(r.status).toBe(0);
      expectShownSafely(r.stdout);
      expect(r.stdout).toContain(`    [   valid] ${LISTED_USER_IDS[name]} (primary)\n`);
    }
  });

  it('--json keeps the exact strings (JSON escaping only)', async () => {
    const r = await keyportAsync(['list', '--json'], { home });
    expectShownSafely(r.stdout);
    const list = JSON.parse(r.stdout) as { fingerprint: string; userIds: string[] }[];
    for (const name of names) expect(list.find((k) => k.fingerprint === keys.fingerprints[name])?.userIds).toEqual([HOSTILE_USER_IDS[name]]);
  });

  it('search results from index lines are escaped, --json keeps them exact', async () => {
    const r = await keyportAsync(['search', 'hostile.example', '--server', index.url], { home });
    expect(r.status, r.stderr).toBe(0);
    expectShownSafely(r.stdout + r.stderr);
    for (const name of names) expect(r.stdout).toContain(`       ${SHOWN_USER_IDS[name]}\n`);
    const j = await keyportAsync(['search', 'hostile.example', '--server', index.url, '--json'], { home });
    expectShownSafely(j.stdout);
    const hits = JSON.parse(j.stdout) as { userIds: string[] }[];
    expect(hits.flatMap((h) => h.userIds).sort()).toEqual(Object.values(HOSTILE_USER_IDS).sort());
  });
});

describe('hostile server messages', () => {
  it('an error body becomes one escaped line with its code', async () => {
    const r = await keyportAsync(['import', keys.fingerprints.title, '--server', failing.url], { home });
    expect(r.status).toBe(1);
    expectShownSafely(r.stderr);
    expect(r.stderr).toMatch(/^keyport: KP\d{4} .*\\x1b\]0;PWNED\\x07.*\\u\{202E\}evil.*\n$/);
    expect(r.stderr.split('\n')).toHaveLength(2);
  });

  it('a 503 message becomes one escaped line with its code; --json keeps it exact', async () => {
    const r = await keyportAsync(['search', 'anything', '--server', maintenance.url], { home });
    expect(r.status).toBe(1);
    expectShownSafely(r.stderr);
    expect(r.stderr).toMatch(/^keyport: KP\d{4} .*\\x1b\]52;c;ZWNobyBwd25lZA==\\x07.*\\x0d\\x0aforged line.*\n$/);
    const j = await keyportAsync(['search', 'anything', '--server', maintenance.url, '--json'], { home });
    expectShownSafely(j.stdout);
    const error = (JSON.parse(j.stdout) as { error: { message: string } }).error;
    expect(error.message).toContain('\u001b]52;c;ZWNobyBwd25lZA==\u0007');
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
