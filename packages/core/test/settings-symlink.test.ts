import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCodes, Settings } from '../src/index.js';

const made: string[] = [];
const dir = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'keyport-settings-'));
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

describe('a settings.json that is a symlink (dotfiles managers)', () => {
  it('is written through: the link stays a link and its target gets the new content, atomically in its own directory (dead writers\' temps removed)', async () => {
    const d = dir();
    mkdirSync(path.join(d, 'dotfiles'));
    mkdirSync(path.join(d, 'home'));
    const target = path.join(d, 'dotfiles', 'keyport.json');
    writeFileSync(target, JSON.stringify({ 'network.timeoutMs': 5000 }));
    // Two hops, the first relative: home/settings.json -> link2 -> ../dotfiles/keyport.json
    symlinkSync(path.join('..', 'dotfiles', 'keyport.json'), path.join(d, 'home', 'link2'));
    const file = path.join(d, 'home', 'settings.json');
    symlinkSync('link2', file);

    // A `config set` killed before its rename left this behind, next to the target.
    writeFileSync(path.join(d, 'dotfiles', '.keyport.json.999999999.0123abcd.tmp'), '{"half":');
    const settings = new Settings(file);
    await settings.load();
    await settings.set('network.connectTimeoutMs', 2000);

    expect(lstatSync(file).isSymbolicLink()).toBe(true);
    expect(readlinkSync(file)).toBe('link2');
    expect(lstatSync(path.join(d, 'home', 'link2')).isSymbolicLink()).toBe(true);
    expect(JSON.parse(readFileSync(target, 'utf8'))).toEqual({ 'network.timeoutMs': 5000, network: { connectTimeoutMs: 2000 } });
    expect(readdirSync(path.join(d, 'dotfiles'))).toEqual(['keyport.json']);
    expect(readdirSync(path.join(d, 'home')).sort()).toEqual(['link2', 'settings.json']);
    const reread = new Settings(file);
    await reread.load();
    expect(reread.get('network.connectTimeoutMs')).toBe(2000);
  });

  it('a dangling link creates its target; a link into a missing folder is refused with a clear message', async () => {
    const d = dir();
    const file = path.join(d, 'settings.json');
    symlinkSync('real.json', file);
    await new Settings(file).set('network.timeoutMs', 7000);
    expect(lstatSync(file).isSymbolicLink()).toBe(true);
    expect(JSON.parse(readFileSync(path.join(d, 'real.json'), 'utf8'))).toEqual({ network: { timeoutMs: 7000 } });

    const broken = path.join(d, 'broken.json');
    symlinkSync(path.join(d, 'missing', 'real.json'), broken);
    await expect(new Settings(broken).set('network.timeoutMs', 7000)).rejects.toMatchObject({
      code: ErrorCodes.StorageFailed,
      message: `cannot write ${broken}: it is a symlink to ${path.join(d, 'missing', 'real.json')}, whose folder does not exist`,
    });
    expect(lstatSync(broken).isSymbolicLink()).toBe(true);
  });
});

describe('reading settings', () => {
  it('a settings.json that is a link to an endless device is refused before it is read, not read for ever', async () => {
    const d = dir();
    const file = path.join(d, 'settings.json');
    symlinkSync('/dev/zero', file);
    const refused = new Settings(file).load();
    await expect(refused).rejects.toMatchObject({ code: ErrorCodes.SettingsCorrupt });
    await expect(refused).rejects.toThrow(/is not a regular file \(a device\)/);
  });
});
