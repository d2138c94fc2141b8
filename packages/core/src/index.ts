/**
 * `@keyport/core`: the public entry point. Plugins and the CLI import only from here.
 * @packageDocumentation
 */
import 'reflect-metadata';

export * from './errors.js';
export * from './events.js';
export * from './settings.js';
export { describeSetting } from './settings-validate.js';
export { serverEndpoint } from './keyservers/endpoint.js';
export * from './paths.js';
export * from './runtime.js';
export { Tokens, createToken, resolve, type Token } from './di/tokens.js';
export { HttpTransport, retryDelay, proxyFor, timedProbe, type HttpExchange, type HttpRequest, type HttpResponse, type HttpTransportOptions } from './http/transport.js';
export { DEFAULT_TOR_PROXY, type ProxyOptions } from './http/proxy.js';
export { HostLimiter } from './http/limiter.js';
export { readFileBounded, readStreamBounded, type BoundedReadOptions } from './fs/bounded-read.js';
export { EmbeddedKeyring, isStub, type IncomingCertificate, type RebuildReport } from './keyring/embedded.js';
export * from './keyring/types.js';
export { findKeys, resolveKey } from './keystore/resolve.js';
export { recordOfEntry, storeImporter, type PipelineKeyring } from './keystore/keyring-view.js';
export type { KeyStore, KeyStoreEntry, KeyStoreChange, KeyStoreImportOptions, KeyStoreImportSource, KeyStoreMetadata, KeySecretState, KeySecretStates } from './keystore/contract.js';
export { classifyKeyQuery, type KeyQuery } from './keyring/query.js';
export { ImportPipeline, matchesRequest, summarizeResults, DEFAULT_MAX_IMPORT_BYTES, type ImportOptions, type ImportOrigin } from './import/pipeline.js';
export { armorPublicKey, dearmorAll, crc24, type DearmorOptions } from './openpgp/armor.js';
export { readPackets, writePackets, inspectSignature, PacketTag, SigType, type RawPacket, type SignatureInfo } from './openpgp/packets.js';
export { DEFAULT_MAX_CERTIFICATIONS_PER_USER_ID, DEFAULT_MAX_RAW_RESPONSE_BYTES, type FloodingReport } from './openpgp/flood.js';
export { keyMaterial, splitCertificates, serializeCertificate, type CertificateParts, type MergeCounts } from './openpgp/certificate.js';
export { escapeForTerminal } from './text/escape.js';
export { summarize, userIdForDisplay, emailOf, userIdsWithEmail, algorithmName, type KeySummary, type UserIdSummary, type SubkeySummary, type KeyUsage, type RevocationInfo } from './openpgp/summary.js';
export * from './plugins/api.js';
export { KeySourceRegistry, UiContributions } from './plugins/contributions.js';
export {
  loadPluginModule,
  pluginLocation,
  isPathSpecifier,
  provisionalId,
  provideCoreToPlugins,
  pluginDigest,
  recordPlugin,
  loadRecordedPlugin,
  loadThirdPartyPlugins,
  type PluginRecord,
} from './plugins/loader.js';
export { KeyServerActions, type ServerEntry, type ServerImportResult, type KeySourceRecord } from './keyservers/actions.js';
export { checkServerCopies, serversToCheck, type KeyServerCopies, type ServerCopyReport, type ServerCopiesDeps } from './keyservers/server-copies.js';
export { Publishing, type PublishReport, type PublishRecord, type StatusRecord, type SyncReport, type SyncResult, type SyncStatus, type SyncAnswerDigests } from './keyservers/publishing.js';
export { RoutingRegistry, type RoutingPolicy, type RouteTarget, type RoutedOperation } from './keyservers/routing.js';
export { ModuleRegistry, EngineRegistry, type ModuleInfo, type ModuleState } from './plugins/registry.js';
/** zod, re-exported so plugins declare settings schemas with the same instance core validates with. */
export { z } from 'zod';
export {
  compareServerCopy,
  type ServerCopyState,
  type ServerCopyFreshness,
  type ServerCopyMissing,
  type ServerCopyOptions,
  type MissingSignature,
} from './openpgp/freshness.js';
export { minimalCertificate } from './openpgp/minimal.js';
export { matchesListPattern, parseListPattern, type ListPattern } from './openpgp/list-pattern.js';
export { publicCertificateComplete, type CertificateCompleteness, type IncompleteComponent } from './openpgp/publishable.js';
