import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ErrorCodes, SettingsError, InputError } from './errors.js';
import { removeStaleTemps, writeFileAtomic } from './fs/atomic.js';
import { readFileBounded } from './fs/bounded-read.js';
import { FileLock } from './fs/lock.js';
import type { EventBus } from './events.js';
import { checkSettingsTogether, unknownSettingKeys } from './settings-validate.js';
import { DEFAULT_TOR_PROXY, isProxyUrl } from './http/proxy.js';

/** Far more than any settings file needs; a link to a device or a huge file stops here. */
const MAX_SETTINGS_BYTES = 16 * 1024 * 1024;

/** A setting someone (core or a plugin) owns: schema, default and a one-line description. */
export interface SettingDefinition<T = unknown> {
  key: string;
  schema: z.ZodType<T>;
  default: T;
  description: string;
  /** Plugin id, or 'core'. */
  owner: string;
  /** keyport's own state kept in the file (not a choice for the user): hidden from `config list`. */
  internal?: boolean;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Core's own settings. Plugins contribute theirs through their declaration. */
export const coreSettings: SettingDefinition[] = [
  {
    key: 'plugins',
    schema: z.array(z.string().min(1)),
    default: [],
    description: 'Third-party plugins to load: npm package names (installed under <home>/plugins) or absolute paths',
    owner: 'core',
  },
  {
    key: 'pluginRecords',
    schema: z.record(
      z.string(),
      z.object({
        id: z.string(),
        version: z.string(),
        location: z.string(),
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
        enabledByDefault: z.boolean(),
        addedAt: z.string(),
      }),
    ),
    default: {},
    description: 'What `keyport plugins add` recorded about each third-party plugin (by specifier); plugins without a matching record are not loaded',
    owner: 'core',
  },
  {
    key: 'store',
    schema: z.string().regex(/^[a-z][a-z0-9-]*$/),
    default: 'embedded',
    description: 'The key store keyport works on: embedded (its own keyring) or gnupg (a GnuPG home); --store and KEYPORT_STORE override it',
    owner: 'core',
  },
  {
    key: 'modules',
    schema: z.record(z.string(), z.boolean()),
    default: {},
    description: 'Enabled (true) or disabled (false) state of each module, by id',
    owner: 'core',
  },
  {
    key: 'import.maxBytes',
    schema: z.number().int().positive(),
    default: 256 * 1024 * 1024,
    description: 'Largest file or stdin input `import` accepts, in bytes',
    owner: 'core',
  },
  {
    key: 'import.maxCertificationsPerUserId',
    schema: z.number().int().min(0),
    default: 250,
    description: 'A user ID with more third-party certifications than this in an imported file (a flooded key) keeps only those made by keys in the keyring',
    owner: 'core',
  },
  {
    key: 'import.stripThirdPartyFromServers',
    schema: z.boolean(),
    default: true,
    description: 'Drop third-party certifications from keys fetched from servers (flooding defence)',
    owner: 'core',
  },
  {
    key: 'import.maxNewKeysPerEmailAnswer',
    schema: z.number().int().min(0).max(10_000),
    default: 10,
    description: 'Most new keys one email look-up may add (key servers do not prove who owns an address)',
    owner: 'core',
  },
  {
    key: 'network.timeoutMs',
    schema: z.number().int().min(100).max(600_000),
    default: 30_000,
    description: 'Total time one HTTP request may take, body included',
    owner: 'core',
  },
  {
    key: 'network.connectTimeoutMs',
    schema: z.number().int().min(100).max(120_000),
    default: 10_000,
    description: 'Time to establish a connection',
    owner: 'core',
  },
  {
    key: 'network.maxResponseBytes',
    schema: z.number().int().positive(),
    default: 16 * 1024 * 1024,
    description: 'Largest response body accepted from a server; for key look-ups, the size of what is kept once third-party signatures are dropped',
    owner: 'core',
  },
  {
    key: 'network.maxRawResponseBytes',
    schema: z.number().int().positive(),
    default: 64 * 1024 * 1024,
    description: 'Largest key look-up answer read at all, before screening (a flooded key is 24 MB armored)',
    owner: 'core',
  },
  {
    key: 'network.perHostConcurrency',
    schema: z.number().int().min(1).max(256),
    default: 16,
    description: 'Requests in flight per host; halved on HTTP 429, raised again slowly',
    owner: 'core',
  },
  {
    key: 'network.maxRetryWaitMs',
    schema: z.number().int().min(0).max(3_600_000),
    default: 60_000,
    description: 'Longest Retry-After (HTTP 429/503) worth waiting for; a server asking for more is not asked again in this run',
    owner: 'core',
  },
  {
    key: 'network.proxy',
    schema: z.string().refine((v) => v === '' || isProxyUrl(v), 'must be empty or an http://, socks5:// or socks5h:// proxy URL'),
    default: '',
    description: 'Proxy for every request (http://, socks5:// or socks5h://HOST:PORT; socks5h lets the proxy resolve names); empty: ALL_PROXY / HTTPS_PROXY / HTTP_PROXY. NO_PROXY applies',
    owner: 'core',
  },
  {
    key: 'network.tor',
    schema: z.boolean(),
    default: false,
    description: 'Send every request through Tor (network.torProxy), each on its own circuit; never connect directly',
    owner: 'core',
  },
  {
    key: 'network.torProxy',
    schema: z.string().refine((v) => isProxyUrl(v) && v.startsWith('socks5h://'), 'must be a socks5h://HOST:PORT address'),
    default: DEFAULT_TOR_PROXY,
    description: "Tor's SOCKS address used by network.tor and --tor",
    owner: 'core',
  },
  {
    key: 'keyservers.list',
    schema: z.array(z.string().url()),
    // The application's composition root may name more (KeyportOptions.settingDefaults).
    default: ['https://keyserver.ubuntu.com'],
    description: 'Key servers, in order',
    owner: 'core',
  },
  {
    key: 'keyservers.default',
    schema: z.string().url(),
    default: 'https://keyserver.ubuntu.com',
    description: 'Key server for search and import',
    owner: 'core',
  },
  {
    key: 'publish.targets',
    schema: z.array(z.string().url()),
    // Empty: publish goes where routing sends it, as before this setting existed.
    default: [],
    description: 'Key servers `publish` uploads to, each with its own protocol (empty: the routed server)',
    owner: 'core',
  },
  {
    key: 'keyservers.protocols',
    schema: z.record(z.string(), z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be a protocol id such as hkp')),
    default: {},
    description: 'The protocol (engine id) of each listed key server, fixed when it was added (docs/adr/0008-server-protocols.md)',
    owner: 'core',
  },
  {
    key: 'keyservers.lastTest',
    schema: z.record(z.string(), z.object({ ok: z.boolean(), latencyMs: z.number().nullable(), detail: z.string(), at: z.string() })),
    default: {},
    description: 'Result of the last test of each key server',
    owner: 'core',
    internal: true,
  },
];

/**
 * Settings in one JSON file. The file is validated on load; a corrupt or invalid file is
 * reported with its path and never overwritten: writes re-read it first and refuse if it is bad.
 * Writes are atomic and serialised by a lock. A settings file that is a symlink (a dotfiles
 * manager's) is written through: the new content replaces the file the link points to,
 * atomically in that file's directory, and the link stays a link.
 */
export class Settings {
  private readonly definitions = new Map<string, SettingDefinition>();
  private data: Record<string, Json> = {};
  /** Old key -> new key, for settings a module took over (applied to every read of the file). */
  private readonly renames = new Map<string, string>();
  private readonly lock: FileLock;
  /** What the last load found questionable but usable (unknown keys, a server listed twice): to show the user. */
  readonly warnings: { message: string; nextStep: string }[] = [];

  constructor(
    readonly file: string,
    private readonly bus?: EventBus,
  ) {
    this.lock = new FileLock(`${file}.lock`);
    for (const d of coreSettings) this.define(d);
  }

  /** Registers a setting; returns a disposer so a disabled plugin's settings go away. */
  define(def: SettingDefinition): { dispose(): void } {
    if (this.definitions.has(def.key)) {
      throw new SettingsError(ErrorCodes.SettingUnknown, `setting "${def.key}" is defined twice (by ${this.definitions.get(def.key)!.owner} and ${def.owner})`);
    }
    this.definitions.set(def.key, def);
    return { dispose: () => this.definitions.delete(def.key) };
  }

  /** Replaces a setting's default (the application's own choice, e.g. its key server list). */
  setDefault(key: string, value: unknown): void {
    const def = this.definitions.get(key);
    if (!def) throw unknownKey(key);
    const parsed = def.schema.safeParse(value);
    if (!parsed.success) throw new SettingsError(ErrorCodes.SettingValueInvalid, `default for "${key}" is invalid: ${describeIssue(parsed.error)}`);
    this.definitions.set(key, { ...def, default: parsed.data });
  }

  /**
   * Moves a stored value from `from` to `to` (a setting that changed owner or name). The file
   * keeps the old key until the next write, which stores the new one; a value already under
   * `to` wins.
   */
  rename(from: string, to: string): void {
    this.renames.set(from, to);
    this.applyRenames(this.data);
  }

  private applyRenames(data: Record<string, Json>): void {
    for (const [from, to] of this.renames) {
      const old = getPath(data, from);
      if (old === undefined) continue;
      if (getPath(data, to) === undefined) setPath(data, to, old);
      deletePath(data, from);
    }
  }

  list(): SettingDefinition[] {
    return [...this.definitions.values()].sort((a, b) => a.key.localeCompare(b.key));
  }

  has(key: string): boolean {
    return this.definitions.has(key);
  }

  async load(): Promise<void> {
    this.data = await this.readFile();
    for (const def of this.definitions.values()) this.validateStored(def);
    this.warnings.length = 0;
    for (const p of checkSettingsTogether((k) => this.get(k))) {
      if (p.severity === 'error') throw new SettingsError(ErrorCodes.SettingsInvalid, `${this.file}: ${p.message}`, { nextStep: `${p.fixInFile} in ${this.file}` });
      this.warnings.push({ message: `${this.file}: ${p.message}`, nextStep: `${p.fixInFile}, or run ${p.command}` });
    }
  }

  /**
   * Warns about keys in the file that no setting defines, naming the nearest known key. Called
   * once every module has declared its settings; `moduleIds` are all known modules, enabled or
   * not (a disabled module's settings are not unknown).
   */
  checkUnknownKeys(moduleIds: readonly string[]): void {
    for (const { key, nearest } of unknownSettingKeys(this.data, [...this.definitions.keys()], moduleIds)) {
      this.warnings.push({
        message: `${this.file}: unknown setting "${key}" is ignored`,
        nextStep: nearest ? `did you mean "${nearest}"? Rename or remove it in ${this.file}` : `remove it from ${this.file} (\`keyport config list\` shows every setting)`,
      });
    }
  }

  /** Validates the stored value of a (possibly just defined) setting. */
  validateStored(def: SettingDefinition): void {
    const raw = getPath(this.data, def.key);
    if (raw === undefined) return;
    const parsed = def.schema.safeParse(raw);
    if (!parsed.success) {
      throw new SettingsError(ErrorCodes.SettingsInvalid, `${this.file}: "${def.key}" is invalid: ${describeIssue(parsed.error)}`, {
        nextStep: `fix or remove "${def.key}" in ${this.file}`,
      });
    }
  }

  get<T = unknown>(key: string): T {
    const def = this.definitions.get(key);
    const raw = getPath(this.data, key);
    if (raw !== undefined) return raw as T;
    if (!def) throw unknownKey(key);
    return def.default as T;
  }

  /** Sets a value (validated) and writes the file atomically. */
  async set(key: string, value: unknown): Promise<void> {
    await this.setMany([[key, value]]);
  }

  /**
   * Sets several values in one write. Each is validated, then the settings as they would be
   * afterwards are checked together (the default server stays in the list, ...): a change that
   * would leave them inconsistent is refused with the command that makes it properly.
   */
  async setMany(entries: readonly (readonly [string, unknown])[]): Promise<void> {
    const next = new Map<string, Json>();
    for (const [key, value] of entries) {
      const def = this.definitions.get(key);
      if (!def) throw unknownKey(key);
      const parsed = def.schema.safeParse(value);
      if (!parsed.success) {
        throw new InputError(ErrorCodes.SettingValueInvalid, `invalid value for "${key}": ${describeIssue(parsed.error)}`, {
          nextStep: `see \`keyport config list\` for what "${key}" accepts`,
        });
      }
      next.set(key, parsed.data as Json);
    }
    // Only what this change would break is refused (a problem already in the file was reported on load).
    const before = new Set(checkSettingsTogether((k) => this.get(k)).map((p) => p.message));
    const problem = checkSettingsTogether((k) => (next.has(k) ? next.get(k) : this.get(k))).find((p) => !before.has(p.message));
    if (problem) {
      throw new InputError(ErrorCodes.SettingValueInvalid, `refused: ${problem.message}`, { nextStep: `use ${problem.command}` });
    }
    await this.update((data) => {
      for (const [key, value] of next) setPath(data, key, value);
    });
    for (const key of next.keys()) this.bus?.emit('settings:changed', { key });
  }

  /** Read-modify-write under the lock, starting from what is on disk now. */
  async update(mutate: (data: Record<string, Json>) => void): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    await this.lock.withLock(async () => {
      const fresh = await this.readFile();
      this.applyRenames(fresh);
      mutate(fresh);
      const target = await this.writeTarget();
      await writeFileAtomic(target, `${JSON.stringify(fresh, null, 2)}\n`);
      this.data = fresh;
      // A `config set` killed mid-write left its temp file; every writer holds this lock, so it is dead.
      const name = path.basename(target);
      await removeStaleTemps(path.dirname(target), { ownerGone: true, isTarget: (n) => n === name }).catch(() => undefined);
    });
  }

  /** The file a write replaces: the settings file, or the end of the chain of symlinks it is. */
  private async writeTarget(): Promise<string> {
    let current = this.file;
    // Linux gives up after 40 links (ELOOP); so do we.
    for (let hops = 0; hops < 40; hops++) {
      let link: string;
      try {
        link = await fs.readlink(current);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // EINVAL: a regular file; ENOENT: nothing there yet, so the write creates it.
        if (code !== 'EINVAL' && code !== 'ENOENT') throw e;
        if (current !== this.file && code === 'ENOENT') {
          const folder = await fs.stat(path.dirname(current)).then((st) => st.isDirectory(), () => false);
          if (!folder) {
            throw new SettingsError(ErrorCodes.StorageFailed, `cannot write ${this.file}: it is a symlink to ${current}, whose folder does not exist`, {
              nextStep: `create ${path.dirname(current)}, or replace the symlink ${this.file} by a file`,
            });
          }
        }
        return current;
      }
      current = path.resolve(path.dirname(current), link);
    }
    throw new SettingsError(ErrorCodes.StorageFailed, `cannot write ${this.file}: its symlinks loop`, {
      nextStep: `make ${this.file} a file, or a symlink to one`,
    });
  }

  private async readFile(): Promise<Record<string, Json>> {
    let text: string;
    // Opening a FIFO blocks until someone writes to it: every command would hang. stat follows
    // a symlink, which is a supported way to keep settings elsewhere.
    const st = await fs.stat(this.file).catch(() => undefined);
    if (st && !st.isFile()) {
      const kind = st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : 'a device';
      throw new SettingsError(ErrorCodes.SettingsCorrupt, `${this.file} is not a regular file (${kind})`, {
        nextStep: `replace ${this.file} with a regular file (or remove it to start from the defaults)`,
      });
    }
    try {
      text = Buffer.from(await readFileBounded(this.file, MAX_SETTINGS_BYTES)).toString('utf8');
    } catch (e) {
      const cause = (e as Error).cause as NodeJS.ErrnoException | undefined;
      if (cause?.code === 'ENOENT') return {};
      if ((e as InputError).code === ErrorCodes.InputTooLarge) {
        throw new SettingsError(ErrorCodes.SettingsCorrupt, `${this.file} holds more than ${MAX_SETTINGS_BYTES} bytes: not a keyport settings file`, {
          nextStep: `move ${this.file} away; keyport will not overwrite it`,
        });
      }
      throw new SettingsError(ErrorCodes.SettingsCorrupt, cause ? `cannot read ${this.file}: ${cause.message}` : (e as Error).message, {
        nextStep: 'check the file permissions',
      });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new SettingsError(ErrorCodes.SettingsCorrupt, `${this.file} is not valid JSON (${(e as Error).message})`, {
        nextStep: `fix the file by hand or move it away; keyport will not overwrite it`,
      });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new SettingsError(ErrorCodes.SettingsInvalid, `${this.file} must hold a JSON object`, {
        nextStep: 'fix the file by hand or move it away; keyport will not overwrite it',
      });
    }
    return parsed as Record<string, Json>;
  }
}

function unknownKey(key: string) {
  return new InputError(ErrorCodes.SettingUnknown, `unknown setting "${key}"`, {
    nextStep: 'run `keyport config list` to see every setting',
  });
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return `${where}${issue.message}`;
}

function getPath(data: Record<string, Json>, key: string): Json | undefined {
  if (key in data) return data[key];
  let node: Json | undefined = data;
  for (const part of key.split('.')) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
    node = (node as Record<string, Json>)[part];
  }
  return node;
}

function deletePath(data: Record<string, Json>, key: string): void {
  if (key in data) {
    delete data[key];
    return;
  }
  const parts = key.split('.');
  const parents: Record<string, Json>[] = [data];
  for (const part of parts.slice(0, -1)) {
    const next = parents.at(-1)![part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) return;
    parents.push(next as Record<string, Json>);
  }
  delete parents.at(-1)![parts.at(-1)!];
  // Drop the objects the removal left empty, so no `"network": {}` stays behind.
  for (let i = parents.length - 1; i > 0 && Object.keys(parents[i]!).length === 0; i--) delete parents[i - 1]![parts[i - 1]!];
}

function setPath(data: Record<string, Json>, key: string, value: Json): void {
  const parts = key.split('.');
  let node = data;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, Json>;
  }
  node[parts.at(-1)!] = value;
}
