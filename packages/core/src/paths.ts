import os from 'node:os';
import path from 'node:path';

/** Where keyport keeps its files. */
export interface KeyportPaths {
  /** The settings file. */
  settingsFile: string;
  /** The embedded keyring directory. */
  keyringDir: string;
  /** Set when everything lives under one folder (`--home` or `KEYPORT_HOME`). */
  home: string | null;
}

/**
 * Where keyport keeps its files. `--home DIR` (or `KEYPORT_HOME`) puts everything under DIR;
 * otherwise the XDG base directories are used: settings under `$XDG_CONFIG_HOME/keyport`, the
 * keyring under `$XDG_DATA_HOME/keyport`.
 */
export function resolvePaths(home?: string, env: NodeJS.ProcessEnv = process.env): KeyportPaths {
  const chosen = home ?? env.KEYPORT_HOME;
  if (chosen) {
    const dir = path.resolve(chosen);
    return { settingsFile: path.join(dir, 'settings.json'), keyringDir: path.join(dir, 'keyring'), home: dir };
  }
  const userHome = env.HOME ?? os.homedir();
  const config = env.XDG_CONFIG_HOME || path.join(userHome, '.config');
  const data = env.XDG_DATA_HOME || path.join(userHome, '.local', 'share');
  return {
    settingsFile: path.join(config, 'keyport', 'settings.json'),
    keyringDir: path.join(data, 'keyport'),
    home: null,
  };
}
