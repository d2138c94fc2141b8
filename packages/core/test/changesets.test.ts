import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

// A changeset that names an unknown package, or mixes the ignored test-fixtures package with
// released ones, makes `changeset version` fail at release time; catch it when it is written.
it('every changeset is one the release tooling accepts', () => {
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules', '@changesets', 'cli', 'bin.js'), 'status'], { cwd: root, encoding: 'utf8' });
  expect(r.stdout + r.stderr).not.toMatch(/error/i);
  expect(r.status).toBe(0);
});
