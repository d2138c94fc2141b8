import type { DependencyContainer, InjectionToken } from 'tsyringe';
import type { EventBus } from '../events.js';
import type { HttpTransport } from '../http/transport.js';
import type { ImportPipeline } from '../import/pipeline.js';
import type { EmbeddedKeyring } from '../keyring/embedded.js';
import type { KeyStore } from '../keystore/contract.js';
import type { KeyportPaths } from '../paths.js';
import type { KeyServerActions } from '../keyservers/actions.js';
import type { Publishing } from '../keyservers/publishing.js';
import type { EngineRegistry, ModuleRegistry } from '../plugins/registry.js';
import type { Settings } from '../settings.js';

/**
 * A symbol token that carries its service type. Interfaces have no runtime identity, so every
 * service is registered and resolved through one of these.
 */
export type Token<T> = symbol & { readonly __service?: T };

/** Makes a typed injection token for a service of type T (plugins may register their own in the container). */
export function createToken<T>(name: string): Token<T> {
  return Symbol(`keyport.${name}`) as Token<T>;
}

/** Resolves a service from a container by its typed token. */
export function resolve<T>(container: DependencyContainer, token: Token<T>): T {
  return container.resolve<T>(token as unknown as InjectionToken<T>);
}

/** Typed injection tokens of the core services (interfaces have no runtime type, so each service is registered and resolved by one of these). */
export const Tokens = {
  Paths: createToken<KeyportPaths>('paths'),
  Bus: createToken<EventBus>('bus'),
  Settings: createToken<Settings>('settings'),
  Keyring: createToken<EmbeddedKeyring>('keyring'),
  /** The key store of this run (the embedded keyring unless a store plugin is chosen); consumers depend on this, not on the keyring. */
  KeyStore: createToken<KeyStore>('keystore'),
  Http: createToken<HttpTransport>('http'),
  Importer: createToken<ImportPipeline>('importer'),
  Engines: createToken<EngineRegistry>('engines'),
  Modules: createToken<ModuleRegistry>('modules'),
  KeyServers: createToken<KeyServerActions>('keyservers'),
  Publishing: createToken<Publishing>('publishing'),
} as const;
