import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../scripts/api-report.mjs');

describe('public API report', () => {
  it('docs/api/core.api.md matches the built public surface (run `pnpm api-report` after changing it)', async () => {
    const { generateApiReport, REPORT, UNDOCUMENTED } = (await import(script)) as { generateApiReport(): string; REPORT: string; UNDOCUMENTED: string };
    const current = generateApiReport();
    // Every export a plugin can use carries TSDoc.
    const undocumented = current.split('### ').filter((section) => section.includes(UNDOCUMENTED)).map((section) => section.split('\n')[0]);
    expect(undocumented).toEqual([]);
    expect(current).toContain('### definePlugin');
    expect(current).toContain('### PluginContext');
    expect(readFileSync(REPORT, 'utf8')).toBe(current);
  });
});
