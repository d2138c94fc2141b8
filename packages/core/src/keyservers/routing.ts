import type { Disposable } from '../plugins/api.js';
import { OwnedList } from '../plugins/owned.js';

/** Operations whose server is chosen by policy rather than by the user's default. */
export type RoutedOperation = 'publish' | 'sync' | 'status';

/** Where a routed operation goes: a server and the engine that must speak to it. */
export interface RouteTarget {
  server: URL;
  engineId: string;
  /** Shown to the user: why this server. */
  reason: string;
}

/**
 * A routing policy contributed by a plugin ("publish, sync and publish status go to the
 * verifying server at my URL"). The first policy that answers wins; without one, core uses the
 * default key server through whichever engine supports it.
 */
export interface RoutingPolicy {
  id: string;
  route(operation: RoutedOperation): RouteTarget | undefined;
}

/** Routing policies contributed by enabled plugins; the first that answers wins. */
export class RoutingRegistry {
  private readonly policies = new OwnedList<RoutingPolicy>();

  register(policy: RoutingPolicy, pluginId: string): Disposable {
    return this.policies.add(policy, pluginId);
  }

  route(operation: RoutedOperation): (RouteTarget & { pluginId: string }) | undefined {
    for (const { item: policy, pluginId } of this.policies.owned()) {
      const target = policy.route(operation);
      if (target) return { ...target, pluginId };
    }
    return undefined;
  }

  get size(): number {
    return this.policies.size;
  }
}

/** How a server is named in output and stored records: scheme, host, path, no trailing slash. */
export function serverHref(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * Protocols the loaded modules declare (enabled or not), by engine id, with the module that
 * provides each: what a message names when a server's protocol belongs to a disabled module.
 */
export type KnownProtocols = Readonly<Record<string, { label: string; moduleId: string }>>;

/** The protocol a URL's scheme names (`hkp://`, `hkps://` are HKP); http(s) names none. */
export function protocolFromScheme(url: URL): string | undefined {
  return url.protocol === 'hkp:' || url.protocol === 'hkps:' ? 'hkp' : undefined;
}
