import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '@keyport/core';
import { fixturePath, manifest } from '@keyport/test-fixtures';
import { keyport, keyportJson, tempDir, tempHome } from './helpers.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('a plugin contributes a command', () => {
  it('the example plugin adds keydir-list: shown in --help with its module, run through the built binary', () => {
    const dir = path.join(tempDir('keyport-cmd-'), 'keyport-plugin-keydir');
    mkdirSync(dir);
    for (const f of ['index.js', 'package.json']) copyFileSync(path.join(repo, 'examples/plugin-keydir', f), path.join(dir, f));
    const keys = tempDir('keyport-cmd-keys-');
    writeFileSync(path.join(keys, 'eddie.asc'), readFileSync(fixturePath(manifest.ed25519.file)));
    const home = tempHome();
    expect(keyport(['plugins', 'add', dir], { home }).status).toBe(0);

    const help = keyport(['--help'], { home });
    expect(help.status).toBe(0);
    // Commander wraps long descriptions: compare with the whitespace collapsed.
    expect(help.stdout.replace(/\s+/g, ' ')).toContain('keydir-list <folder> list the keys a key folder serves (from the Key folder module)');

    expect(keyportJson<{ fingerprint: string }[]>(['keydir-list', keys], { home })).toEqual([{ fingerprint: manifest.ed25519.fingerprint, userIds: expect.arrayContaining(['Eddie Ed <eddie@example.org>']) }]);
    const human = keyport(['keydir-list', keys], { home });
    expect(human.status).toBe(0);
    expect(human.stdout).toContain(manifest.ed25519.fingerprint);
    // The plugin's KeyportError keeps its code and next step.
    const missing = keyport(['keydir-list', path.join(keys, 'nope')], { home });
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain(ErrorCodes.NetworkUnreachable);

    // Disabled, its code is not loaded: the command is gone.
    expect(keyport(['modules', 'disable', 'keydir'], { home }).status).toBe(0);
    expect(keyport(['--help'], { home }).stdout).not.toContain('keydir-list');
    expect(keyport(['keydir-list', keys], { home }).status).toBe(2);
  });
});

describe("a disabled module's settings", () => {
  it('config get, set and list work on them and say the module is off', () => {
    const home = tempHome();
    expect(keyport(['modules', 'disable', 'keyserversync'], { home }).status).toBe(0);
    const got = keyport(['config', 'get', 'keyserversync.url'], { home });
    expect(got).toMatchObject({ status: 0, stdout: 'https://keys.openpgp.org\n' });
    expect(got.stderr).toContain('belongs to the KeyServerSync module, which is off');
    const set = keyport(['config', 'set', 'keyserversync.autoStatus', 'true'], { home });
    expect(set.status).toBe(0);
    expect(set.stderr).toContain('keyport modules enable keyserversync');
    expect(keyport(['config', 'set', 'keyserversync.url', 'ftp://x'], { home }).stderr).toContain(ErrorCodes.SettingValueInvalid);
    const rows = keyportJson<{ key: string; value: unknown; moduleOff?: string }[]>(['config', 'list'], { home });
    expect(rows.find((r) => r.key === 'keyserversync.autoStatus')).toMatchObject({ value: true, moduleOff: 'KeyServerSync' });
    expect(rows.find((r) => r.key === 'network.timeoutMs')!.moduleOff).toBeUndefined();
    expect(keyport(['config', 'list'], { home }).stdout).toContain('[the KeyServerSync module is off]');
    // Enabled again, the value set while it was off applies.
    expect(keyport(['modules', 'enable', 'keyserversync'], { home }).status).toBe(0);
    const on = keyport(['config', 'get', 'keyserversync.autoStatus'], { home });
    expect(on).toMatchObject({ status: 0, stdout: 'true\n', stderr: '' });
  });

  it('the old network.autoFetchPublishStatus is read as keyserversync.autoStatus, without an unknown-setting warning', () => {
    const home = tempHome();
    writeFileSync(path.join(home, 'settings.json'), JSON.stringify({ network: { autoFetchPublishStatus: true } }));
    const r = keyport(['config', 'get', 'keyserversync.autoStatus'], { home });
    expect(r).toMatchObject({ status: 0, stdout: 'true\n', stderr: '' });
    expect(keyport(['config', 'get', 'network.autoFetchPublishStatus'], { home }).stderr).toContain(ErrorCodes.SettingUnknown);
  });
});
