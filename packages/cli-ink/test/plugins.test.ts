import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '@keyport/core';
import { fixturePath, manifest } from '@keyport/test-fixtures';
import { BIN, keyport, keyportJson, tempDir, tempHome } from './helpers.js';

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
    expect(keyportJson<Module[]>(['modules', 'list'], { home }).map((m) => m.id)).toEqual(['hkp', 'keyserversync', 'wkd', 'gnupg']);
  });
});

describe('broken plugins are reported by id and keyport keeps working', () => {
  const made: string[] = [];
  afterAll(() => {
    for (const d of made) rmSync(d, { recursive: true, force: true });
  });
  const plugin = (name: string, source: string) => {
    const root = outside('keyport-broken-');
    made.push(root);
    const dir = path.join(root, name);
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

  it('named in settings by hand, none is loaded and each is reported; added ones that break later show their reason; built-ins and the keyring still work', () => {
    const home = tempHome();
    const missing = path.join(outside('keyport-missing-'), 'gone');
    made.push(path.dirname(missing), home);
    const r = keyport(['config', 'set', 'plugins', JSON.stringify([throwsOnLoad, incompatible, duplicate, missing])], { home });
    expect(r.status).toBe(0);
    // Added on purpose: one that fails to activate, one whose folder goes away, one whose helper
    // module (not the entry) starts throwing.
    expect(keyport(['plugins', 'add', throwsOnActivate], { home }).status).toBe(1);
    const vanishing = plugin('vanishing', "export default { id: 'vanishing', name: 'x', version: '1.0.0', apiVersion: '^1.0.0', description: 'x', activate() {} };\n");
    expect(keyport(['plugins', 'add', vanishing], { home }).status).toBe(0);
    rmSync(vanishing, { recursive: true });
    const helper = plugin('breaks-in-helper', "import { answer } from './helper.js';\nexport default { id: 'breaks-in-helper', name: 'x', version: String(answer), apiVersion: '^1.0.0', description: 'x', activate() {} };\n");
    writeFileSync(path.join(helper, 'helper.js'), 'export const answer = 1;\n');
    expect(keyport(['plugins', 'add', helper], { home }).status).toBe(0);
    writeFileSync(path.join(helper, 'helper.js'), "throw new Error('boom while loading');\nexport const answer = 2;\n");

    const list = keyportJson<Module[]>(['modules', 'list'], { home });
    const byId = (id: string) => list.filter((m) => m.id === id);
    for (const id of ['throws-on-load', 'needs-api-2', 'fake-hkp', 'gone']) {
      expect(byId(id), id).toMatchObject([{ state: 'failed', error: { code: ErrorCodes.PluginNotAdded, message: expect.stringContaining('not added with `keyport plugins add`') } }]);
    }
    expect(byId('throws-on-activate')).toMatchObject([{ state: 'failed', error: { code: ErrorCodes.ModuleFailed, message: expect.stringContaining('no luck') } }]);
    expect(byId('vanishing')).toMatchObject([{ state: 'failed', error: { code: ErrorCodes.PluginNotFound } }]);
    expect(byId('breaks-in-helper')).toMatchObject([{ state: 'failed', error: { code: ErrorCodes.PluginLoadFailed, message: expect.stringContaining('boom while loading') } }]);
    // The one claiming "hkp" was never imported; the real hkp stays.
    expect(byId('hkp')).toMatchObject([{ state: 'enabled', origin: 'builtin', version: expect.not.stringMatching(/9\.9\.9/) }]);
    const warned = keyport(['list'], { home });
    expect(warned.stderr).toContain(`${ErrorCodes.PluginNotAdded} plugin ${duplicate} is named in settings but was not added`);
    expect(warned.stderr).toContain(`keyport plugins add ${duplicate}`);
    // Everything else works.
    expect(keyport(['import', '--file', fixturePath(manifest.ed25519.file)], { home }).status).toBe(0);
    expect(keyportJson<{ fingerprint: string }[]>(['list'], { home }).map((k) => k.fingerprint)).toEqual([manifest.ed25519.fingerprint]);
  });
});

describe('plugins run only when they should', () => {
  /** A plugin whose top-level code leaves a marker file: proof that its module was imported. */
  const markerPlugin = (id: string) => {
    const root = outside('keyport-marker-');
    const dir = path.join(root, id);
    mkdirSync(dir);
    const marker = path.join(root, 'imported');
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: id, version: '1.2.3', type: 'module', main: 'index.js' }));
    writeFileSync(
      path.join(dir, 'index.js'),
      `import { appendFileSync } from 'node:fs';\nappendFileSync(${JSON.stringify(marker)}, 'x');\nexport default { id: '${id}', name: '${id}', version: '1.2.3', apiVersion: '^1.0.0', description: 'leaves a marker', activate() {} };\n`,
    );
    return { root, dir, marker, imported: () => existsSync(marker), forget: () => rmSync(marker, { force: true }) };
  };
  const cleanup: string[] = [];
  afterEach(() => {
    for (const d of cleanup.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const home = () => {
    const h = tempHome();
    cleanup.push(h);
    return h;
  };

  it('a disabled plugin is never imported; enabling it imports it', () => {
    const p = markerPlugin('marker-plugin');
    cleanup.push(p.root);
    const h = home();
    expect(keyport(['plugins', 'add', p.dir], { home: h }).status).toBe(0);
    expect(p.imported()).toBe(true);
    expect(keyport(['modules', 'disable', 'marker-plugin'], { home: h }).status).toBe(0);
    p.forget();

    expect(keyport(['list'], { home: h }).status).toBe(0);
    const listed = keyportJson<Module[]>(['modules', 'list'], { home: h });
    expect(listed.find((m) => m.id === 'marker-plugin')).toMatchObject({ state: 'disabled', version: '1.2.3', origin: { specifier: p.dir } });
    expect(keyportJson<{ id: string; state: string }[]>(['plugins', 'list'], { home: h })).toEqual([expect.objectContaining({ id: 'marker-plugin', state: 'disabled' })]);
    expect(p.imported()).toBe(false);

    // Switched off for one run only: not imported either.
    expect(keyport(['modules', 'enable', 'marker-plugin'], { home: h }).status).toBe(0);
    expect(p.imported()).toBe(true);
    p.forget();
    expect(keyport(['--modules', '-marker-plugin', 'list'], { home: h }).status).toBe(0);
    expect(p.imported()).toBe(false);
    expect(keyport(['list'], { home: h }).status).toBe(0);
    expect(p.imported()).toBe(true);
  });

  it('a path put into settings by hand is reported with the next step and never loaded', () => {
    const p = markerPlugin('sneaked-in');
    cleanup.push(p.root);
    const h = home();
    writeFileSync(path.join(h, 'settings.json'), JSON.stringify({ plugins: [p.dir] }));
    const r = keyport(['list'], { home: h });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(ErrorCodes.PluginNotAdded);
    expect(r.stderr).toContain(`keyport plugins add ${p.dir}`);
    expect(p.imported()).toBe(false);
    const listed = keyportJson<Module[]>(['modules', 'list'], { home: h });
    expect(listed.find((m) => m.id === 'sneaked-in')).toMatchObject({ state: 'failed', error: { code: ErrorCodes.PluginNotAdded } });
    expect(p.imported()).toBe(false);

    // Adding it on purpose makes it a plugin like any other.
    const added = keyportJson<{ id: string; state: string }>(['plugins', 'add', p.dir], { home: h });
    expect(added).toMatchObject({ id: 'sneaked-in', state: 'enabled' });
    expect(keyportJson<{ id: string; state: string }[]>(['plugins', 'list'], { home: h })).toEqual([expect.objectContaining({ specifier: p.dir, id: 'sneaked-in', state: 'enabled' })]);
  });

  it('a plugin whose files changed after it was added is not loaded until it is added again', () => {
    const p = markerPlugin('changes-later');
    cleanup.push(p.root);
    const h = home();
    expect(keyport(['plugins', 'add', p.dir], { home: h }).status).toBe(0);
    appendFileSync(path.join(p.dir, 'index.js'), '// changed\n');
    p.forget();
    const r = keyport(['list'], { home: h });
    expect(r.stderr).toContain(ErrorCodes.PluginNotAdded);
    expect(r.stderr).toContain(`keyport plugins add ${p.dir}`);
    expect(p.imported()).toBe(false);
    expect(keyportJson<{ state: string }>(['plugins', 'add', p.dir], { home: h })).toMatchObject({ state: 'enabled' });
    p.forget();
    expect(keyport(['list'], { home: h }).stderr).toBe('');
    expect(p.imported()).toBe(true);
  });

  it('plugins add says that a plugin runs with your rights (and the JSON says it too)', () => {
    const p = markerPlugin('told-you');
    cleanup.push(p.root);
    const h = home();
    const r = keyport(['plugins', 'add', p.dir], { home: h });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/runs with your rights/);
    const q = markerPlugin('told-you-json');
    cleanup.push(q.root);
    const json = keyportJson<{ runsWithUserRights: boolean; warning: string }>(['plugins', 'add', q.dir], { home: h });
    expect(json.runsWithUserRights).toBe(true);
    expect(json.warning).toMatch(/runs with your rights/);
  });

  it('file: paths are relative to the current directory', () => {
    const p = markerPlugin('by-file-url');
    cleanup.push(p.root);
    const h = home();
    const r = spawnSync(process.execPath, [BIN, '--home', h, 'plugins', 'add', 'file:./by-file-url', '--json'], { cwd: p.root, env: { ...process.env, NO_COLOR: '1' } });
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(JSON.parse(r.stdout.toString())).toMatchObject({ id: 'by-file-url', specifier: p.dir });
  });
});
