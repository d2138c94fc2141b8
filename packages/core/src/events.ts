import { EventEmitter } from 'eventemitter3';
import type { KeyportError } from './errors.js';

/** Progress of a long operation; `total` is null when unknown. */
export interface ProgressEvent {
  operation: string;
  done: number;
  total: number | null;
  detail?: string;
  /** Results so far by status, for operations that have them (sync: updated, unchanged, …). */
  counts?: Record<string, number>;
}

/** A message for the user (status line, toast, stderr), with the error when there is one. */
export interface FeedbackEvent {
  severity: 'info' | 'warning' | 'error';
  message: string;
  error?: KeyportError;
  pluginId?: string;
}

/** A module was enabled, disabled, or failed. */
export interface ModuleStateEvent {
  id: string;
  state: 'enabled' | 'disabled' | 'failed';
  error?: KeyportError;
}

/**
 * Every event keyport emits, as `name: [payload]`. Plugins add their own by declaration merging:
 *
 * ```ts
 * declare module '@keyport/core' {
 *   interface CoreEvents { 'myplugin:done': [{ count: number }] }
 * }
 * ```
 */
export interface CoreEvents {
  progress: [ProgressEvent];
  feedback: [FeedbackEvent];
  'module:state': [ModuleStateEvent];
  'keyring:changed': [{ fingerprints: string[] }];
  'settings:changed': [{ key: string }];
}

/** Names of the events on the bus. */
export type EventName = keyof CoreEvents & string;
/** The payload of event `K`, as an argument list. */
export type EventArgs<K extends EventName> = CoreEvents[K] extends unknown[] ? CoreEvents[K] : never;

const BACKLOG_LIMIT = 10_000;

/**
 * The typed bus. Events emitted before anyone listens (core runs before the TUI or the headless
 * printer attaches) wait in a bounded backlog and are delivered, in order, to the first
 * subscriber of each event name.
 */
export class EventBus {
  private readonly emitter = new EventEmitter();
  private backlog: { name: EventName; args: unknown[] }[] = [];

  emit<K extends EventName>(name: K, ...args: EventArgs<K>): void {
    if (this.emitter.listenerCount(name) === 0) {
      if (this.backlog.length >= BACKLOG_LIMIT) this.backlog.shift();
      this.backlog.push({ name, args });
      return;
    }
    this.emitter.emit(name, ...args);
  }

  /** Subscribes and returns a disposer. Backlogged events of this name are replayed first. */
  on<K extends EventName>(name: K, listener: (...args: EventArgs<K>) => void): { dispose(): void } {
    this.emitter.on(name, listener as (...a: unknown[]) => void);
    const pending = this.backlog.filter((e) => e.name === name);
    if (pending.length > 0) {
      this.backlog = this.backlog.filter((e) => e.name !== name);
      for (const e of pending) (listener as (...a: unknown[]) => void)(...e.args);
    }
    return { dispose: () => this.emitter.off(name, listener as (...a: unknown[]) => void) };
  }

  /** Number of listeners on an event, or on all events when no name is given. */
  listenerCount(name?: EventName): number {
    if (name) return this.emitter.listenerCount(name);
    return this.emitter.eventNames().reduce((n, e) => n + this.emitter.listenerCount(e), 0);
  }

  /** Intent method: progress of a long operation. */
  progress(event: ProgressEvent): void {
    this.emit('progress', event);
  }

  /** Intent method: something the user should see. */
  feedback(event: FeedbackEvent): void {
    this.emit('feedback', event);
  }
}
