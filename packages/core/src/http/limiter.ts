import { CancelledError } from '../errors.js';

interface HostState {
  limit: number;
  active: number;
  successes: number;
  waiters: (() => void)[];
}

/**
 * Bounded concurrency per host with additive increase, multiplicative decrease: a 429 halves the
 * host's limit (down to 1); every `limit` successes in a row raise it by one, up to the ceiling.
 */
export class HostLimiter {
  private readonly hosts = new Map<string, HostState>();

  constructor(private readonly ceiling: number) {}

  limitFor(host: string): number {
    return this.state(host).limit;
  }

  private state(host: string): HostState {
    let s = this.hosts.get(host);
    if (!s) {
      s = { limit: this.ceiling, active: 0, successes: 0, waiters: [] };
      this.hosts.set(host, s);
    }
    return s;
  }

  async run<T>(host: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const s = this.state(host);
    while (s.active >= s.limit) {
      await new Promise<void>((resolve, reject) => {
        const wake = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          s.waiters = s.waiters.filter((w) => w !== wake);
          reject(new CancelledError());
        };
        if (signal?.aborted) return reject(new CancelledError());
        signal?.addEventListener('abort', onAbort, { once: true });
        s.waiters.push(wake);
      });
    }
    s.active++;
    try {
      return await fn();
    } finally {
      s.active--;
      s.waiters.shift()?.();
    }
  }

  backOff(host: string): void {
    const s = this.state(host);
    s.limit = Math.max(1, Math.floor(s.limit / 2));
    s.successes = 0;
  }

  success(host: string): void {
    const s = this.state(host);
    if (s.limit >= this.ceiling) return;
    if (++s.successes >= s.limit) {
      s.limit++;
      s.successes = 0;
      s.waiters.shift()?.();
    }
  }
}
