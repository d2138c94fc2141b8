import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '@keyport/core';
import { fixturePath, manifest } from '@keyport/test-fixtures';
import { keyport, keyportJson, tempDir, tempHome } from './helpers.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const docs = readFileSync(path.join(repo, 'docs/plugins.md'), 'utf8');

/** The files docs/plugins.md shows (fenced blocks tagged `file=NAME`), as a plugin author copies them. */
function filesFromDocs(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const m of docs.matchAll(/```\w+ file=(\S+)\n([\s\S]*?)```/g)) files[m[1]!] = m[2]!;
  return files;
}

/** A folder outside the workspace (no node_modules anywhere above it that holds @keyport/core). */
const outside = (prefix: string) => tempDir(prefix);

type Module = { id: string; state: string; version: string; origin: 'builtin' | { specifier: string }; error: { code: string; message: string } | null };

describe('a third-party plugin written from docs/plugins.md alone', () => {
  it('the walkthrough builds the example plugin', () => {
    const files = filesFromDocs();
    expect(Object.keys(files).sort()).toEqual(['index.js', 'package.json']);
    expect(files['index.js']).toBe(readFileSync(path.join(repo, 'examples/plugin-keydir/index.js'), 'utf8'));
  });

  it('is added by path, listed, used for search and import, disabled (all of it gone) and enabled again', () => {
    const dir = path.join(outside('keyport-author-'), 'keyport-plugin-keydir');
    mkdirSync(dir);
    for (const [name, text] of Object.entries(filesFromDocs())) writeFileSync(path.join(dir, name), text);
    const keys = outside('keyport-keydir-');
    writeFileSync(path.join(keys, 'rita.asc'), readFileSync(fixturePath(manifest.rsa4096.file)));
    writeFileSync(path.join(keys, 'eddie.asc'), readFileSync(fixturePath(manifest.ed25519.file)));
    const server = `keydir://${keys}`;
    const home = tempHome();

    const added = keyportJson<{ id: string; state: string; specifier: string }>(['plugins', 'add', dir], { home });
    expect(added).toMatchObject({ id: 'keydir', state: 'enabled', specifier: dir });
    const listed = keyportJson<Module[]>(['modules', 'list'], { home });
    expect(listed.find((m) => m.id === 'keydir')).toMatchObject({ state: 'enabled', version: '1.0.0', origin: { specifier: dir } });
    expect(keyportJson<{ id: string; state: string }[]>(['plugins', 'list'], { home })).toEqual([expect.objectContaining({ specifier: dir, id: 'keydir', state: 'enabled' })]);
    expect(keyport(['config', 'get', 'keydir.maxFiles'], { home }).stdout.trim()).toBe('10000');

    const hits = keyportJson<{ fingerprint: string; source: string }[]>(['search', '--server', server, 'rita@example.org'], { home });
    expect(hits).toEqual([expect.objectContaining({ fingerprint: manifest.rsa4096.fingerprint, source: server })]);
    const imported = keyportJson<{ results: { status: string; fingerprint: string }[] }>(['import', '--server', server, manifest.ed25519.fingerprint], { home });
    expect(imported.results).toMatchObject([{ status: 'new', fingerprint: manifest.ed25519.fingerprint }]);

    expect(keyport(['modules', 'disable', 'keydir'], { home }).status).toBe(0);
    const off = keyport(['search', '--server', server, 'rita@example.org'], { home });
    expect(off.status).toBe(2);
    expect(off.stderr).toContain(ErrorCodes.KeyserverUrlInvalid);
    expect(keyport(['config', 'get', 'keydir.maxFiles'], { home }).status).toBe(2);
    expect(keyportJson<Module[]>(['modules', 'list'], { home }).find((m) => m.id === 'keydir')!.state).toBe('disabled');

    expect(keyport(['modules', 'enable', 'keydir'], { home }).status).toBe(0);
    expect(keyportJson<unknown[]>(['search', '--server', server, 'eddie@example.org'], { home })).toHaveLength(1);

    expect(keyport(['plugins', 'remove', 'keydir'], { home }).status).toBe(0);
    expect(keyportJson<Module[]>(['modules', 'list'], { home }).map((m) => m.id)).toEqual(['hkp', 'keyserversync', 'wkd']);
  });
});

describe('broken plugins are reported by id and keyport keeps working', () => {
  const plugin = (name: string, source: string) => {
    const dir = path.join(outside('keyport-broken-'), name);
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, type: 'module', main: 'index.js' }));
    writeFileSync(path.join(dir, 'index.js'), source);
    return dir;
  };
  const throwsOnLoad = plugin('throws-on-load', "throw new Error('boom while loading');\n");
  const incompatible = plugin('needs-api-2', "export default { id: 'needs-api-2', name: 'x', version: '1.0.0', apiVersion: '^2.0.0', description: 'x', activate() {} };\n");
  const duplicate = plugin('fake-hkp', "export default { id: 'hkp', name: 'fake', version: '9.9.9', apiVersion: '^1.0.0', description: 'claims hkp', activate() {} };\n");
  const throwsOnActivate = plugin('throws-on-activate', "export default { id: 'throws-on-activate', name: 'x', version: '1.0.0', apiVersion: '^1.0.0', description: 'x', activate() { throw new Error('no luck'); } };\n");
  const notAPlugin = plugin('not-a-plugin', 'export const answer = 42;\n');

  it('plugins add refuses each with its code and saves nothing', () => {
    const home = tempHome();
    const cases: [string, string][] = [
      [throwsOnLoad, ErrorCodes.PluginLoadFailed],
      [incompatible, ErrorCodes.ModuleIncompatible],
      [duplicate, ErrorCodes.ModuleDuplicate],
      [notAPlugin, ErrorCodes.PluginLoadFailed],
    ];
    for (const [dir, code] of cases) {
      const r = keyport(['plugins', 'add', dir], { home });
      expect(r.status, dir).not.toBe(0);
      expect(r.stderr, dir).toContain(code);
    }
    expect(keyportJson<unknown[]>(['plugins', 'list'], { home })).toEqual([]);
  });

  it('named in settings, each shows as failed with its reason; built-ins and the keyring still work', () => {
    const home = tempHome();
    const missing = path.join(outside('keyport-missing-'), 'gone');
    const r = keyport(['config', 'set', 'plugins', JSON.stringify([throwsOnLoad, incompatible, duplicate, throwsOnActivate, missing])], { home });
    expect(r.status).toBe(0);
    const list = keyportJson<Module[]>(['modules', 'list'], { home });
    const byId = (id: string) => list.filter((m) => m.id === id);
    expect(byId('throws-on-load')).toMatchObject([{ state: 'failed', error: { code: ErrorCodes.PluginLoadFailed, message: expect.stringContaining('boom while loading') } }]);
    expect(byId('needs-api-2')).toMatchObject([{ state: 'failed', error: { code: ErrorCodes.ModuleIncompatible, message: expect.stringContaining('needs-api-2') } }]);
    expect(byId('throws-on-activate')).toMatchObject([{ state: 'failed', error: { code: ErrorCodes.ModuleFailed, message: expect.stringContaining('no luck') } }]);
    expect(byId('gone')).toMatchObject([{ state: 'failed', error: { code: ErrorCodes.PluginNotFound } }]);
    // The duplicate is refused; the real hkp stays.
    expect(byId('hkp')).toMatchObject([{ state: 'enabled', origin: 'builtin', version: expect.not.stringMatching(/9\.9\.9/) }]);
    const warned = keyport(['list'], { home });
    expect(warned.stderr).toMatch(/a module with id "hkp" is already loaded; the second one \(.*fake-hkp\) was ignored/);
    // Everything else works.
    expect(keyport(['import', '--file', fixturePath(manifest.ed25519.file)], { home }).status).toBe(0);
    expect(keyportJson<{ fingerprint: string }[]>(['list'], { home }).map((k) => k.fingerprint)).toEqual([manifest.ed25519.fingerprint]);
  });
});
