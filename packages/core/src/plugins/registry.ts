import { ErrorCodes, ModuleError, InputError, toKeyportError, type KeyportError } from '../errors.js';
import type { EventBus } from '../events.js';
import type { HttpTransport } from '../http/transport.js';
import type { ImportPipeline } from '../import/pipeline.js';
import type { Keyring } from '../keyring/types.js';
import type { Settings } from '../settings.js';
import type { KnownProtocols, RoutedOperation, RoutingRegistry } from '../keyservers/routing.js';
import type { KeySourceRegistry, UiContributions } from './contributions.js';
import { IdRegistry, guarded } from './owned.js';
import {
  PLUGIN_API_VERSION,
  satisfiesApiRange,
  type Disposable,
  type CommandContribution,
  type KeyportPlugin,
  type PluginContext,
  type PluginDeclaration,
  type ProtocolEngine,
} from './api.js';

/** Whether a module is active, switched off, or could not be started. */
export type ModuleState = 'enabled' | 'disabled' | 'failed';

/** A loaded module (plugin) as `modules list` shows it. */
export interface ModuleInfo {
  id: string;
  name: string;
  version: string;
  description: string;
  state: ModuleState;
  /** Where the state comes from: the saved setting, the plugin default, or `--modules`. */
  source: 'settings' | 'default' | 'session';
  /** Built into keyport, or loaded from `plugins` in settings (then the specifier). */
  origin: 'builtin' | { specifier: string };
  error?: KeyportError;
}

/** Engines contributed by enabled plugins. */
export class EngineRegistry {
  private readonly engines = new IdRegistry<ProtocolEngine>('protocol engine');
  private protocolOf: (url: URL) => string | undefined = () => undefined;

  /**
   * Where a server's protocol is known (the key server list stores it), {@link find} picks
   * only that protocol's engine, so the choice never depends on which modules are enabled.
   */
  useProtocols(protocolOf: (url: URL) => string | undefined): void {
    this.protocolOf = protocolOf;
  }

  register(engine: ProtocolEngine, pluginId: string): Disposable {
    return this.engines.register(engine, pluginId);
  }

  all(): ProtocolEngine[] {
    return this.engines.items();
  }

  /** Engines that say they support `url`, in registration order. */
  forUrl(url: URL): ProtocolEngine[] {
    return this.all().filter((e) => guarded(() => e.supports(url), false));
  }

  /**
   * The engine that speaks to `url` and offers `verb`: the one with `id`, else the one for the
   * server's known protocol, else the only engine that supports `url`. Never the first of several.
   */
  find(url: URL, verb: keyof ProtocolEngine, id?: string): ProtocolEngine | undefined {
    const wanted = id ?? guarded(() => this.protocolOf(url), undefined);
    const candidates = this.forUrl(url).filter((e) => wanted === undefined || e.id === wanted);
    if (wanted === undefined && candidates.length > 1) return undefined;
    return candidates.find((e) => typeof e[verb] === 'function');
  }

  /** The enabled engine with this id, if any. */
  get(id: string): ProtocolEngine | undefined {
    return this.engines.get(id);
  }

  get size(): number {
    return this.engines.size;
  }
}

interface Entry {
  plugin: KeyportPlugin;
  origin: ModuleInfo['origin'];
  state: ModuleState;
  source: ModuleInfo['source'];
  error?: KeyportError;
  disposables: Disposable[];
  /** What `declare` returned (read once, when the plugin is added). */
  declaration?: PluginDeclaration;
  /** Undoes the declared settings (when a plugin is replaced by a new copy of itself). */
  declared?: { dispose(): void }[];
  /** The context of the running plugin, for its contributed commands. */
  context?: PluginContext;
  /** Imports a recorded third-party plugin; set until it has been imported (only to enable it). */
  pending?: () => Promise<KeyportPlugin>;
}

export interface ModuleRegistryDeps {
  routing: RoutingRegistry;
  bus: EventBus;
  settings: Settings;
  http: HttpTransport;
  keyring: Keyring;
  importer: ImportPipeline;
  engines: EngineRegistry;
  sources: KeySourceRegistry;
  ui: UiContributions;
}

/**
 * Loads plugins, tracks which are enabled, activates and disposes them. A plugin that throws
 * while declaring or activating is reported with its id and left disabled; the rest go on.
 */
export class ModuleRegistry {
  private readonly entries = new Map<string, Entry>();
  private sessionOverride = new Map<string, boolean>();

  constructor(private readonly deps: ModuleRegistryDeps) {}

  /**
   * Parses a `--modules` value: comma-separated ids, each optionally prefixed with `+` (enable)
   * or `-` (disable), applied for this run only.
   */
  setSessionOverride(spec: string | undefined): void {
    this.sessionOverride.clear();
    if (!spec) return;
    for (const raw of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
      const enabled = !raw.startsWith('-');
      this.sessionOverride.set(raw.replace(/^[+-]/, ''), enabled);
    }
  }

  /** Unknown ids in the session override, to report as feedback. */
  unknownOverrideIds(): string[] {
    return [...this.sessionOverride.keys()].filter((id) => !this.entries.has(id));
  }

  /** Adds a plugin and activates it if it should be enabled. Never throws for plugin faults. */
  async add(plugin: KeyportPlugin, origin: ModuleInfo['origin'] = 'builtin'): Promise<ModuleInfo> {
    const id = String(plugin?.id ?? '');
    const held = this.entries.get(id);
    // `plugins add` of a plugin that was named in settings but not loaded replaces its placeholder.
    const sameSpecifier = typeof origin === 'object' && typeof held?.origin === 'object' && held.origin.specifier === origin.specifier;
    if (held && sameSpecifier && held.state !== 'enabled') {
      for (const d of held.declared ?? []) d.dispose();
      this.entries.delete(id);
    }
    else if (held) {
      const error = new ModuleError(ErrorCodes.ModuleDuplicate, `a module with id "${id}" is already loaded; the second one${typeof origin === 'object' ? ` (${origin.specifier})` : ''} was ignored`, {
        pluginId: id,
        nextStep: typeof origin === 'object' ? `remove it with \`keyport plugins remove ${origin.specifier}\`` : undefined,
      });
      this.deps.bus.feedback({ severity: 'error', message: error.message, error, pluginId: id });
      return { id, name: plugin.name, version: plugin.version, description: plugin.description, state: 'failed', source: 'default', origin, error };
    }
    const entry: Entry = { plugin, origin, state: 'disabled', source: 'default', disposables: [] };
    this.entries.set(id, entry);
    if (!satisfiesApiRange(PLUGIN_API_VERSION, plugin.apiVersion ?? '')) {
      this.fail(entry, new ModuleError(ErrorCodes.ModuleIncompatible, `module "${id}" needs plugin API ${plugin.apiVersion}, this keyport provides ${PLUGIN_API_VERSION}`, {
        pluginId: id,
        nextStep: `install a version of "${id}" built for plugin API ${PLUGIN_API_VERSION}`,
      }));
      return this.info(id);
    }
    if (!this.declare(entry)) return this.info(id);
    const { enabled, source } = this.wanted(plugin);
    entry.source = source;
    if (enabled) await this.activate(entry);
    return this.info(id);
  }

  /**
   * Reads the plugin's declaration and defines its settings, whether or not it is enabled: a
   * disabled module's settings stay readable and settable (they apply once it is enabled).
   */
  private declare(entry: Entry): boolean {
    const { plugin } = entry;
    try {
      const declaration = plugin.declare?.() ?? {};
      for (const s of declaration.settings ?? []) {
        if (!s.key.startsWith(`${plugin.id}.`)) {
          throw new ModuleError(ErrorCodes.ModuleFailed, `setting "${s.key}" must start with "${plugin.id}."`, { pluginId: plugin.id });
        }
      }
      for (const [from, to] of Object.entries(declaration.renamedSettings ?? {})) {
        if (!(declaration.settings ?? []).some((s) => s.key === to)) {
          throw new ModuleError(ErrorCodes.ModuleFailed, `renamed setting "${from}" must become one of the module's own settings, not "${to}"`, { pluginId: plugin.id });
        }
      }
      entry.declared = [];
      for (const s of declaration.settings ?? []) entry.declared.push(this.deps.settings.define({ ...s, owner: plugin.id }));
      for (const [from, to] of Object.entries(declaration.renamedSettings ?? {})) this.deps.settings.rename(from, to);
      entry.declaration = declaration;
      return true;
    } catch (e) {
      this.fail(entry, startFailure(plugin.id, e));
      return false;
    }
  }

  /** Protocols the loaded modules declare, enabled or not, with the module of each. */
  knownProtocols(): KnownProtocols {
    const out: Record<string, { label: string; moduleId: string }> = {};
    for (const e of this.entries.values()) for (const p of e.declaration?.protocols ?? []) out[p.id] ??= { label: p.label, moduleId: e.plugin.id };
    return out;
  }

  /** The first loaded module that declares it routes `operation`. */
  routerOf(operation: RoutedOperation): { id: string; name: string } | undefined {
    const e = [...this.entries.values()].find((x) => x.declaration?.routes?.includes(operation));
    return e ? { id: e.plugin.id, name: e.plugin.name } : undefined;
  }

  /** Commands contributed by loaded plugins, with whether their plugin is enabled now. */
  commands(): { pluginId: string; pluginName: string; enabled: boolean; command: CommandContribution; context?: PluginContext }[] {
    return [...this.entries.values()].flatMap((e) =>
      (e.declaration?.commands ?? []).map((command) => ({ pluginId: e.plugin.id, pluginName: e.plugin.name, enabled: e.state === 'enabled', command, context: e.context })),
    );
  }

  /** The module that owns a setting, and whether it is enabled; undefined for core's settings. */
  settingOwner(key: string): { id: string; name: string; enabled: boolean } | undefined {
    const owner = this.deps.settings.list().find((d) => d.key === key)?.owner;
    const entry = owner && owner !== 'core' ? this.entries.get(owner) : undefined;
    return entry ? { id: entry.plugin.id, name: entry.plugin.name, enabled: entry.state === 'enabled' } : undefined;
  }

  /**
   * Adds a recorded third-party plugin without importing it: its module is imported (and its
   * top-level code runs) only when it is to be enabled, now or later by {@link setEnabled}.
   */
  async addDeferred(
    record: { id: string; version: string; enabledByDefault: boolean },
    origin: { specifier: string },
    load: () => Promise<KeyportPlugin>,
  ): Promise<ModuleInfo> {
    const placeholder: KeyportPlugin = {
      id: record.id,
      name: record.id,
      version: record.version,
      apiVersion: '',
      description: `not loaded while disabled (from ${origin.specifier})`,
      enabledByDefault: record.enabledByDefault,
      activate: () => undefined,
    };
    if (this.entries.has(record.id)) return this.add(placeholder, origin);
    const entry: Entry = { plugin: placeholder, origin, state: 'disabled', source: 'default', disposables: [], pending: load };
    this.entries.set(record.id, entry);
    const { enabled, source } = this.wanted(placeholder);
    entry.source = source;
    if (enabled) await this.start(entry);
    return this.info(record.id);
  }

  /** Imports a deferred plugin if need be, checks its API range and activates it. */
  private async start(entry: Entry): Promise<void> {
    if (entry.pending) {
      try {
        entry.plugin = await entry.pending();
        entry.pending = undefined;
        if (!this.declare(entry)) return;
      } catch (e) {
        this.fail(entry, toKeyportError(e));
        return;
      }
    }
    const { plugin } = entry;
    if (!satisfiesApiRange(PLUGIN_API_VERSION, plugin.apiVersion ?? '')) {
      this.fail(entry, new ModuleError(ErrorCodes.ModuleIncompatible, `module "${plugin.id}" needs plugin API ${plugin.apiVersion}, this keyport provides ${PLUGIN_API_VERSION}`, {
        pluginId: plugin.id,
        nextStep: `install a version of "${plugin.id}" built for plugin API ${PLUGIN_API_VERSION}`,
      }));
      return;
    }
    await this.activate(entry);
  }

  /**
   * Records a third-party plugin that could not be loaded at all (missing, not a plugin), so it
   * shows in the module list as failed, named by its id when known, else by its specifier.
   */
  recordLoadFailure(id: string, specifier: string, error: KeyportError): ModuleInfo {
    const placeholder: KeyportPlugin = { id, name: id, version: '?', apiVersion: '', description: `could not be loaded from ${specifier}`, activate: () => undefined };
    const entry: Entry = { plugin: placeholder, origin: { specifier }, state: 'disabled', source: 'default', disposables: [] };
    if (!this.entries.has(id)) this.entries.set(id, entry);
    this.fail(this.entries.get(id)!, error);
    return this.info(id);
  }

  private wanted(plugin: KeyportPlugin): { enabled: boolean; source: ModuleInfo['source'] } {
    const session = this.sessionOverride.get(plugin.id);
    if (session !== undefined) return { enabled: session, source: 'session' };
    const saved = this.deps.settings.get<Record<string, boolean>>('modules')[plugin.id];
    if (saved !== undefined) return { enabled: saved, source: 'settings' };
    return { enabled: plugin.enabledByDefault ?? true, source: 'default' };
  }

  private async activate(entry: Entry): Promise<void> {
    const { plugin } = entry;
    const disposables: Disposable[] = [];
    try {
      // Its settings were defined when it was added; a bad stored value keeps it from starting.
      for (const s of entry.declaration?.settings ?? []) this.deps.settings.validateStored({ ...s, owner: plugin.id });
      // Everything registered through the context is undone when the plugin is disabled,
      // whether or not the plugin pushed the disposable into `subscriptions` itself.
      const track = (d: Disposable): Disposable => {
        disposables.push(d);
        return d;
      };
      const context: PluginContext = {
        pluginId: plugin.id,
        bus: this.deps.bus,
        http: this.deps.http,
        keyring: this.deps.keyring,
        importer: this.deps.importer,
        setting: <T>(key: string) => this.deps.settings.get<T>(key),
        registerEngine: (engine) => track(this.deps.engines.register(engine, plugin.id)),
        registerRoutingPolicy: (policy) => track(this.deps.routing.register(policy, plugin.id)),
        registerKeySource: (source) => track(this.deps.sources.register(source, plugin.id)),
        contributeKeyDetails: (provider) => track(this.deps.ui.addKeyDetails(provider, plugin.id)),
        contributeStatusItem: (item) => track(this.deps.ui.addStatusItem(item, plugin.id)),
        contributeConfirmation: (confirmation) => track(this.deps.ui.addConfirmation(confirmation, plugin.id)),
        on: (event, listener) => track(this.deps.bus.on(event, listener)),
        subscriptions: disposables,
        log: {
          info: (m) => this.deps.bus.feedback({ severity: 'info', message: `[${plugin.id}] ${m}`, pluginId: plugin.id }),
          warn: (m) => this.deps.bus.feedback({ severity: 'warning', message: `[${plugin.id}] ${m}`, pluginId: plugin.id }),
        },
      };
      await plugin.activate(context);
      entry.context = context;
      entry.disposables = disposables;
      entry.state = 'enabled';
      entry.error = undefined;
      this.deps.bus.emit('module:state', { id: plugin.id, state: 'enabled' });
    } catch (e) {
      await disposeAll(disposables);
      this.fail(entry, startFailure(plugin.id, e));
    }
  }

  private fail(entry: Entry, error: KeyportError) {
    entry.state = 'failed';
    entry.error = error;
    this.deps.bus.emit('module:state', { id: entry.plugin.id, state: 'failed', error });
    // The code and the next step go with the message: it is all a user sees of a plugin that
    // failed while keyport started.
    const message = `${error.code} ${error.message}${error.nextStep ? ` (next: ${error.nextStep})` : ''}`;
    this.deps.bus.feedback({ severity: 'error', message, error, pluginId: entry.plugin.id });
  }

  private async deactivate(entry: Entry): Promise<void> {
    await disposeAll(entry.disposables);
    entry.disposables = [];
    entry.context = undefined;
    entry.state = 'disabled';
    this.deps.bus.emit('module:state', { id: entry.plugin.id, state: 'disabled' });
  }

  /** Enables or disables a module, live, and persists the choice. */
  async setEnabled(id: string, enabled: boolean): Promise<ModuleInfo> {
    const entry = this.entries.get(id);
    if (!entry) {
      throw new InputError(ErrorCodes.ModuleUnknown, `no module "${id}"`, { nextStep: 'run `keyport modules list` to see the module ids' });
    }
    await this.deps.settings.update((data) => {
      const modules = (typeof data.modules === 'object' && data.modules !== null && !Array.isArray(data.modules) ? data.modules : {}) as Record<string, boolean>;
      modules[id] = enabled;
      data.modules = modules;
    });
    this.sessionOverride.delete(id);
    entry.source = 'settings';
    if (enabled && entry.state !== 'enabled' && entry.pending) await this.start(entry);
    else if (enabled && entry.state !== 'enabled') {
      if (!satisfiesApiRange(PLUGIN_API_VERSION, entry.plugin.apiVersion ?? '')) return this.info(id);
      await this.activate(entry);
    } else if (!enabled && entry.state === 'enabled') await this.deactivate(entry);
    else if (!enabled) entry.state = 'disabled';
    return this.info(id);
  }

  isEnabled(id: string): boolean {
    return this.entries.get(id)?.state === 'enabled';
  }

  info(id: string): ModuleInfo {
    const e = this.entries.get(id)!;
    return {
      id,
      name: e.plugin.name,
      version: e.plugin.version,
      description: e.plugin.description,
      state: e.state,
      source: e.source,
      origin: e.origin,
      ...(e.error ? { error: e.error } : {}),
    };
  }

  list(): ModuleInfo[] {
    return [...this.entries.keys()].map((id) => this.info(id));
  }

  async disposeAll(): Promise<void> {
    for (const e of this.entries.values()) if (e.state === 'enabled') await this.deactivate(e);
  }
}

async function disposeAll(list: Disposable[]) {
  // A plugin may also push what the context already tracks; dispose each once.
  for (const d of [...new Set(list)].reverse()) {
    try {
      await d.dispose();
    } catch {
      /* a failing disposer must not keep the others from running */
    }
  }
  list.length = 0;
}

/** A module's declaration or activation threw: the error it is marked failed with. */
function startFailure(pluginId: string, e: unknown): ModuleError {
  return new ModuleError(ErrorCodes.ModuleFailed, `module "${pluginId}" failed to start: ${toKeyportError(e).message}`, {
    pluginId,
    cause: e,
    nextStep: `disable it with \`keyport modules disable ${pluginId}\` or update it`,
  });
}
