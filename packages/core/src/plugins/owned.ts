import { ErrorCodes, ModuleError } from '../errors.js';
import type { Disposable } from './api.js';

/** One contribution and the plugin that made it. */
export interface Owned<T> {
  item: T;
  pluginId: string;
}

/** Contributions in registration order, each with its plugin; disposing one removes it. */
export class OwnedList<T> {
  private readonly entries: Owned<T>[] = [];

  add(item: T, pluginId: string): Disposable {
    const entry = { item, pluginId };
    this.entries.push(entry);
    return {
      dispose: () => {
        const at = this.entries.indexOf(entry);
        if (at >= 0) this.entries.splice(at, 1);
      },
    };
  }

  /** Every contribution with its owner, in registration order. */
  owned(): readonly Owned<T>[] {
    return [...this.entries];
  }

  items(): T[] {
    return this.entries.map((e) => e.item);
  }

  get size(): number {
    return this.entries.length;
  }
}

/** Like {@link OwnedList}, for contributions with a unique `id`: a second one with an id is refused. */
export class IdRegistry<T extends { id: string }> extends OwnedList<T> {
  /** `kind` names the contributions in the duplicate error ("protocol engine", "key source"). */
  constructor(private readonly kind: string) {
    super();
  }

  register(item: T, pluginId: string): Disposable {
    const clash = this.owned().find((e) => e.item.id === item.id);
    if (clash) throw new ModuleError(ErrorCodes.ModuleDuplicate, `${this.kind} "${item.id}" is already registered by ${clash.pluginId}`, { pluginId });
    return this.add(item, pluginId);
  }

  get(id: string): T | undefined {
    return this.items().find((i) => i.id === id);
  }
}

/** Calls into a plugin; a contribution that throws counts as `fallback` instead of breaking the caller. */
export function guarded<R>(call: () => R, fallback: R): R {
  try {
    return call();
  } catch {
    return fallback;
  }
}
