import { inject, injectable } from 'tsyringe';
import { Tokens } from '../di/tokens.js';
import type { Settings } from '../settings.js';
import { ErrorCodes, NetworkError } from '../errors.js';
import type { IncomingCertificate, IncomingRevocation } from '../keyring/embedded.js';
import type { PipelineKeyring } from '../keystore/keyring-view.js';
import type { ImportReport, ImportResult } from '../keyring/types.js';
import { classifyKeyQuery, type KeyQuery } from '../keyring/query.js';
import {
  dropUnreadableSubkeys,
  keyMaterial,
  screenCertificate,
  secretPacketProblem,
  toPublicParts,
  UnsupportedKeyError,
  type CertificateParts,
  type MergeOptions,
} from '../openpgp/certificate.js';
import { certificateSize, DEFAULT_MAX_CERTIFICATIONS_PER_USER_ID, dropThirdPartySignatures, limitFloodedUserIds, type FloodingReport } from '../openpgp/flood.js';
import { inspectSignature, PacketTag, SigType, type RawPacket } from '../openpgp/packets.js';
import { designatedRevokers, EMAIL_LOOKUP_NOTE, issuerMatches, matchRequest, rejected, subkeyMatchNote, type Candidate, type Entry } from './candidates.js';
import { decode, frame, refuseOversized, separate, type FramedInput } from './input.js';
import { mergeResultsByFingerprint } from './merge-results.js';

export { EMAIL_LOOKUP_NOTE, matchesRequest } from './candidates.js';

/**
 * Where the bytes came from. Server data is untrusted: no secrets, only what was asked for.
 * `keyServer` marks a key server's answer (not a key source's, such as WKD): a store that records
 * key origins records that server's URL.
 */
export type ImportOrigin = { kind: 'file'; name: string } | { kind: 'server'; url: string; query: string; keyServer?: boolean };

/** Where an input came from and how to screen it. */
export interface ImportOptions {
  origin: ImportOrigin;
  /** Drop third-party signatures of every type. Default: true for servers, false for local files. */
  stripThirdParty?: boolean;
  /** Refuse inputs larger than this, before parsing them (for servers: `network.maxRawResponseBytes`). */
  maxBytes?: number;
  /**
   * Only update the key the server was asked about (sync): a certificate that is not already in
   * the keyring, or whose primary fingerprint is not the one asked for, is rejected.
   */
  updateOnly?: boolean;
  /** Most certificates one answer to an email look-up may add (setting import.maxNewKeysPerEmailAnswer). */
  maxNewPerEmailAnswer?: number;
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

/** Certificates one email look-up may add by default (setting import.maxNewKeysPerEmailAnswer). */
const DEFAULT_MAX_NEW_PER_EMAIL_ANSWER = 10;

/** What screening one input needs apart from the input itself (signal and progress belong to the batch). */
type ScreenOptions = Omit<ImportOptions, 'signal' | 'onProgress'>;

/** Cancellation and progress of one keyring batch. */
type BatchControl = { signal?: AbortSignal; onProgress?: (done: number, total: number) => void };

/** One input screened: results in input order, with a slot left for each thing the merge decides. */
interface ScreenedInput {
  results: (ImportResult | undefined)[];
  accepted: IncomingCertificate[];
  /** Where each accepted certificate's merge result goes in `results`. */
  slots: number[];
  /** Aligned with `slots`: the notes screening made on each accepted certificate. */
  notes: string[][];
  /** Aligned with `slots`: what flooding defence dropped from each accepted certificate. */
  flooding: (FloodingReport | undefined)[];
  revocations: IncomingRevocation[];
  /** Where each lone revocation's merge result goes in `results`. */
  revSlots: number[];
}

/** How the certificates of one input are judged, the same for each of them. */
interface CertificateContext {
  fromServer: boolean;
  strip: boolean;
  /** What the server was asked; undefined for files and stdin. */
  request: KeyQuery | undefined;
  /** The key server's URL when the input is its answer. */
  keyServer: string | undefined;
  floodLimit: number;
  knownIssuers: Map<string, string>;
}

/** Sizes counted over one input for the kept-size cap. */
interface Tally {
  keptBytes: number;
  thirdPartyDropped: number;
}

/** A candidate with its index in the input's entries. */
type Numbered = { i: number; c: Candidate };

/**
 * The single import path for every source (file, stdin, key server): size cap, dearmor, parse,
 * refuse secret material from servers and malformed secret packets from files, screen server
 * answers down to what verifies and only then match them against the request (ADR 0007), merge
 * (verifying only what is new), report per certificate.
 */
@injectable()
export class ImportPipeline {
  constructor(
    @inject(Tokens.Keyring as symbol) private readonly keyring: PipelineKeyring,
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
    // A few inputs are screened side by side: screening only reads, and their signature checks
    // then run on every core (webcrypto verifies on libuv's thread pool), not one after another.
    const screened = await mapWithLimit(inputs, SCREEN_CONCURRENCY, ({ bytes, options }) => this.screen(bytes, options, known));
    const merged = await this.store(
      screened.flatMap((s) => s.accepted),
      screened.flatMap((s) => s.revocations),
      control,
    );
    return reportEach(screened, merged);
  }

  /** Writes what screening accepted from all inputs, in one keyring batch: the pipeline's only write. */
  private store(accepted: IncomingCertificate[], revocations: IncomingRevocation[], control: BatchControl): Promise<MergeOutcome> {
    return this.keyring.importCertificates(accepted, revocations, control);
  }

  /** Key IDs and fingerprints (primary and subkeys) of every key in the keyring, each to its primary's fingerprint. */
  private async knownIssuers(): Promise<Map<string, string>> {
    const ids = new Map<string, string>();
    for (const r of await this.keyring.list()) {
      for (const k of [r.summary, ...r.summary.subkeys]) {
        ids.set(k.fingerprint, r.summary.fingerprint);
        ids.set(k.keyId, r.summary.fingerprint);
      }
    }
    return ids;
  }

  /** Screens one input down to results and what may be written; input errors are thrown before any write. */
  private async screen(bytes: Uint8Array, options: ScreenOptions, knownIssuers: Map<string, string> = new Map()): Promise<ScreenedInput> {
    refuseOversized(bytes, options.maxBytes ?? DEFAULT_MAX_IMPORT_BYTES);
    const binary = decode(bytes);
    const fromServer = options.origin.kind === 'server';
    const strip = options.stripThirdParty ?? fromServer;
    const framed = frame(binary, fromServer, strip);
    const { certificates, loneSignatures } = separate(framed.packets, fromServer);
    const request = options.origin.kind === 'server' ? classifyKeyQuery(options.origin.query) : undefined;
    const floodLimit =
      options.maxCertificationsPerUserId ?? this.settings?.get<number>('import.maxCertificationsPerUserId') ?? DEFAULT_MAX_CERTIFICATIONS_PER_USER_ID;

    const keyServer = options.origin.kind === 'server' && options.origin.keyServer ? options.origin.url : undefined;
    const context: CertificateContext = { fromServer, strip, request, keyServer, floodLimit, knownIssuers };
    const tally: Tally = { keptBytes: 0, thirdPartyDropped: framed.dropped };
    const entries: Entry[] = [];
    for (const cert of certificates) entries.push(await this.candidateFor(cert.parts, context, tally));
    if (request) await this.decide(entries, request, options);
    reportTruncation(entries, framed);
    const laidOut = layOut(entries);
    enforceKeptSize(options, tally);
    const { revocations, revSlots } = await this.collectRevocations(loneSignatures, request, laidOut.results);
    return { ...laidOut, revocations, revSlots };
  }

  /** Judges one certificate on its own: a final rejection, or a candidate for the answer-level decision. */
  private async candidateFor(parts: CertificateParts, context: CertificateContext, tally: Tally): Promise<Entry> {
    let fpr: string | null = null;
    try {
      fpr = keyMaterial(parts.primary).fingerprint;
      const hasSecret = parts.primary.tag === PacketTag.SecretKey || parts.subkeys.some((s) => s.packet.tag === PacketTag.SecretSubkey);
      if (context.fromServer && hasSecret) {
        return { result: rejected(fpr, 'the server sent secret key material; it was refused and not stored') };
      }
      const readable = dropUnreadableSubkeys(parts);
      const { publicParts, secretPackets } = toPublicParts(readable.parts);
      const badSecret = secretPackets.map((p) => ({ p, problem: secretPacketProblem(p) })).find((x) => x.problem);
      if (badSecret) {
        const which = badSecret.p.tag === PacketTag.SecretKey ? 'primary secret key' : `secret subkey ${keyMaterial(badSecret.p).fingerprint}`;
        return { result: rejected(fpr, `the ${which} is not well formed (${badSecret.problem}); nothing of this key was imported: export the secret key again where it was made`) };
      }
      if (!context.request) return await this.unrequestedCandidate(fpr, publicParts, secretPackets, readable.notes, context, tally);
      const entry = await this.requestedCandidate(fpr, publicParts, readable.notes, context.request, context.strip, tally);
      if ('candidate' in entry && context.keyServer) entry.candidate.incoming.keyServer = context.keyServer;
      return entry;
    } catch (e) {
      const reason = e instanceof UnsupportedKeyError ? e.message : `unreadable certificate: ${(e as Error).message}`;
      return { result: rejected(fpr, reason) };
    }
  }

  /**
   * A certificate nobody asked for (file, stdin): only flooding defence applies. Third-party
   * signatures go when stripping; otherwise a flooded user ID keeps only the certifications of
   * keys already held.
   */
  private async unrequestedCandidate(
    fpr: string,
    publicParts: CertificateParts,
    secretPackets: RawPacket[],
    notes: string[],
    context: CertificateContext,
    tally: Tally,
  ): Promise<Entry> {
    let parts = publicParts;
    let flooding: FloodingReport | undefined;
    if (context.strip) {
      const stripped = dropThirdPartySignatures(parts);
      parts = stripped.parts;
      tally.thirdPartyDropped += stripped.dropped;
    } else {
      const limited = await limitFloodedUserIds(parts, context.floodLimit, context.knownIssuers, (fpr) => this.keyring.readStoredParts(fpr));
      parts = limited.parts;
      flooding = limited.flooding;
    }
    tally.keptBytes += certificateSize(parts);
    return { candidate: { fingerprint: fpr, match: 'any', notes, flooding, incoming: { parts, secretPackets, stripThirdParty: context.strip } } };
  }

  /** A certificate a server sent for a request: screened first, then matched, so only components that verify can make it the answer. */
  private async requestedCandidate(fpr: string, publicParts: CertificateParts, notes: string[], request: KeyQuery, strip: boolean, tally: Tally): Promise<Entry> {
    const screened = await screenCertificate(publicParts, await this.revokerOptions(fpr, publicParts, strip));
    const verdict = matchRequest(screened.parts, request);
    if ('reason' in verdict) return { result: rejected(fpr, verdict.reason) };
    tally.keptBytes += certificateSize(screened.parts);
    // Already screened (and stripped): the merge has nothing more to strip.
    return { candidate: { fingerprint: fpr, match: verdict.match, notes, incoming: { parts: screened.parts, secretPackets: [], stripThirdParty: false, screened: true } } };
  }

  /**
   * Signature-only blocks: key revocations for keys we hold (revocation certificates,
   * Hockeypuck's hard-revoked keys) go to the merge, with a slot in `results`; anything else
   * cannot be attached to a key and is reported in place.
   */
  private async collectRevocations(
    loneSignatures: RawPacket[],
    request: KeyQuery | undefined,
    results: (ImportResult | undefined)[],
  ): Promise<{ revocations: IncomingRevocation[]; revSlots: number[] }> {
    const revocations: IncomingRevocation[] = [];
    const revSlots: number[] = [];
    for (const sig of loneSignatures) {
      const info = inspectSignature(sig.body);
      if (!info || info.type !== SigType.KeyRevocation) {
        results.push(rejected(null, 'a signature without a key (only key revocations can be imported on their own)'));
        continue;
      }
      if (request && request.kind !== 'email' && !issuerMatches(info, request)) {
        // Reported under the key asked about: the issuer is another key, perhaps never asked for.
        results.push(await this.foreignRevocation(info, request));
        continue;
      }
      revSlots.push(results.length);
      results.push(undefined);
      revocations.push({ signature: sig, issuerKeyId: info.issuerKeyId, issuerFingerprint: info.issuerFingerprint });
    }
    return { revocations, revSlots };
  }

  /**
   * The result for a lone key revocation answering a request for another key: named by the
   * requested key, saying who issued it. A designated revoker's revocation of the requested key
   * cannot be verified on its own (no key to check it against in this path), so it is refused as
   * gpg refuses it, with that reason rather than "another key".
   */
  private async foreignRevocation(info: { issuerKeyId?: string; issuerFingerprint?: string }, request: KeyQuery): Promise<ImportResult> {
    const issuer = info.issuerFingerprint ?? info.issuerKeyId ?? 'unknown';
    const held =
      request.kind === 'fingerprint'
        ? await this.keyring.get(request.value)
        : (await this.keyring.find(request.value).catch(() => [])).find((r) => r.summary.keyId === request.value);
    const requested = held?.summary.fingerprint ?? (request.kind === 'fingerprint' ? request.value : null);
    const stored = held ? await this.keyring.readStoredParts(held.summary.fingerprint).catch(() => undefined) : undefined;
    const revokers = stored ? designatedRevokers(stored) : [];
    if (revokers.some((r) => r === info.issuerFingerprint || (info.issuerKeyId !== undefined && r.endsWith(info.issuerKeyId)))) {
      return rejected(
        requested,
        `the server answered ${request.value} with a revocation issued by its designated revoker ${issuer}; a revocation by another key is applied only when it verifies against the key it revokes, which a lone revocation cannot show here, so it was not applied (gpg refuses it too)`,
      );
    }
    return rejected(requested, `the server answered ${request.value} with a revocation issued by key ${issuer}, not by the requested key; it does not revoke ${request.value} and was not applied`);
  }

  /**
   * Merge options for screening one server certificate. A key revocation by another key can only
   * stay when it comes from a designated revoker whose key the keyring holds; the stored copy is
   * read only when the answer carries such a revocation.
   */
  private async revokerOptions(fpr: string, parts: CertificateParts, strip: boolean): Promise<MergeOptions> {
    if (!strip) return { stripThirdParty: false };
    const foreignRevocation = parts.direct.some((s) => {
      const info = inspectSignature(s.body);
      return info?.type === SigType.KeyRevocation && (info.issuerFingerprint ?? info.issuerKeyId) !== undefined && info.issuerFingerprint !== fpr && info.issuerKeyId !== fpr.slice(-16);
    });
    if (!foreignRevocation) return { stripThirdParty: true };
    return {
      stripThirdParty: true,
      revokersFrom: await this.keyring.readStoredParts(fpr),
      revokerKey: async (revoker) => (await this.keyring.readStoredParts(revoker).catch(() => undefined))?.primary,
    };
  }

  /**
   * The answer-level rules of ADR 0007, applied to certificates that already matched one by one:
   * a sync only updates the key it asked about; a certificate that holds the requested key as
   * its primary beats any that carries it as a subkey; a key the keyring holds, as a primary or
   * as a validly bound subkey, is never answered by another key's subkey; two certificates
   * claiming the same subkey are both refused; one accepted through a subkey gets a note; an
   * email answer adds at most a capped number of keys, each with a note.
   */
  private async decide(entries: Entry[], request: KeyQuery, options: ScreenOptions): Promise<void> {
    const candidates = entries.flatMap((e, i) => ('candidate' in e ? [{ i, c: e.candidate }] : []));
    const refuse = (i: number, reason: string) => {
      entries[i] = { result: rejected((entries[i] as { candidate: Candidate }).candidate.fingerprint, reason) };
    };
    if (options.updateOnly) await this.limitToSyncedKey(candidates, request, refuse);
    else if (request.kind === 'fingerprint' || request.kind === 'keyId') await this.judgeSubkeyMatches(candidates, request, refuse);
    else if (request.kind === 'email') await this.capEmailAnswer(candidates, request, options.maxNewPerEmailAnswer ?? DEFAULT_MAX_NEW_PER_EMAIL_ANSWER, refuse);
  }

  /** A sync only updates the key it asked about, and only while the keyring still holds it. */
  private async limitToSyncedKey(candidates: Numbered[], request: KeyQuery, refuse: (i: number, reason: string) => void): Promise<void> {
    for (const { i, c } of candidates) {
      if (c.match !== 'primary' || (request.kind === 'fingerprint' && c.fingerprint !== request.value)) {
        refuse(i, `a sync only updates the key it asked about (${request.value}); key ${c.fingerprint} was not added`);
      } else if (!(await this.keyring.get(c.fingerprint))) {
        refuse(i, `a sync only updates keys in the keyring; key ${c.fingerprint} is not there (deleted meanwhile?) and was not added`);
      }
    }
  }

  /** Certificates that carry the requested key only as a subkey: refused when a better answer exists, else noted. */
  private async judgeSubkeyMatches(candidates: Numbered[], request: KeyQuery, refuse: (i: number, reason: string) => void): Promise<void> {
    const byPrimary = candidates.filter(({ c }) => c.match === 'primary');
    const bySubkey = candidates.filter(({ c }) => c.match === 'subkey');
    if (bySubkey.length === 0) return;
    // Keys the keyring holds under this name, as a primary or as a validly bound subkey (the
    // merge stores no other): another certificate's subkey never answers for them.
    const holders = await this.keyring.find(request.value).catch(() => []);
    const heldPrimary = holders.find((r) => r.summary.fingerprint === request.value || r.summary.keyId === request.value);
    const heldSubkeyOf = holders.map((r) => r.summary.fingerprint);
    let why: (fingerprint: string) => string | undefined = () => undefined;
    if (byPrimary.length > 0) why = () => 'the answer also holds the requested key itself';
    else if (heldPrimary) why = () => `${request.value} is a primary key in your keyring, not a subkey of another key`;
    else if (heldSubkeyOf.length > 0) {
      why = (fpr) => (heldSubkeyOf.includes(fpr) ? undefined : `your keyring already holds ${request.value} as a subkey of ${heldSubkeyOf.join(', ')}`);
    } else if (bySubkey.length > 1) why = () => `${bySubkey.length} certificates in the answer claim the requested subkey`;
    for (const { i, c } of bySubkey) {
      const reason = why(c.fingerprint);
      if (reason) refuse(i, `key ${c.fingerprint} carries the requested key as a subkey, but ${reason}; it was not added`);
      else if (!heldSubkeyOf.includes(c.fingerprint)) c.notes.push(subkeyMatchNote(request.value));
    }
  }

  /** An email answer adds at most `cap` new keys, and every key it brings gets the email-lookup note. */
  private async capEmailAnswer(candidates: Numbered[], request: KeyQuery, cap: number, refuse: (i: number, reason: string) => void): Promise<void> {
    let added = 0;
    for (const { i, c } of candidates) {
      const isNew = !(await this.keyring.get(c.fingerprint));
      if (isNew && added >= cap) {
        refuse(i, `the answer for ${request.value} holds more than ${cap} new keys; the rest were not added (setting import.maxNewKeysPerEmailAnswer)`);
        continue;
      }
      if (isNew) added++;
      c.notes.push(EMAIL_LOOKUP_NOTE);
    }
  }
}

/** What the keyring reports for one batch: results for accepted certificates, then for lone revocations. */
type MergeOutcome = Awaited<ReturnType<PipelineKeyring['importCertificates']>>;

/** Each input's report: its own results in input order, the merge's results put in their slots. */
function reportEach(screened: ScreenedInput[], merged: MergeOutcome): ImportReport[] {
  let a = 0;
  let r = 0;
  return screened.map((s) => {
    const results = [...s.results];
    for (const [k, slot] of s.slots.entries()) {
      const result = merged.results[a++];
      const notes = s.notes[k]!;
      const flooding = s.flooding[k];
      let withNotes = result && notes.length > 0 ? { ...result, notes: [...(result.notes ?? []), ...notes] } : result;
      if (withNotes && flooding && withNotes.status !== 'rejected') withNotes = { ...withNotes, flooding };
      results[slot] = withNotes;
    }
    for (const slot of s.revSlots) results[slot] = merged.revocationResults[r++];
    // Anything left undefined was cut off by cancellation.
    const final = mergeResultsByFingerprint(results.filter((x): x is ImportResult => x !== undefined));
    return { results: final, summary: summarizeResults(final) };
  });
}

/** A file cut short: the certificate it cut is rejected, and a key packet cut after the last one is said there. */
function reportTruncation(entries: Entry[], { cutCertificate, tailNote }: FramedInput): void {
  if (cutCertificate) entries.push({ result: cutCertificate });
  // The cut key packet followed the last certificate: say so there.
  if (tailNote) {
    const last = entries[entries.length - 1];
    if (last && 'candidate' in last) last.candidate.notes.push(tailNote);
    else if (last) last.result = { ...last.result, notes: [...(last.result.notes ?? []), tailNote] };
  }
}

/** Final results in input order, with an empty slot for each accepted certificate the merge reports on. */
function layOut(entries: Entry[]): Pick<ScreenedInput, 'results' | 'accepted' | 'slots' | 'notes' | 'flooding'> {
  const laidOut: Pick<ScreenedInput, 'results' | 'accepted' | 'slots' | 'notes' | 'flooding'> = { results: [], accepted: [], slots: [], notes: [], flooding: [] };
  for (const entry of entries) {
    if ('result' in entry) {
      laidOut.results.push(entry.result);
      continue;
    }
    laidOut.slots.push(laidOut.results.length);
    laidOut.results.push(undefined);
    laidOut.accepted.push(entry.candidate.incoming);
    laidOut.notes.push(entry.candidate.notes);
    laidOut.flooding.push(entry.candidate.flooding);
  }
  return laidOut;
}

/** Refuses the whole input when what screening kept is over `maxKeptBytes`: a flood must not fill the keyring. */
function enforceKeptSize(options: ScreenOptions, tally: Tally): void {
  if (options.maxKeptBytes === undefined || tally.keptBytes <= options.maxKeptBytes) return;
  const where = options.origin.kind === 'server' ? new URL(options.origin.url).host : options.origin.name;
  throw new NetworkError(
    ErrorCodes.ResponseTooLarge,
    `${where} sent ${tally.keptBytes} bytes of certificates after ${tally.thirdPartyDropped} third-party signatures were dropped, over the ${options.maxKeptBytes}-byte limit; nothing was imported`,
    { nextStep: 'raise network.maxResponseBytes if this server is trusted to send that much' },
  );
}

/** Import options for an answer from `server` to `query`: untrusted origin, the user's server limits. */
export function serverImportOptions(settings: Settings, server: URL, query: string, from: { keyServer?: boolean } = {}): Omit<ImportOptions, 'signal' | 'onProgress'> {
  return {
    origin: { kind: 'server', url: server.href, query, ...(from.keyServer ? { keyServer: true } : {}) },
    stripThirdParty: settings.get<boolean>('import.stripThirdPartyFromServers'),
    // The raw answer may be a flooded key (24 MB armored for 150,000 certifications); what is
    // kept of it after screening is held to the ordinary response cap.
    maxBytes: settings.get<number>('network.maxRawResponseBytes'),
    maxKeptBytes: settings.get<number>('network.maxResponseBytes'),
    maxNewPerEmailAnswer: settings.get<number>('import.maxNewKeysPerEmailAnswer'),
  };
}

/** Counts import results by status. */
export function summarizeResults(results: readonly ImportResult[]) {
  const summary = { new: 0, updated: 0, unchanged: 0, rejected: 0 };
  for (const r of results) summary[r.status]++;
  return summary;
}

/** How many inputs of one batch are screened at a time. */
const SCREEN_CONCURRENCY = 16;

/** `items` mapped through `work` with at most `limit` calls in flight; results in input order. */
async function mapWithLimit<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const k = next++;
      results[k] = await work(items[k]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
