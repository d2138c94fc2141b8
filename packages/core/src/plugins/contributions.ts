import type { KeyRecord } from '../keyring/types.js';
import type { KeyQuery } from '../keyring/query.js';
import type { RoutedOperation } from '../keyservers/routing.js';
import type { ConfirmationContribution, Disposable, KeyDetailRow, KeySource, StatusItem } from './api.js';
import { IdRegistry, OwnedList, guarded } from './owned.js';

/** Key sources contributed by enabled plugins (see {@link KeySource}). */
export class KeySourceRegistry {
  private readonly sources = new IdRegistry<KeySource>('key source');

  register(source: KeySource, pluginId: string): Disposable {
    return this.sources.register(source, pluginId);
  }

  all(): KeySource[] {
    return this.sources.items();
  }

  get(id: string): KeySource | undefined {
    return this.sources.get(id);
  }

  /** Sources that answer `query`; a source whose `handles` throws is skipped. */
  for(query: KeyQuery): KeySource[] {
    return this.all().filter((s) => guarded(() => s.handles(query), false));
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
    return this.details.owned().flatMap(({ item, pluginId }) => guarded(() => item(key).map((row) => ({ ...row, pluginId })), []));
  }

  /** Status items with a value right now. */
  statusItems(): { id: string; label: string; value: string; pluginId: string }[] {
    return this.status.owned().flatMap(({ item, pluginId }) => {
      const value = guarded(() => item.value(), undefined);
      return value === undefined ? [] : [{ id: item.id, label: item.label, value, pluginId }];
    });
  }

  /** Warnings to confirm before `operation` goes to `target`. */
  confirmationsFor(operation: RoutedOperation, target: { server: string; engineId: string }): { id: string; message: string; pluginId: string }[] {
    return this.confirmations.owned().flatMap(({ item, pluginId }) => {
      const message = item.operation === operation ? guarded(() => item.message(target), undefined) : undefined;
      return message ? [{ id: item.id, message, pluginId }] : [];
    });
  }
}
