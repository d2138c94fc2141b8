import { inject, injectable } from 'tsyringe';
import { Tokens } from '../di/tokens.js';
import type { Settings } from '../settings.js';
import { ErrorCodes, InputError, NetworkError } from '../errors.js';
import type { EmbeddedKeyring, IncomingCertificate, IncomingRevocation } from '../keyring/embedded.js';
import type { ImportReport, ImportResult } from '../keyring/types.js';
import { classifyKeyQuery } from '../keyring/query.js';
import { dearmorAll, looksArmored } from '../openpgp/armor.js';
import { keyMaterial, splitCertificates, toPublicParts, UnsupportedKeyError, type CertificateParts } from '../openpgp/certificate.js';
import {
  certificateSize,
  DEFAULT_MAX_CERTIFICATIONS_PER_USER_ID,
  dropThirdPartySignatures,
  limitFloodedUserIds,
  readPacketsDroppingThirdParty,
  type FloodingReport,
} from '../openpgp/flood.js';
import { inspectSignature, readPacketsLenient, SigType } from '../openpgp/packets.js';
import { userIdsWithEmail } from '../openpgp/summary.js';

/** Where the bytes came from. Server data is untrusted: no secrets, only what was asked for. */
export type ImportOrigin = { kind: 'file'; name: string } | { kind: 'server'; url: string; query: string };

/** Where an input came from and how to screen it. */
export interface ImportOptions {
  origin: ImportOrigin;
  /** Drop third-party certifications. Default: true for servers, false for local files. */
  stripThirdParty?: boolean;
  /** Refuse inputs larger than this, before parsing them (for servers: `network.maxRawResponseBytes`). */
  maxBytes?: number;
  /**
   * Refuse an input whose certificates, once screened (third-party signatures dropped), are
   * larger than this (for servers: `network.maxResponseBytes`). No limit when absent.
   */
  maxKeptBytes?: number;
  /**
   * A user ID with more third-party certifications than this keeps only those whose issuers are
   * in the keyring (certificate-flooding defence for files; default: the setting
   * `import.maxCertificationsPerUserId`).
   */
  maxCertificationsPerUserId?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** Largest file or stdin input accepted by default (setting import.maxBytes). */
export const DEFAULT_MAX_IMPORT_BYTES = 256 * 1024 * 1024;

const EMPTY = { userIds: 0, subkeys: 0, signatures: 0, revocations: 0 };

/**
 * The single import path for every source (file, stdin, key server): size cap, dearmor, parse,
 * refuse secret material from servers, keep only what matches the request, strip third-party
 * certifications from servers, merge (verifying only what is new), report per certificate.
 */
@injectable()
export class ImportPipeline {
  constructor(
    @inject(Tokens.Keyring as symbol) private readonly keyring: EmbeddedKeyring,
    @inject(Tokens.Settings as symbol) private readonly settings?: Settings,
  ) {}

  async import(bytes: Uint8Array, options: ImportOptions): Promise<ImportReport> {
    const [report] = await this.importMany([{ bytes, options }], { signal: options.signal, onProgress: options.onProgress });
    return report!;
  }

  /**
   * Screens several inputs, each against its own origin and request, and merges everything
   * accepted in one keyring batch (one lock, one journal, one index write). Input errors
   * (malformed, too large, empty) are thrown before anything is written.
   */
  async importMany(
    inputs: { bytes: Uint8Array; options: Omit<ImportOptions, 'signal' | 'onProgress'> }[],
    control: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
  ): Promise<ImportReport[]> {
    // Issuers a flooded user ID may keep certifications from: the keys already held.
    const known = inputs.some(({ options }) => !(options.stripThirdParty ?? options.origin.kind === 'server')) ? await this.knownIssuers() : undefined;
    const screened = inputs.map(({ bytes, options }) => this.screen(bytes, options, known));
    const accepted = screened.flatMap((s) => s.accepted);
    const revocations = screened.flatMap((s) => s.revocations);
    const merged = await this.keyring.importCertificates(accepted, revocations, control);
    let a = 0;
    let r = 0;
    return screened.map((s) => {
      const results = [...s.results];
      for (const [k, slot] of s.slots.entries()) {
        const result = merged.results[a++];
        const flooding = s.flooding[k];
        results[slot] = result && flooding && result.status !== 'rejected' ? { ...result, flooding } : result;
      }
      for (const slot of s.revSlots) results[slot] = merged.revocationResults[r++];
      // Anything left undefined was cut off by cancellation.
      const final = results.filter((x): x is ImportResult => x !== undefined);
      return { results: final, summary: summarizeResults(final) };
    });
  }

  /** Key IDs and fingerprints (primary and subkeys) of every key in the keyring. */
  private async knownIssuers(): Promise<Set<string>> {
    const ids = new Set<string>();
    for (const r of await this.keyring.list()) {
      for (const k of [r.summary, ...r.summary.subkeys]) {
        ids.add(k.fingerprint);
        ids.add(k.keyId);
      }
    }
    return ids;
  }

  private screen(bytes: Uint8Array, options: Omit<ImportOptions, 'signal' | 'onProgress'>, knownIssuers: Set<string> = new Set()) {
    const max = options.maxBytes ?? DEFAULT_MAX_IMPORT_BYTES;
    if (bytes.length > max) {
      throw new InputError(ErrorCodes.InputTooLarge, `input is ${bytes.length} bytes, over the ${max}-byte limit`, {
        nextStep: 'split the input, or raise the limit with `keyport config set import.maxBytes N`',
      });
    }
    const binary = decode(bytes);
    const fromServer = options.origin.kind === 'server';
    const strip = options.stripThirdParty ?? fromServer;
    // Third-party signatures are dropped while the stream is framed: a flooded answer never
    // becomes one object per signature.
    const framed = strip ? readPacketsDroppingThirdParty(binary) : { ...readPacketsLenient(binary), dropped: 0 };
    if (framed.error) {
      throw new InputError(ErrorCodes.InputMalformed, `the OpenPGP data is damaged: ${framed.error.message} at byte ${framed.error.offset}`, {
        nextStep: 'get a fresh copy of the key; nothing was imported',
      });
    }
    const split = splitCertificates(framed.packets);
    if (split.certificates.length === 0 && split.leadingSignatures.length === 0) {
      throw new InputError(ErrorCodes.InputEmpty, 'the input holds no OpenPGP certificate', {
        nextStep: 'check that this is a public key (armored or binary)',
      });
    }
    const request = options.origin.kind === 'server' ? classifyKeyQuery(options.origin.query) : undefined;

    const floodLimit =
      options.maxCertificationsPerUserId ?? this.settings?.get<number>('import.maxCertificationsPerUserId') ?? DEFAULT_MAX_CERTIFICATIONS_PER_USER_ID;

    const results: (ImportResult | undefined)[] = [];
    const accepted: IncomingCertificate[] = [];
    const slots: number[] = [];
    /** Aligned with `slots`: what flooding defence dropped from each accepted certificate. */
    const flooding: (FloodingReport | undefined)[] = [];
    let keptBytes = 0;
    let thirdPartyDropped = framed.dropped;
    for (const cert of split.certificates) {
      let fpr: string | null = null;
      try {
        fpr = keyMaterial(cert.parts.primary).fingerprint;
        const hasSecret = cert.parts.primary.tag === 5 || cert.parts.subkeys.some((s) => s.packet.tag === 7);
        if (fromServer && hasSecret) {
          results.push(rejected(fpr, 'the server sent secret key material; it was refused and not stored'));
          continue;
        }
        const { publicParts, secretPackets } = toPublicParts(cert.parts);
        if (request) {
          const mismatch = matchesRequest(publicParts, request);
          if (mismatch) {
            results.push(rejected(fpr, mismatch));
            continue;
          }
        }
        // Flooding: servers' third-party signatures go before anything is verified or merged;
        // files keep them, except on a flooded user ID, where only known signers' stay.
        let parts = publicParts;
        let floodReport: FloodingReport | undefined;
        if (strip) {
          const screened = dropThirdPartySignatures(parts);
          parts = screened.parts;
          thirdPartyDropped += screened.dropped;
        } else {
          const limited = limitFloodedUserIds(parts, floodLimit, knownIssuers);
          parts = limited.parts;
          floodReport = limited.flooding;
        }
        keptBytes += certificateSize(parts);
        slots.push(results.length);
        results.push(undefined);
        flooding.push(floodReport);
        accepted.push({ parts, secretPackets: fromServer ? [] : secretPackets, stripThirdParty: strip });
      } catch (e) {
        const reason = e instanceof UnsupportedKeyError ? e.message : `unreadable certificate: ${(e as Error).message}`;
        results.push(rejected(fpr, reason));
      }
    }

    if (options.maxKeptBytes !== undefined && keptBytes > options.maxKeptBytes) {
      const where = options.origin.kind === 'server' ? new URL(options.origin.url).host : options.origin.name;
      throw new NetworkError(
        ErrorCodes.ResponseTooLarge,
        `${where} sent ${keptBytes} bytes of certificates after ${thirdPartyDropped} third-party signatures were dropped, over the ${options.maxKeptBytes}-byte limit; nothing was imported`,
        { nextStep: 'raise network.maxResponseBytes if this server is trusted to send that much' },
      );
    }

    // Signature-only blocks: key revocations for keys we hold (revocation certificates,
    // Hockeypuck's hard-revoked keys). Anything else cannot be attached to a key.
    const revocations: IncomingRevocation[] = [];
    const revSlots: number[] = [];
    for (const sig of split.leadingSignatures) {
      const info = inspectSignature(sig.body);
      if (!info || info.type !== SigType.KeyRevocation) {
        results.push(rejected(null, 'a signature without a key (only key revocations can be imported on their own)'));
        continue;
      }
      if (request && request.kind !== 'email' && !issuerMatches(info, request)) {
        results.push(rejected(info.issuerFingerprint ?? null, 'the revocation is for a different key than the one requested'));
        continue;
      }
      revSlots.push(results.length);
      results.push(undefined);
      revocations.push({ signature: sig, issuerKeyId: info.issuerKeyId, issuerFingerprint: info.issuerFingerprint });
    }
    return { results, accepted, slots, flooding, revocations, revSlots };
  }
}

/** Import options for an answer from `server` to `query`: untrusted origin, the user's server limits. */
export function serverImportOptions(settings: Settings, server: URL, query: string): Omit<ImportOptions, 'signal' | 'onProgress'> {
  return {
    origin: { kind: 'server', url: server.href, query },
    stripThirdParty: settings.get<boolean>('import.stripThirdPartyFromServers'),
    // The raw answer may be a flooded key (24 MB armored for 150,000 certifications); what is
    // kept of it after screening is held to the ordinary response cap.
    maxBytes: settings.get<number>('network.maxRawResponseBytes'),
    maxKeptBytes: settings.get<number>('network.maxResponseBytes'),
  };
}

/** Counts import results by status. */
export function summarizeResults(results: readonly ImportResult[]) {
  const summary = { new: 0, updated: 0, unchanged: 0, rejected: 0 };
  for (const r of results) summary[r.status]++;
  return summary;
}

function rejected(fingerprint: string | null, reason: string): ImportResult {
  return { fingerprint, status: 'rejected', reason, added: { ...EMPTY } };
}

function decode(bytes: Uint8Array): Uint8Array {
  if (bytes.length === 0) {
    throw new InputError(ErrorCodes.InputEmpty, 'the input is empty', { nextStep: 'give a file that holds a key' });
  }
  if ((bytes[0]! & 0x80) !== 0) return bytes;
  if (looksArmored(bytes)) return dearmorAll(bytes);
  throw new InputError(ErrorCodes.InputMalformed, 'the input is neither ASCII-armored nor binary OpenPGP data', {
    nextStep: 'check that this is a public key file; nothing was imported',
  });
}

function issuerMatches(info: { issuerKeyId?: string; issuerFingerprint?: string }, request: ReturnType<typeof classifyKeyQuery>) {
  if (request.kind === 'fingerprint') return info.issuerFingerprint === request.value;
  if (request.kind === 'keyId') return info.issuerKeyId === request.value;
  return false;
}

/**
 * Does a certificate returned by a server answer the request? Returns the reason it does not,
 * or undefined. Fingerprint and key-ID requests match the primary key or any subkey (as GnuPG's
 * import screener does); email requests need a user ID with exactly that address.
 */
export function matchesRequest(parts: CertificateParts, request: ReturnType<typeof classifyKeyQuery>): string | undefined {
  const primary = keyMaterial(parts.primary);
  const subs = parts.subkeys.map((s) => keyMaterial(s.packet));
  switch (request.kind) {
    case 'fingerprint':
      if (primary.fingerprint === request.value || subs.some((s) => s.fingerprint === request.value)) return undefined;
      return `the server returned key ${primary.fingerprint}, which does not match the requested fingerprint ${request.value}`;
    case 'keyId':
      if (primary.keyId === request.value || subs.some((s) => s.keyId === request.value)) return undefined;
      return `the server returned key ${primary.fingerprint}, which does not match the requested key ID ${request.value}`;
    case 'email': {
      const ok = userIdsWithEmail(parts, request.value).length > 0;
      return ok ? undefined : `key ${primary.fingerprint} has no user ID with the address ${request.value}`;
    }
    default:
      return undefined;
  }
}
