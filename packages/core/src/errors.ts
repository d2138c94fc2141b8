/**
 * The keyport error family. Every error a user can see carries a stable code (`KP` + four
 * digits). Codes are never reused or renumbered: scripts and bug reports depend on them.
 * docs/errors.md lists them all and a test checks that the two agree.
 */
export const ErrorCodes = {
  /** Unexpected failure: a bug. */
  Internal: 'KP1000',
  /** The operation was cancelled by the user. */
  Cancelled: 'KP1001',
  /** Invalid command-line usage or argument. */
  Usage: 'KP1002',
  /** The settings file is not valid JSON. */
  SettingsCorrupt: 'KP1100',
  /** The settings file is valid JSON but breaks the schema. */
  SettingsInvalid: 'KP1101',
  /** Unknown setting key. */
  SettingUnknown: 'KP1102',
  /** A value given to `config set` breaks the setting's schema. */
  SettingValueInvalid: 'KP1103',
  /** The keyring lock could not be taken in time. */
  KeyringLocked: 'KP1200',
  /** The keyring index or a certificate file is damaged. */
  KeyringCorrupt: 'KP1201',
  /** No key in the keyring matches the given ID. */
  KeyNotFound: 'KP1202',
  /** The ID matches more than one key. */
  KeyAmbiguous: 'KP1203',
  /** The key ID or fingerprint is not well-formed. */
  KeyIdInvalid: 'KP1204',
  /** No space to write: the disk is full, the quota is used up or a file size limit was hit. */
  StorageFull: 'KP1205',
  /** A keyring or settings file could not be written (permissions, read-only file system, I/O error). */
  StorageFailed: 'KP1206',
  /** Input could not be read as OpenPGP data (bad armor, CRC, garbage, truncated). */
  InputMalformed: 'KP1300',
  /** Input is larger than the configured limit. */
  InputTooLarge: 'KP1301',
  /** Input holds no certificate. */
  InputEmpty: 'KP1302',
  /** Input file cannot be read. */
  InputUnreadable: 'KP1303',
  /** A module (plugin) failed to load or activate. */
  ModuleFailed: 'KP1400',
  /** Unknown module id. */
  ModuleUnknown: 'KP1401',
  /** A plugin was built for an incompatible plugin-API range. */
  ModuleIncompatible: 'KP1402',
  /** Two plugins or contributions claim the same id. */
  ModuleDuplicate: 'KP1403',
  /** A third-party plugin named in settings cannot be found (path or installed package). */
  PluginNotFound: 'KP1404',
  /** A third-party plugin could not be imported or does not export a keyport plugin. */
  PluginLoadFailed: 'KP1405',
  /** A third-party plugin named in settings was not added with `keyport plugins add`, or its files changed since. */
  PluginNotAdded: 'KP1406',
  /** Network: connection refused, reset, DNS failure. */
  NetworkUnreachable: 'KP1500',
  /** Network: the server did not answer in time. */
  NetworkTimeout: 'KP1501',
  /** The response exceeded the size cap. */
  ResponseTooLarge: 'KP1502',
  /** Server said 429 or 503 and retries ran out. */
  RateLimited: 'KP1503',
  /** A redirect was refused (https to http, too many, other scheme). */
  RedirectRefused: 'KP1504',
  /** The server answered with an unexpected status. */
  HttpStatus: 'KP1505',
  /** A plain-http URL was refused because https is required. */
  InsecureUrl: 'KP1506',
  /** The host name does not resolve (DNS). */
  HostNotFound: 'KP1507',
  /** The proxy (--proxy, network.proxy or a *_PROXY variable) could not be reached; nothing was sent. */
  ProxyUnreachable: 'KP1510',
  /** The proxy refused or failed to connect to the server (SOCKS reply error, CONNECT refused). */
  ProxyRefused: 'KP1511',
  /** The proxy refused the user name and password, or wants some. */
  ProxyAuthFailed: 'KP1512',
  /** Tor is on (--tor, network.tor) but not running at its SOCKS address; nothing was sent. */
  TorNotRunning: 'KP1513',
  /** A proxy URL is malformed or not http://, socks5:// or socks5h://. */
  ProxyInvalid: 'KP1514',
  /** A key server URL is malformed or uses a scheme no enabled module supports. */
  KeyserverUrlInvalid: 'KP1600',
  /** The key server is already in the list. */
  KeyserverDuplicate: 'KP1601',
  /** The key server is not in the list. */
  KeyserverUnknown: 'KP1602',
  /** No enabled module offers this operation for this server. */
  NoEngine: 'KP1603',
  /** The server does not support this kind of query (HTTP 400/501). */
  QueryUnsupported: 'KP1604',
  /** The URL answered, but not as a key server (HTML page, captive portal). */
  NotAKeyserver: 'KP1605',
  /** The query matches too many keys for the server (SKS "too many"). */
  QueryTooBroad: 'KP1606',
  /** The server refused the upload as too large (HTTP 413). */
  UploadTooLarge: 'KP1607',
  /** Publishing needs the primary secret key here (not an offline stub). */
  PublishNotAllowed: 'KP1700',
  /** The operation needs a module that is disabled (publish status needs KeyServerSync). */
  ModuleRequired: 'KP1701',
  /** The publish target cannot verify email addresses (HKP). */
  VerificationUnavailable: 'KP1702',
  /** GnuPG (gpg) cannot be found (gpgconf, the setting gnupg.program, PATH). */
  GnupgMissing: 'KP1800',
  /** The gpg found is older than 2.2. */
  GnupgTooOld: 'KP1801',
  /** The GnuPG home directory does not exist. */
  GnupgHomeMissing: 'KP1802',
  /** gpg-agent or a keyring lock held by another program is in the way. */
  GnupgBusy: 'KP1803',
  /** gpg failed on a store operation (the message gives gpg's own words). */
  GnupgFailed: 'KP1804',
} as const;

/** One of the stable error codes (docs/errors.md). */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Optional parts of a KeyportError: the next step to suggest, the plugin at fault, whether retrying may help, the cause. */
export interface KeyportErrorOptions {
  cause?: unknown;
  /** What the user can do about it, in one sentence. */
  nextStep?: string;
  /** Plugin involved, if any. */
  pluginId?: string;
  /** Whether retrying the same operation later may succeed. */
  retryable?: boolean;
}

/** Base class. `name` comes from the subclass so logs and `--json` output show the kind. */
export class KeyportError extends Error {
  readonly code: ErrorCode;
  readonly nextStep?: string;
  readonly pluginId?: string;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: KeyportErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.nextStep = options.nextStep;
    this.pluginId = options.pluginId;
    this.retryable = options.retryable ?? false;
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      name: this.name,
      message: this.message,
      nextStep: this.nextStep ?? null,
      pluginId: this.pluginId ?? null,
      retryable: this.retryable,
    };
  }
}

/** Bad input from the user: arguments, files, settings values. CLI exit code 2. */
export class InputError extends KeyportError {}
/** Something the user asked for does not exist. */
export class NotFoundError extends KeyportError {}
/** Settings file problems. */
export class SettingsError extends KeyportError {}
/** Keyring storage problems. */
export class KeyringError extends KeyportError {}
/** Plugin loading and contract problems. */
export class ModuleError extends KeyportError {}
/** Network and server problems. */
export class NetworkError extends KeyportError {}
/**
 * Bad data from a server (garbage, truncated, over the size cap): the same codes as bad input,
 * but the server's fault, not the user's, so the CLI exits 1 rather than 2 (usage).
 */
export class ServerDataError extends KeyportError {}
/** The user cancelled. Printed as nothing. */
export class CancelledError extends KeyportError {
  constructor(message = 'cancelled') {
    super(ErrorCodes.Cancelled, message);
  }
}

/** Turns anything thrown into a KeyportError; unknown throws become Internal (a bug). */
export function toKeyportError(error: unknown): KeyportError {
  if (error instanceof KeyportError) return error;
  if (error instanceof Error && error.name === 'AbortError') return new CancelledError();
  const message = error instanceof Error ? error.message : String(error);
  return new KeyportError(ErrorCodes.Internal, message, {
    cause: error,
    nextStep: 'this is a bug in keyport: please report it with the command you ran',
  });
}

/**
 * An error raised while reading what `server` sent. Input errors there are the server's bad data
 * (a {@link ServerDataError} with the same code, naming the server); anything else is unchanged.
 */
export function fromServer(error: unknown, server: string): KeyportError {
  const e = toKeyportError(error);
  if (!(e instanceof InputError) || e.code === ErrorCodes.Usage) return e;
  return new ServerDataError(e.code, `${server} sent unusable data: ${e.message}`, {
    cause: e,
    retryable: true,
    nextStep: 'your input was fine; try again later, or another key server',
  });
}

/** Is this error a cancellation (the user pressed Esc or Ctrl-C, or the signal was aborted)? */
export function isCancelled(error: unknown): boolean {
  return error instanceof CancelledError || (error instanceof Error && error.name === 'AbortError');
}
