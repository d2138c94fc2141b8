import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ErrorCodes,
  EventBus,
  PLUGIN_API_VERSION,
  Settings,
  Tokens,
  createKeyport,
  definePlugin,
  resolve,
  resolvePaths,
  satisfiesApiRange,
  z,
  type KeyportPlugin,
} from '../src/index.js';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'keyport-rt-'));

describe('paths', () => {
  it('uses --home, then KEYPORT_HOME, then the XDG directories', () => {
    expect(resolvePaths('/h', {}).settingsFile).toBe('/h/settings.json');
    expect(resolvePaths(undefined, { KEYPORT_HOME: '/k' }).keyringDir).toBe('/k/keyring');
    const xdg = resolvePaths(undefined, { HOME: '/u', XDG_CONFIG_HOME: '/c', XDG_DATA_HOME: '/d' });
    expect(xdg).toEqual({ settingsFile: '/c/keyport/settings.json', keyringDir: '/d/keyport', home: null });
    expect(resolvePaths(undefined, { HOME: '/u' }).keyringDir).toBe('/u/.local/share/keyport');
  });
});

describe('settings', () => {
  it('refuses a settings file that is not a regular file (a FIFO, also behind a symlink) instead of hanging', async () => {
    const d = tmp();
    try {
      const fifo = path.join(d, 'fifo');
      spawnSync('mkfifo', [fifo]);
      for (const file of [fifo, path.join(d, 'settings.json')]) {
        if (file !== fifo) symlinkSync(fifo, file);
        const err = await new Settings(file).load().catch((e: unknown) => e);
        expect(err).toMatchObject({ code: ErrorCodes.SettingsCorrupt, message: `${file} is not a regular file (a FIFO)` });
        expect((err as { nextStep?: string }).nextStep).toContain(`replace ${file} with a regular file`);
      }
      mkdirSync(path.join(d, 'dir.json'));
      await expect(new Settings(path.join(d, 'dir.json')).load()).rejects.toMatchObject({ code: ErrorCodes.SettingsCorrupt, message: `${path.join(d, 'dir.json')} is not a regular file (a directory)` });
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('validates values, writes atomically and reads back', async () => {
    const file = path.join(tmp(), 'settings.json');
    const s = new Settings(file);
    await s.load();
    expect(s.get('network.perHostConcurrency')).toBe(16);
    await s.set('network.perHostConcurrency', 4);
    const again = new Settings(file);
    await again.load();
    expect(again.get('network.perHostConcurrency')).toBe(4);
    await expect(s.set('network.perHostConcurrency', -1)).rejects.toMatchObject({ code: ErrorCodes.SettingValueInvalid });
    await expect(s.set('no.such.key', 1)).rejects.toMatchObject({ code: ErrorCodes.SettingUnknown });
  });

  it('refuses a corrupt file with a clear error and never overwrites it', async () => {
    const file = path.join(tmp(), 'settings.json');
    writeFileSync(file, '{"network": {"timeoutMs": 5000,');
    const s = new Settings(file);
    const err = await s.load().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCodes.SettingsCorrupt });
    expect(String((err as Error).message)).toContain(file);
    await expect(s.set('network.timeoutMs', 1000)).rejects.toMatchObject({ code: ErrorCodes.SettingsCorrupt });
    expect(readFileSync(file, 'utf8')).toBe('{"network": {"timeoutMs": 5000,');
  });

  it('refuses a file that breaks the schema, naming the key', async () => {
    const file = path.join(tmp(), 'settings.json');
    writeFileSync(file, JSON.stringify({ network: { timeoutMs: 'soon' } }));
    await expect(new Settings(file).load()).rejects.toMatchObject({ code: ErrorCodes.SettingsInvalid, message: expect.stringContaining('network.timeoutMs') });
  });

  it('keeps unknown sections (a disabled plugin\'s settings) when writing', async () => {
    const file = path.join(tmp(), 'settings.json');
    writeFileSync(file, JSON.stringify({ someplugin: { answer: 42 } }));
    const s = new Settings(file);
    await s.load();
    await s.set('network.timeoutMs', 1234);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ someplugin: { answer: 42 }, network: { timeoutMs: 1234 } });
  });
});

describe('event bus', () => {
  it('buffers events until the first subscriber and then delivers them in order', () => {
    const bus = new EventBus();
    bus.progress({ operation: 'import', done: 1, total: 3 });
    bus.progress({ operation: 'import', done: 2, total: 3 });
    const seen: number[] = [];
    const sub = bus.on('progress', (p) => seen.push(p.done));
    bus.progress({ operation: 'import', done: 3, total: 3 });
    expect(seen).toEqual([1, 2, 3]);
    sub.dispose();
    expect(bus.listenerCount()).toBe(0);
  });
});

describe('plugin API ranges', () => {
  it.each([
    ['1.0.0', '^1.0.0', true],
    ['1.4.2', '^1.0.0', true],
    ['2.0.0', '^1.0.0', false],
    ['1.0.0', '^2', false],
    ['0.3.1', '^0.3.0', true],
    ['0.4.0', '^0.3.0', false],
    ['1.2.3', '~1.2.0', true],
    ['1.3.0', '~1.2.0', false],
    ['1.0.0', 'nonsense', false],
  ])('%s satisfies %s: %s', (v, r, ok) => expect(satisfiesApiRange(v, r)).toBe(ok));
});

function plugin(id: string, extra: Partial<KeyportPlugin> = {}): KeyportPlugin {
  return definePlugin({ id, name: id, version: '1.0.0', apiVersion: `^${PLUGIN_API_VERSION}`, description: `${id} plugin`, activate() {}, ...extra });
}

describe('module registry', () => {
  it('activates plugins, persists enable/disable and disposes everything a plugin registered', async () => {
    const home = tmp();
    let listener = 0;
    const p = plugin('demo', {
      declare: () => ({ settings: [{ key: 'demo.greeting', schema: z.string(), default: 'hi', description: 'x' }] }),
      activate(ctx) {
        ctx.subscriptions.push(ctx.registerEngine({ id: 'demo-engine', label: 'Demo', supports: (u) => u.protocol === 'demo:' }));
        ctx.subscriptions.push(ctx.bus.on('keyring:changed', () => listener++));
      },
    });
    const kp = await createKeyport({ home, plugins: [p] });
    expect(kp.modules.info('demo').state).toBe('enabled');
    expect(kp.engines.forUrl(new URL('demo://x')).map((e) => e.id)).toEqual(['demo-engine']);
    expect(kp.settings.get('demo.greeting')).toBe('hi');
    expect(kp.bus.listenerCount('keyring:changed')).toBe(1);

    await kp.modules.setEnabled('demo', false);
    expect(kp.engines.size).toBe(0);
    expect(kp.bus.listenerCount('keyring:changed')).toBe(0);
    // Its settings stay defined while it is off (issue 13): `config get/set` keeps working.
    expect(kp.settings.get('demo.greeting')).toBe('hi');
    expect(kp.modules.settingOwner('demo.greeting')).toMatchObject({ id: 'demo', enabled: false });
    expect(JSON.parse(readFileSync(path.join(home, 'settings.json'), 'utf8')).modules).toEqual({ demo: false });

    const reopened = await createKeyport({ home, plugins: [p] });
    expect(reopened.modules.info('demo')).toMatchObject({ state: 'disabled', source: 'settings' });
    await reopened.modules.setEnabled('demo', true);
    expect(reopened.engines.size).toBe(1);
    expect(resolve(reopened.container, Tokens.Engines)).toBe(reopened.engines);
    // Built by tsyringe from decorator metadata: the keyring it got is the registered one.
    expect(resolve(reopened.container, Tokens.Importer)).toBe(reopened.importer);
    expect((reopened.importer as unknown as { keyring: unknown }).keyring).toBe(reopened.keyring);
    await reopened.dispose();
    await kp.dispose();
  });

  it('applies a --modules override for the session only', async () => {
    const home = tmp();
    const kp = await createKeyport({ home, modules: '-a,+b', plugins: [plugin('a'), plugin('b', { enabledByDefault: false })] });
    expect(kp.modules.list().map((m) => [m.id, m.state, m.source])).toEqual([
      ['a', 'disabled', 'session'],
      ['b', 'enabled', 'session'],
    ]);
    expect(existsSync(path.join(home, 'settings.json'))).toBe(false);
  });

  it('reports a throwing, an incompatible and a duplicate plugin by id and keeps the others working', async () => {
    const feedback: string[] = [];
    const kp = await createKeyport({
      home: tmp(),
      plugins: [
        plugin('boom', { activate: () => { throw new Error('kaput'); } }),
        plugin('old', { apiVersion: '^0.1.0' }),
        plugin('good', { activate: (ctx) => void ctx.subscriptions.push(ctx.registerEngine({ id: 'g', label: 'G', supports: () => true })) }),
        plugin('good'),
      ],
    });
    kp.bus.on('feedback', (f) => feedback.push(`${f.pluginId}:${f.error?.code}`));
    expect(kp.modules.info('boom')).toMatchObject({ state: 'failed', error: { code: ErrorCodes.ModuleFailed, pluginId: 'boom' } });
    expect(kp.modules.info('boom').error!.message).toContain('kaput');
    expect(kp.modules.info('old')).toMatchObject({ state: 'failed', error: { code: ErrorCodes.ModuleIncompatible } });
    expect(kp.modules.info('good').state).toBe('enabled');
    expect(kp.engines.size).toBe(1);
    expect(feedback).toEqual(['boom:KP1400', 'old:KP1402', 'good:KP1403']);
  });
});

describe('engines by protocol, not load order', () => {
  const webEngine = (id: string): KeyportPlugin =>
    plugin(`${id}-plugin`, {
      activate: (ctx) => void ctx.registerEngine({ id, label: id.toUpperCase(), supports: (u) => u.protocol === 'https:', lookup: async () => null, search: async () => [] }),
    });

  it.each([
    ['alpha first', ['alpha', 'beta']],
    ['beta first', ['beta', 'alpha']],
  ])('a listed server gets its stored protocol whichever engine registered first (%s)', async (_, order) => {
    const home = tmp();
    writeFileSync(
      path.join(home, 'settings.json'),
      JSON.stringify({ keyservers: { list: ['https://b.example'], default: 'https://b.example', protocols: { 'https://b.example': 'beta' } } }),
    );
    const kp = await createKeyport({ home, plugins: order.map(webEngine) });
    expect(kp.engines.find(new URL('https://b.example'), 'lookup')?.id).toBe('beta');
    // Two engines claim an unlisted https URL and none is known to be right: neither is picked.
    expect(kp.engines.find(new URL('https://unlisted.example'), 'lookup')).toBeUndefined();
    // With beta's module off, the server is refused, not handed to alpha.
    await kp.modules.setEnabled('beta-plugin', false);
    expect(kp.engines.find(new URL('https://b.example'), 'lookup')).toBeUndefined();
    await expect(kp.keyservers.search('someone@example.org', 'https://b.example')).rejects.toMatchObject({ code: ErrorCodes.ModuleRequired });
    rmSync(home, { recursive: true, force: true });
  });
});
