import { ErrorCodes, ModuleError } from '../errors.js';
import type { KeyRecord } from '../keyring/types.js';
import type { KeyQuery } from '../keyring/query.js';
import type { RoutedOperation } from '../keyservers/routing.js';
import type { ConfirmationContribution, Disposable, KeyDetailRow, KeySource, StatusItem } from './api.js';

/** Registered items with the plugin that owns each; disposing an item removes it. */
class OwnedList<T> {
  private readonly items: { item: T; pluginId: string }[] = [];

  add(item: T, pluginId: string): Disposable {
    const entry = { item, pluginId };
    this.items.push(entry);
    return { dispose: () => void (this.items.includes(entry) && this.items.splice(this.items.indexOf(entry), 1)) };
  }

  all(): { item: T; pluginId: string }[] {
    return [...this.items];
  }
}

/** Key sources contributed by enabled plugins (see {@link KeySource}). */
export class KeySourceRegistry {
  private readonly list = new OwnedList<KeySource>();

  register(source: KeySource, pluginId: string): Disposable {
    const clash = this.list.all().find((e) => e.item.id === source.id);
    if (clash) throw new ModuleError(ErrorCodes.ModuleDuplicate, `key source "${source.id}" is already registered by ${clash.pluginId}`, { pluginId });
    return this.list.add(source, pluginId);
  }

  all(): KeySource[] {
    return this.list.all().map((e) => e.item);
  }

  get(id: string): KeySource | undefined {
    return this.all().find((s) => s.id === id);
  }

  /** Sources that answer `query`; a source whose `handles` throws is skipped. */
  for(query: KeyQuery): KeySource[] {
    return this.all().filter((s) => {
      try {
        return s.handles(query);
      } catch {
        return false;
      }
    });
  }
}

/** UI contributions as data: the CLI and the TUI render them, plugins never draw. */
export class UiContributions {
  private readonly details = new OwnedList<(key: KeyRecord) => KeyDetailRow[]>();
  private readonly status = new OwnedList<StatusItem>();
  private readonly confirmations = new OwnedList<ConfirmationContribution>();

  addKeyDetails(provider: (key: KeyRecord) => KeyDetailRow[], pluginId: string): Disposable {
    return this.details.add(provider, pluginId);
  }

  addStatusItem(item: StatusItem, pluginId: string): Disposable {
    return this.status.add(item, pluginId);
  }

  addConfirmation(confirmation: ConfirmationContribution, pluginId: string): Disposable {
    return this.confirmations.add(confirmation, pluginId);
  }

  /** Every plugin's rows for `key`; a provider that throws contributes nothing. */
  keyDetails(key: KeyRecord): (KeyDetailRow & { pluginId: string })[] {
    return this.details.all().flatMap(({ item, pluginId }) => {
      try {
        return item(key).map((row) => ({ ...row, pluginId }));
      } catch {
        return [];
      }
    });
  }

  /** Status items with a value right now. */
  statusItems(): { id: string; label: string; value: string; pluginId: string }[] {
    return this.status.all().flatMap(({ item, pluginId }) => {
      try {
        const value = item.value();
        return value === undefined ? [] : [{ id: item.id, label: item.label, value, pluginId }];
      } catch {
        return [];
      }
    });
  }

  /** Warnings to confirm before `operation` goes to `target`. */
  confirmationsFor(operation: RoutedOperation, target: { server: string; engineId: string }): { id: string; message: string; pluginId: string }[] {
    return this.confirmations.all().flatMap(({ item, pluginId }) => {
      if (item.operation !== operation) return [];
      try {
        const message = item.message(target);
        return message ? [{ id: item.id, message, pluginId }] : [];
      } catch {
        return [];
      }
    });
  }
}
