import { randomBytes } from 'node:crypto';
import { promises as fs, readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import { ErrorCodes, KeyringError } from '../errors.js';
import { isAlive, storageError } from './atomic.js';

/** How old a lock or `.break` file without a holder must be before it is taken for stale. */
const UNNAMED_LOCK_GRACE_MS = 5_000;
/** Linux's USER_HZ: /proc/PID/stat counts process start times in these ticks since boot. */
const CLOCK_TICKS_PER_SECOND = 100;

export interface LockOptions {
  /** How long to wait for another holder before giving up. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Who holds a lock, as recorded in the lock file: enough to tell a dead or reused pid apart. */
interface Holder {
  host: string;
  pid: number;
  /** Start time of the process in clock ticks since boot (/proc/PID/stat field 22). */
  start?: string;
  /** /proc/sys/kernel/random/boot_id: a lock from another boot of this machine is stale. */
  boot?: string;
  /** PID namespace: pids are comparable only within one (containers share the boot id). */
  pidns?: string;
  /** /etc/machine-id: tells a renamed host from another machine. */
  machine?: string;
}

/** The kernel's start time of a process, or undefined where /proc cannot tell. */
export function processStartTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function readTrimmed(file: string, read: (f: string) => string = (f) => readFileSync(f, 'utf8')): string | undefined {
  try {
    return read(file).trim() || undefined;
  } catch {
    return undefined;
  }
}

let self: Holder | undefined;
function currentHolder(): Holder {
  self ??= {
    host: os.hostname(),
    pid: process.pid,
    start: processStartTicks(process.pid),
    boot: readTrimmed('/proc/sys/kernel/random/boot_id'),
    pidns: readTrimmed('/proc/self/ns/pid', readlinkSync)?.replace(/\D/g, ''),
    machine: readTrimmed('/etc/machine-id'),
  };
  return self;
}

/** `host pid nonce start=… boot=… pidns=… machine=…`; older keyports wrote the first three fields only. */
function holderToken(): string {
  const h = currentHolder();
  const extra = (['start', 'boot', 'pidns', 'machine'] as const).flatMap((k) => (h[k] ? [`${k}=${h[k]}`] : []));
  return [h.host, String(h.pid), randomBytes(8).toString('hex'), ...extra].join(' ');
}

function parseHolder(content: string): Holder | undefined {
  const [host, pidText, , ...extra] = content.trim().split(' ');
  const pid = Number(pidText);
  if (!host || !pidText || !Number.isInteger(pid) || pid <= 0) return undefined;
  const holder: Holder = { host, pid };
  for (const field of extra) {
    const eq = field.indexOf('=');
    const key = field.slice(0, eq);
    if (key === 'start' || key === 'boot' || key === 'pidns' || key === 'machine') holder[key] = field.slice(eq + 1);
  }
  return holder;
}

/** Start of a process in epoch milliseconds (boot time plus its start ticks), for locks that did not record it. */
function processStartedAtMs(pid: number): number | undefined {
  const ticks = Number(processStartTicks(pid));
  const btime = readTrimmed('/proc/stat')?.match(/^btime (\d+)$/m)?.[1];
  if (!Number.isFinite(ticks) || !btime) return undefined;
  return Number(btime) * 1000 + (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}

type Verdict = 'stale' | 'held' | 'foreign';

/**
 * Is the holder recorded in a lock (or `.break`) file gone? A pid is only meaningful on the
 * same boot of the same machine in the same PID namespace; there it is gone when the process
 * is dead or another process now has its pid (its start time differs). A lock from an earlier
 * boot of this machine is stale. A lock from another machine is never judged: it is 'foreign'.
 */
function judge(holder: Holder, lockMtimeMs: number): Verdict {
  const me = currentHolder();
  if (holder.boot && me.boot && holder.boot === me.boot && holder.pidns === me.pidns) {
    if (!isAlive(holder.pid)) return 'stale';
    if (holder.start && me.start) return processStartTicks(holder.pid) === holder.start ? 'held' : 'stale';
    return 'held';
  }
  const sameMachine = holder.machine && me.machine ? holder.machine === me.machine : holder.host === me.host;
  if (!sameMachine) return 'foreign';
  if (holder.boot && me.boot) {
    // Same machine, other boot: the holder died with that boot. (Same boot, other PID
    // namespace: another container on this kernel, whose pids mean nothing here.)
    return holder.boot !== me.boot ? 'stale' : 'foreign';
  }
  // A lock from an older keyport (host and pid only).
  if (!isAlive(holder.pid)) return 'stale';
  // The pid is alive, but if that process started after the lock was written, the pid was reused.
  const startedAt = processStartedAtMs(holder.pid);
  return startedAt !== undefined && startedAt > lockMtimeMs + 1_000 ? 'stale' : 'held';
}

/**
 * An exclusive lock that holds across processes and within one process.
 *
 * The lock file is created in one step and names its holder (host, pid, nonce, process start
 * time, boot id, PID namespace, machine id). A holder that died (SIGKILL, power loss) leaves
 * the file behind; a waiter breaks it once the holder is provably gone (dead, pid reused,
 * earlier boot), and only while holding a short-lived `.break` file so two waiters cannot both
 * break it and then delete each other's fresh lock. A lock from another machine is never
 * broken: the message names the file and how to remove it after checking.
 */
export class FileLock {
  private queue: Promise<void> = Promise.resolve();
  private readonly breakPath: string;

  constructor(private readonly lockPath: string) {
    this.breakPath = `${lockPath}.break`;
  }

  /** Runs `fn` while holding the lock; the lock is released whatever happens. */
  async withLock<T>(fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
    // In-process callers queue up first, so only one of them contends for the file.
    const previous = this.queue;
    let release!: () => void;
    this.queue = new Promise<void>((r) => (release = r));
    await previous;
    try {
      const token = await this.acquire(options);
      try {
        return await fn();
      } finally {
        await this.releaseFile(token);
      }
    } finally {
      release();
    }
  }

  private async acquire(options: LockOptions): Promise<string> {
    const token = holderToken();
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    let delay = 5;
    for (;;) {
      options.signal?.throwIfAborted();
      if (await this.tryCreate(this.lockPath, token)) return token;
      await this.refuseNonFile();
      await this.breakIfStale();
      if (Date.now() > deadline) throw await this.lockedError();
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 100);
    }
  }

  /** A directory or FIFO at the lock path is never released by anyone: waiting for it would only end in a misleading "held" error. */
  private async refuseNonFile(): Promise<void> {
    const st = await fs.lstat(this.lockPath).catch(() => undefined);
    if (!st || st.isFile()) return;
    const kind = st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : st.isSymbolicLink() ? 'a symlink' : st.isSocket() ? 'a socket' : 'a device';
    throw new KeyringError(ErrorCodes.StorageFailed, `the lock ${this.lockPath} is ${kind}, not a lock file`, {
      nextStep: `remove it (${st.isDirectory() ? `rmdir '${this.lockPath}'` : `rm '${this.lockPath}'`}), then run the command again`,
    });
  }

  private async lockedError(): Promise<KeyringError> {
    const content = await fs.readFile(this.lockPath, 'utf8').catch(() => undefined);
    const holder = content === undefined ? undefined : parseHolder(content);
    if (holder && judge(holder, Date.now()) === 'foreign') {
      return new KeyringError(ErrorCodes.KeyringLocked, `the lock ${this.lockPath} is held by keyport pid ${holder.pid} on another machine (${holder.host})`, {
        retryable: true,
        nextStep: `if no keyport runs on ${holder.host} any more, remove the lock: rm '${this.lockPath}'`,
      });
    }
    const who = holder ? `keyport pid ${holder.pid} on ${holder.host}` : 'another keyport';
    return new KeyringError(ErrorCodes.KeyringLocked, `the lock ${this.lockPath} is held by ${who}`, {
      retryable: true,
      nextStep: 'wait for the other keyport to finish, then try again',
    });
  }

  /**
   * Creates `file` with its content in one step: the token goes to a private file first, which
   * is then hard-linked to `file` (fails if it exists). A holder killed at any moment leaves
   * either no file or one that names it, never an empty one. File systems without hard links
   * fall back to O_EXCL create-then-write.
   */
  private async tryCreate(file: string, token: string): Promise<boolean> {
    const staging = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await fs.writeFile(staging, token, { flag: 'wx', mode: 0o600 });
      try {
        await fs.link(staging, file);
        return true;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') return false;
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw e;
      }
    } catch (e) {
      throw storageError(e, file);
    } finally {
      await fs.rm(staging, { force: true });
    }
    try {
      await fs.writeFile(file, token, { flag: 'wx', mode: 0o600 });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw storageError(e, file);
      return false;
    }
  }

  /** Is the holder named in `file` gone? A file naming nobody is stale once it is clearly not being written. */
  private async isStale(file: string, content: string): Promise<boolean> {
    const mtimeMs = await fs.stat(file).then((st) => st.mtimeMs, () => undefined);
    if (mtimeMs === undefined) return false;
    const holder = parseHolder(content);
    if (!holder) return Date.now() - mtimeMs >= UNNAMED_LOCK_GRACE_MS;
    return judge(holder, mtimeMs) === 'stale';
  }

  private async breakIfStale(): Promise<void> {
    const content = await fs.readFile(this.lockPath, 'utf8').catch(() => undefined);
    if (content === undefined || !(await this.isStale(this.lockPath, content))) return;
    if (!(await this.tryCreate(this.breakPath, holderToken()))) {
      await this.clearStaleBreaker();
      return;
    }
    try {
      const again = await fs.readFile(this.lockPath, 'utf8').catch(() => undefined);
      if (again === content) await fs.rm(this.lockPath, { force: true });
    } finally {
      await fs.rm(this.breakPath, { force: true });
    }
  }

  /** A breaker killed while holding `.break` (or one that left it empty) must not stop every later breaker. */
  private async clearStaleBreaker(): Promise<void> {
    const content = await fs.readFile(this.breakPath, 'utf8').catch(() => undefined);
    if (content !== undefined && (await this.isStale(this.breakPath, content))) {
      const again = await fs.readFile(this.breakPath, 'utf8').catch(() => undefined);
      if (again === content) await fs.rm(this.breakPath, { force: true });
    }
  }

  private async releaseFile(token: string): Promise<void> {
    const content = await fs.readFile(this.lockPath, 'utf8').catch(() => undefined);
    if (content === token) await fs.rm(this.lockPath, { force: true });
  }
}
