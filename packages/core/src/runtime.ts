import 'reflect-metadata';
import { Lifecycle, container as rootContainer, type DependencyContainer } from 'tsyringe';
import { createRequire } from 'node:module';
import path from 'node:path';
import { loadThirdPartyPlugins, type PluginRecord } from './plugins/loader.js';
import { Tokens, resolve } from './di/tokens.js';
import { EventBus } from './events.js';
import { HttpTransport, type HttpExchange } from './http/transport.js';
import { ImportPipeline } from './import/pipeline.js';
import { EmbeddedKeyring } from './keyring/embedded.js';
import { EmbeddedKeyStore } from './keystore/embedded-store.js';
import type { KeyStore } from './keystore/contract.js';
import { resolvePaths, type KeyportPaths } from './paths.js';
import type { KeyportPlugin } from './plugins/api.js';
import { EngineRegistry, ModuleRegistry } from './plugins/registry.js';
import { Settings } from './settings.js';
import { KeyServerActions } from './keyservers/actions.js';
import { RoutingRegistry } from './keyservers/routing.js';
import { KeySourceRegistry, UiContributions } from './plugins/contributions.js';
import { Publishing } from './keyservers/publishing.js';

const pkg = createRequire(import.meta.url)('@keyport/core/package.json') as { version: string };
/** Version of this keyport core. */
export const KEYPORT_VERSION = pkg.version;

/** Options of createKeyport. */
export interface KeyportOptions {
  /** `--home DIR`; defaults to KEYPORT_HOME, then the XDG directories. */
  home?: string;
  /** `--modules` value for this run. */
  modules?: string;
  /** Plugins to load (the CLI passes the built-in ones). */
  plugins?: KeyportPlugin[];
  /**
   * Also load the third-party plugins named in the `plugins` setting. `coreModuleUrl`, when
   * given, is what their `import '@keyport/core'` resolves to (the host's own core).
   */
  thirdParty?: { coreModuleUrl?: string };
  env?: NodeJS.ProcessEnv;
  /** `--proxy URL` and `--tor` for this run; they override the network.proxy and network.tor settings. */
  network?: { proxy?: string; tor?: boolean };
  /** Told about every HTTP request made (`--verbose`). */
  onHttpExchange?: (exchange: HttpExchange) => void;
  /** Defaults the application chooses for core's settings (the CLI: its key server list). */
  settingDefaults?: Record<string, unknown>;
}

/** A wired keyport: one child container per run, holding every core service. */
export interface Keyport {
  readonly container: DependencyContainer;
  readonly paths: KeyportPaths;
  readonly bus: EventBus;
  readonly settings: Settings;
  readonly keyring: EmbeddedKeyring;
  /** The key store of this run, through the {@link KeyStore} contract (the embedded keyring by default). */
  readonly store: KeyStore;
  readonly http: HttpTransport;
  readonly importer: ImportPipeline;
  readonly engines: EngineRegistry;
  readonly modules: ModuleRegistry;
  readonly keyservers: KeyServerActions;
  readonly publishing: Publishing;
  readonly routing: RoutingRegistry;
  /** Key sources (WKD and the like) contributed by enabled plugins. */
  readonly sources: KeySourceRegistry;
  /** Key detail rows, status items and confirmations contributed by enabled plugins. */
  readonly ui: UiContributions;
  dispose(): Promise<void>;
}

/** Where `keyport plugins add NAME` installs npm plugins: next to the settings file. */
export function pluginsDir(paths: KeyportPaths): string {
  return path.join(path.dirname(paths.settingsFile), 'plugins');
}

/**
 * Composition root of core: loads and validates settings, registers the services by token and
 * loads the given plugins. Settings errors are thrown (the caller decides how to show them);
 * plugin failures are reported on the bus and never thrown.
 */
export async function createKeyport(options: KeyportOptions = {}): Promise<Keyport> {
  const env = options.env ?? process.env;
  const paths = resolvePaths(options.home, env);
  const container = rootContainer.createChildContainer();
  const bus = new EventBus();
  const settings = new Settings(paths.settingsFile, bus);
  for (const [key, value] of Object.entries(options.settingDefaults ?? {})) settings.setDefault(key, value);
  await settings.load();
  const keyring = new EmbeddedKeyring(paths.keyringDir);
  keyring.onChanged = (fingerprints) => bus.emit('keyring:changed', { fingerprints });
  const http = new HttpTransport({
    timeoutMs: settings.get('network.timeoutMs'),
    connectTimeoutMs: settings.get('network.connectTimeoutMs'),
    maxBytes: settings.get('network.maxResponseBytes'),
    perHostConcurrency: settings.get('network.perHostConcurrency'),
    maxRetryWaitMs: settings.get('network.maxRetryWaitMs'),
    userAgent: `keyport/${KEYPORT_VERSION}`,
    env,
    proxy: options.network?.proxy ?? (settings.get<string>('network.proxy') || undefined),
    tor: options.network?.tor || settings.get<boolean>('network.tor'),
    torProxy: settings.get<string>('network.torProxy'),
    onExchange: options.onHttpExchange,
  });

  container.registerInstance(Tokens.Paths as symbol, paths);
  container.registerInstance(Tokens.Bus as symbol, bus);
  container.registerInstance(Tokens.Settings as symbol, settings);
  container.registerInstance(Tokens.Keyring as symbol, keyring);
  container.registerInstance(Tokens.Http as symbol, http);
  // Constructed by the container through its @inject metadata, not by hand.
  container.register(Tokens.Importer as symbol, { useClass: ImportPipeline }, { lifecycle: Lifecycle.ContainerScoped });
  const importer = resolve(container, Tokens.Importer);
  const store: KeyStore = new EmbeddedKeyStore(keyring, importer, bus);
  container.registerInstance(Tokens.KeyStore as symbol, store);
  const engines = new EngineRegistry();
  const routing = new RoutingRegistry();
  const sources = new KeySourceRegistry();
  const ui = new UiContributions();
  const modules = new ModuleRegistry({ bus, settings, http, keyring, importer, engines, routing, sources, ui });
  container.registerInstance(Tokens.Engines as symbol, engines);
  container.registerInstance(Tokens.Modules as symbol, modules);
  const keyservers = new KeyServerActions(settings, engines, importer, bus, sources, keyring, () => modules.knownProtocols());
  const publishing = new Publishing({ settings, engines, routing, keyring, store, importer, bus, ui, sources, defaultServer: () => keyservers.defaultServer(), uploadEngine: (server) => keyservers.uploadEngine(server), routerOf: (op) => modules.routerOf(op) });
  container.registerInstance(Tokens.Publishing as symbol, publishing);
  container.registerInstance(Tokens.KeyServers as symbol, keyservers);

  modules.setSessionOverride(options.modules);
  for (const plugin of options.plugins ?? []) await modules.add(plugin);
  if (options.thirdParty) {
    await loadThirdPartyPlugins(settings.get<string[]>('plugins'), settings.get<Record<string, PluginRecord>>('pluginRecords'), pluginsDir(paths), modules, {
      coreModuleUrl: options.thirdParty.coreModuleUrl,
    });
  }
  settings.checkUnknownKeys(modules.list().map((m) => m.id));
  for (const id of modules.unknownOverrideIds()) {
    bus.feedback({ severity: 'warning', message: `--modules names an unknown module "${id}"; ignored` });
  }

  return {
    container,
    paths,
    bus,
    settings,
    keyring: resolve(container, Tokens.Keyring),
    store: resolve(container, Tokens.KeyStore),
    http,
    importer,
    engines,
    modules,
    keyservers,
    publishing,
    routing,
    sources,
    ui,
    dispose: async () => {
      await modules.disposeAll();
      await container.dispose();
    },
  };
}
