import type { SettingDefinition } from '../settings.js';
import type { EventBus } from '../events.js';
import type { HttpTransport } from '../http/transport.js';
import type { KeyRecord, Keyring } from '../keyring/types.js';
import type { ImportPipeline } from '../import/pipeline.js';
import type { KeyQuery } from '../keyring/query.js';
import type { RoutedOperation, RoutingPolicy } from '../keyservers/routing.js';
import type { EventArgs, EventName } from '../events.js';

/** Version of the plugin API in this build. A plugin states the range it was built for. */
export const PLUGIN_API_VERSION = '1.0.0';

/** Something that can be undone: every registration returns one. */
export interface Disposable {
  dispose(): void | Promise<void>;
}

/** One key in a server's search answer, as the engine parsed it. */
export interface SearchHit {
  /** Full fingerprint when the server gave one (uppercase hex), else null. */
  fingerprint: string | null;
  /** 16-hex key ID (derived from a v4 fingerprint when the server sent that). */
  keyId: string | null;
  /** OpenPGP algorithm number, and its name (rsa, dsa, ecdsa, eddsa, …). */
  algorithmId: number | null;
  algorithm: string | null;
  bits: number | null;
  created: string | null;
  expires: string | null;
  revoked: boolean;
  /** Computed locally from `expires`, whatever the server's flag says. */
  expired: boolean;
  disabled: boolean;
  userIds: string[];
  /** Where the hit came from (server URL). */
  source: string;
  /** ECC curve (gpg's name), or null; filled in by core from the algorithm and size. */
  curve?: string | null;
  /** Every source that returned this key, once hits are merged by fingerprint (core fills it in). */
  sources?: string[];
}

/** Options every engine verb accepts: a signal to cancel it. */
export interface EngineCallOptions {
  signal?: AbortSignal;
}

/** State of one address on a verifying key server. */
export type AddressStatus = 'published' | 'unpublished' | 'pending' | 'revoked';

/** Whether a key is published: with verified addresses, held without any, or absent. */
export interface PublishStatus {
  state: 'published' | 'no-verified-identity' | 'not-published';
  /** Verified addresses the server serves. */
  addresses: string[];
}

/** Answer of an upload. */
export interface UploadOutcome {
  /** Fingerprints the server accepted (inserted, updated or unchanged). */
  accepted: string[];
  /** Per-key failures the server reported. */
  failed: { fingerprint: string | null; reason: string }[];
  /** Server's own words, for display. */
  message: string;
  /** Verifying servers: the session token for verification requests, and each address's state. */
  token?: string;
  addresses?: Record<string, AddressStatus>;
}

/** The engine's answer to a verification request whose session the server no longer knows. */
export interface SessionExpired {
  sessionExpired: true;
}

/** Answer of a verification request: each address's state, or an expired session. */
export type VerificationAnswer = { fingerprint: string; addresses: Record<string, AddressStatus> } | SessionExpired;

/** What probing a server found: reachable, speaking this protocol, and how fast. */
export interface ProbeOutcome {
  reachable: boolean;
  /** This engine's protocol answered as expected. */
  speaksProtocol: boolean;
  latencyMs: number | null;
  detail: string;
}

/**
 * A key-server protocol. Every verb is optional; the registry picks an engine for a server URL
 * by asking `supports`, never by switching on schemes, and the UI hides verbs no engine offers.
 */
export interface ProtocolEngine {
  /** Unique id, e.g. `hkp`. */
  id: string;
  /** Human-readable protocol name. */
  label: string;
  /** Does this engine speak to servers at `url`? Must not do I/O. */
  supports(url: URL): boolean;
  /** Fuzzy or exact index search. Not found is an empty array, never an error. */
  search?(server: URL, query: KeyQuery, options?: EngineCallOptions): Promise<SearchHit[]>;
  /** The certificates the server returns for a query (armored or binary), or null when it has none. */
  lookup?(server: URL, query: KeyQuery, options?: EngineCallOptions): Promise<Uint8Array | null>;
  /** Sends public certificates (armored). Engines must refuse anything else. */
  upload?(server: URL, armoredPublicKeys: string, options?: EngineCallOptions): Promise<UploadOutcome>;
  /**
   * Asks the server to mail verification links for `addresses` of the key uploaded with `token`.
   * A session the server no longer knows is answered with {@link SessionExpired}, not an error:
   * core then uploads again for a new session.
   */
  requestVerification?(
    server: URL,
    request: { token: string; addresses: string[]; locale?: string[] },
    options?: EngineCallOptions,
  ): Promise<VerificationAnswer>;
  /**
   * How long a session token from `upload` may be reused for verification requests. Without
   * it, every verification request uploads the key again first.
   */
  sessionLifetimeMs?: number;
  /** Is the key published, and under which verified addresses? */
  publishStatus?(server: URL, fingerprint: string, options?: EngineCallOptions): Promise<PublishStatus>;
  /** Does `server` answer, how fast, and does it speak this protocol? */
  probe?(server: URL, options?: EngineCallOptions): Promise<ProbeOutcome>;
}

/**
 * A source of keys that is not a key server the user picks: it answers some queries wherever
 * they are made (the Web Key Directory answers email queries from the address's own domain).
 * Core asks every enabled source that `handles` a query during `search` and `import` when the
 * user has not named a server, marks results with the source, remembers which keys came from
 * it and refreshes those keys from it during `sync`.
 */
export interface KeySource {
  /** Unique id, e.g. `wkd`; shown with results and accepted by `--source`. */
  id: string;
  label: string;
  /** Does this source answer `query`? Must not do I/O. */
  handles(query: KeyQuery): boolean;
  /** Hits for `query`; `source` on each says where they came from. Not found is []. */
  search?(query: KeyQuery, options?: EngineCallOptions): Promise<SearchHit[]>;
  /**
   * The certificates for `query` (armored or binary), or null when there are none. Core screens
   * them like any server answer (request matching, no secrets, third-party stripping).
   */
  lookup(query: KeyQuery, options?: EngineCallOptions): Promise<{ bytes: Uint8Array; url: string } | null>;
}

/** A line a plugin adds to a key's details (`keyport show`, the TUI's details pane). */
export interface KeyDetailRow {
  label: string;
  value: string;
}

/** A short state a plugin shows in the TUI header and in `keyport modules list`. */
export interface StatusItem {
  id: string;
  label: string;
  /** Current value; undefined hides the item. Called on every render: keep it cheap. */
  value(): string | undefined;
}

/**
 * A warning the user must confirm before a routed operation goes ahead (`--yes` skips it).
 * Return undefined when it does not apply to this target.
 */
export interface ConfirmationContribution {
  id: string;
  operation: RoutedOperation;
  message(target: { server: string; engineId: string }): string | undefined;
}

/** What a plugin contributes without running anything (read while wiring). */
export interface PluginDeclaration {
  /** Settings the plugin owns; keys must start with the plugin id and a dot. */
  settings?: Omit<SettingDefinition, 'owner'>[];
  /**
   * Settings this plugin took over from elsewhere: old key -> one of its own keys. A value
   * stored under the old key is read as the new one and stored under it on the next write.
   */
  renamedSettings?: Record<string, string>;
  /**
   * Protocols (engine ids) the plugin's engines speak, with a short label: known even while the
   * plugin is disabled, so a server of that protocol is refused with "enable this module".
   */
  protocols?: { id: string; label: string }[];
  /** Routed operations the plugin's routing policy takes over while enabled (named when it is off). */
  routes?: RoutedOperation[];
  /** Commands the plugin adds to the command line (see {@link CommandContribution}). */
  commands?: CommandContribution[];
}

/** One option of a contributed command, in commander's syntax (`-n, --name <value>`). */
export interface CommandOption {
  flags: string;
  description: string;
  default?: string | boolean;
}

/** What a contributed command's handler receives. */
export interface CommandInvocation {
  /** Positional arguments, in the order declared. */
  args: string[];
  /** Option values by their camel-cased long name. */
  options: Record<string, unknown>;
  /** `--json` was given: print one JSON value through `json`. */
  json: boolean;
  /** Prints human-readable lines (escaped for the terminal by the CLI). */
  print(lines: string | string[]): void;
  /** Prints a JSON value. */
  printJson(value: unknown): void;
  /** The running keyport's services, as a plugin's `activate` receives them. */
  context: PluginContext;
}

/**
 * A command a plugin adds to the CLI (`keyport NAME ...`). It is listed in `--help` with the
 * plugin's name and runs only while the plugin is enabled; errors it throws are reported like
 * any command's (a {@link KeyportError} keeps its code and next step).
 */
export interface CommandContribution {
  /** Command name: lowercase letters, digits and dashes, not one of keyport's own commands. */
  name: string;
  description: string;
  /** Positional arguments in commander's syntax: `<required>` or `[optional]`. */
  arguments?: { name: string; description: string }[];
  options?: CommandOption[];
  run(invocation: CommandInvocation): void | Promise<void>;
}

/** Services a plugin receives when it is activated. */
export interface PluginContext {
  readonly pluginId: string;
  readonly bus: EventBus;
  readonly http: HttpTransport;
  readonly keyring: Keyring;
  readonly importer: ImportPipeline;
  /** Reads a setting (the plugin's own or core's). */
  setting<T>(key: string): T;
  /** Registers a protocol engine; disposed when the plugin is disabled. */
  registerEngine(engine: ProtocolEngine): Disposable;
  /** Registers a routing policy for publish, sync and publish status. */
  registerRoutingPolicy(policy: RoutingPolicy): Disposable;
  /** Registers a key source (see {@link KeySource}). */
  registerKeySource(source: KeySource): Disposable;
  /** Adds rows to every key's details. */
  contributeKeyDetails(provider: (key: KeyRecord) => KeyDetailRow[]): Disposable;
  /** Adds a status item. */
  contributeStatusItem(item: StatusItem): Disposable;
  /** Adds a confirmation to a routed operation. */
  contributeConfirmation(confirmation: ConfirmationContribution): Disposable;
  /**
   * Subscribes to a bus event; the subscription ends when the plugin is disabled. Prefer this
   * to `bus.on`, whose subscriptions the plugin would have to dispose itself.
   */
  on<K extends EventName>(event: K, listener: (...args: EventArgs<K>) => void): Disposable;
  /** Everything pushed here is disposed, in reverse order, when the plugin is disabled. */
  readonly subscriptions: Disposable[];
  /** A logger that prefixes the plugin id. */
  readonly log: { info(message: string): void; warn(message: string): void };
}

/**
 * A keyport plugin: a plain, versioned object. `declare` is synchronous and only describes
 * contributions; `activate` may do async work and registers everything through the context so
 * disabling the plugin removes all of it.
 */
export interface KeyportPlugin {
  /** kebab-case id, unique among loaded plugins. */
  id: string;
  name: string;
  version: string;
  /** Plugin-API range the plugin was built for, e.g. `^1.0.0`. */
  apiVersion: string;
  description: string;
  /** Enabled when the user has not chosen. Built-in plugins are on by default. */
  enabledByDefault?: boolean;
  declare?(): PluginDeclaration;
  activate(context: PluginContext): void | Promise<void>;
}

/** Identity helper that type-checks a plugin object. */
export function definePlugin(plugin: KeyportPlugin): KeyportPlugin {
  return plugin;
}

/**
 * Minimal semver check for the ranges plugins declare: `^X.Y.Z`, `~X.Y.Z`, `X.Y.Z`, `>=X.Y.Z`
 * (caret on major 0 pins the minor, as npm does).
 */
export function satisfiesApiRange(version: string, range: string): boolean {
  const parse = (v: string) => {
    const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(v.trim());
    return m ? [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)] : undefined;
  };
  const cmp = (a: number[], b: number[]) => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!;
  const v = parse(version);
  if (!v) return false;
  const r = range.trim();
  const op = /^(\^|~|>=)?(.*)$/.exec(r)!;
  const base = parse(op[2]!);
  if (!base) return false;
  if (cmp(v, base) < 0) return false;
  switch (op[1]) {
    case '^':
      return base[0] === 0 ? v[0] === 0 && v[1] === base[1] : v[0] === base[0];
    case '~':
      return v[0] === base[0] && v[1] === base[1];
    case '>=':
      return true;
    default:
      return cmp(v, base) === 0;
  }
}
