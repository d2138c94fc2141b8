import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Waits `ms` milliseconds. */
export const pause = (ms = 150) => new Promise((r) => setTimeout(r, ms));

/**
 * A tmux server on a socket of our own in a temporary folder (tmux leaves its socket file, so
 * `stop` removes the folder), with helpers that drive and read the session `kp`.
 */
export function privateTmux(prefix: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const socket = path.join(dir, 'tmux');
  const tmux = (...args: string[]) => execFileSync('tmux', ['-S', socket, ...args], { encoding: 'utf8' });
  const screen = () => tmux('capture-pane', '-p', '-t', 'kp');
  /** One key per send-keys, a moment apart, as a person types (several keys in one write reach
   * the app as one chunk, which terminal apps read as pasted text). */
  async function keys(...k: string[]): Promise<void> {
    for (const key of k) {
      tmux('send-keys', '-t', 'kp', key);
      await pause(60);
    }
  }
  const type = (text: string) => tmux('send-keys', '-t', 'kp', '-l', text);
  async function see(text: string | RegExp, ms = 15_000): Promise<string> {
    const end = Date.now() + ms;
    for (;;) {
      const s = screen();
      if (typeof text === 'string' ? s.includes(text) : text.test(s)) return s;
      if (Date.now() > end) throw new Error(`timed out waiting for ${String(text)}; screen:\n${s}`);
      await pause(50);
    }
  }
  /** Stops this tmux server and `others` (sockets in `dir` too), then removes `dir`. */
  const stop = (...others: string[]) => {
    for (const s of [socket, ...others]) spawnSync('tmux', ['-S', s, 'kill-server']);
    rmSync(dir, { recursive: true, force: true });
  };
  return { dir, socket, tmux, screen, keys, type, see, stop };
}
