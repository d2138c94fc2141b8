import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS_DIR, fixturePath, manifest, startHkpFixture, type RunningHkpFixture } from '@keyport/test-fixtures';
import { keyportAsync, tempHome } from './helpers.js';

const CLI_MD = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'cli.md');
/** The HKP server the examples name; the test runs them against a fixture server on another port. */
const DOC_SERVER = '127.0.0.1:11371';
/** The home the examples show in paths. */
const DOC_HOME = '~/.config/keyport';

/** One `console` block of docs/cli.md: commands (after `$ `), each with the output shown under it. */
interface Example {
  line: number;
  steps: { command: string; expected: string }[];
}

/** The ```console blocks of a Markdown text, in order. */
function examplesIn(markdown: string): Example[] {
  const examples: Example[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```console') continue;
    const example: Example = { line: i + 1, steps: [] };
    for (i++; i < lines.length && lines[i] !== '```'; i++) {
      const text = lines[i]!;
      if (text.startsWith('$ ')) example.steps.push({ command: text.slice(2), expected: '' });
      else if (example.steps.length) example.steps.at(-1)!.expected += `${text}\n`;
    }
    examples.push(example);
  }
  return examples;
}

/** Splits a documented command line into arguments: words, and '…' quoted words. */
function words(command: string): string[] {
  return [...command.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

/**
 * Runs every example in a fresh home (from the fixture keys folder, against `server`) and
 * returns how each output differs from the documented one: stdout, then stderr, exactly.
 */
async function check(examples: Example[], server: RunningHkpFixture): Promise<string[]> {
  const port = new URL(server.url).host;
  const problems: string[] = [];
  for (const example of examples) {
    const home = tempHome();
    try {
      for (const step of example.steps) {
        const [program, ...args] = words(step.command.replaceAll(DOC_SERVER, port));
        if (program !== 'keyport') throw new Error(`docs/cli.md:${example.line}: examples run keyport only, not ${program}`);
        const r = await keyportAsync(args, { home, cwd: KEYS_DIR });
        const actual = `${r.stdout}${r.stderr}`.replaceAll(port, DOC_SERVER).replaceAll(home, DOC_HOME);
        if (actual !== step.expected) problems.push(`docs/cli.md:${example.line}: \`${step.command}\` printed:\n${actual}\ninstead of:\n${step.expected}`);
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }
  return problems;
}

describe('docs/cli.md', () => {
  let server: RunningHkpFixture;
  beforeAll(async () => {
    server = await startHkpFixture({ dialect: 'sks', keys: (['ed25519', 'expired'] as const).map((n) => readFileSync(fixturePath(manifest[n].file), 'utf8')) });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('every documented example prints what the docs show', async () => {
    const examples = examplesIn(readFileSync(CLI_MD, 'utf8'));
    expect(examples.length).toBeGreaterThanOrEqual(8);
    expect(await check(examples, server)).toEqual([]);
  }, 120_000);

  it('an example that drifts from the output is caught', async () => {
    const example = examplesIn(readFileSync(CLI_MD, 'utf8')).find((e) => e.steps.some((s) => s.expected.includes('1 new, 0 updated')))!;
    expect(example).toBeDefined();
    // First the example as documented must pass: otherwise the problem found below could be a
    // drift already in the docs rather than the one made here.
    expect(await check([example], server)).toEqual([]);
    // One step drifted (an example may have several steps with this line), and exactly it is reported.
    const at = example.steps.findIndex((s) => s.expected.includes('1 new, 0 updated'));
    const drifted = { ...example, steps: example.steps.map((s, k) => (k === at ? { ...s, expected: s.expected.replace('1 new, 0 updated', '2 new, 0 updated') } : s)) };
    const problems = await check([drifted], server);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`\`${example.steps[at]!.command}\` printed:\n`);
    expect(problems[0]).toContain('instead of:\n');
    expect(problems[0]).toMatch(/2 new, 0 updated[^]*$/);
  }, 120_000);
});
