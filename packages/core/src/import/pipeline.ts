import { inject, injectable } from 'tsyringe';
import { Tokens } from '../di/tokens.js';
import type { Settings } from '../settings.js';
import { ErrorCodes, InputError, NetworkError } from '../errors.js';
import type { IncomingCertificate, IncomingRevocation } from '../keyring/embedded.js';
import type { PipelineKeyring } from '../keystore/keyring-view.js';
import type { ImportReport, ImportResult } from '../keyring/types.js';
import { classifyKeyQuery, type KeyQuery } from '../keyring/query.js';
import { dearmorAll, looksArmored } from '../openpgp/armor.js';
import {
  dropUnreadableSubkeys,
  keyMaterial,
  screenCertificate,
  secretPacketProblem,
  selfSignedAs,
  splitCertificates,
  toPublicParts,
  UnsupportedKeyError,
  type CertificateParts,
  type MergeOptions,
} from '../openpgp/certificate.js';
import {
  certificateSize,
  DEFAULT_MAX_CERTIFICATIONS_PER_USER_ID,
  dropThirdPartySignatures,
  limitFloodedUserIds,
  readPacketsDroppingThirdParty,
  type FloodingReport,
} from '../openpgp/flood.js';
import { inspectSignature, isKeyTag, PacketTag, readPacketsLenient, SigType, type RawPacket } from '../openpgp/packets.js';
import { userIdsWithEmail } from '../openpgp/summary.js';
import { mergeResultsByFingerprint } from './merge-results.js';

/** Where the bytes came from. Server data is untrusted: no secrets, only what was asked for. */
export type ImportOrigin = { kind: 'file'; name: string } | { kind: 'server'; url: string; query: string };

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
export const DEFAULT_MAX_NEW_PER_EMAIL_ANSWER = 10;

/** Added to every result of an email look-up: a key server answer by address proves nothing. */
export const EMAIL_LOOKUP_NOTE =
  'found by email address only: a key server does not prove that an address belongs to a key (HKP servers check nothing), so compare the fingerprint with its owner before relying on it';

/**
 * Added to a certificate found through its subkey: anyone can validly bind another's key as an
 * encryption subkey, so the match alone does not show that this is the key meant.
 */
const subkeyMatchNote = (requested: string) =>
  `found through its subkey ${requested}, not its primary key: anyone can bind another person's key as an encryption subkey, so compare the fingerprint with its owner before relying on it`;

const EMPTY = { userIds: 0, subkeys: 0, signatures: 0, revocations: 0 };
const CERTIFICATIONS = [SigType.CertGeneric, SigType.CertPersona, SigType.CertCasual, SigType.CertPositive];

/** A certificate that passed screening, waiting for the answer-level decision. */
interface Candidate {
  fingerprint: string;
  incoming: IncomingCertificate;
  /** How it answers the request: by its primary key, or by a validly bound subkey. */
  match: 'primary' | 'subkey' | 'any';
  notes: string[];
  /** What flooding defence dropped from it (files only). */
  flooding?: FloodingReport;
}

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
    const screened: Awaited<ReturnType<ImportPipeline['screen']>>[] = [];
    for (const { bytes, options } of inputs) screened.push(await this.screen(bytes, options, known));
    const accepted = screened.flatMap((s) => s.accepted);
    const revocations = screened.flatMap((s) => s.revocations);
    const merged = await this.keyring.importCertificates(accepted, revocations, control);
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

  private async screen(bytes: Uint8Array, options: Omit<ImportOptions, 'signal' | 'onProgress'>, knownIssuers: Map<string, string> = new Map()) {
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
    // A file that ends inside a packet keeps the certificates that were complete before it; the
    // one cut short is rejected (gpg imports a key followed by a cut key packet, and refuses a key
    // cut inside its own packets). A server answer cut short is a broken transfer and is refused
    // whole: the next look-up retries it.
    let packets = framed.packets;
    let cutCertificate: ImportResult | undefined;
    let tailNote: string | undefined;
    if (framed.error?.truncated && !fromServer) {
      const where = `the input ends inside a packet at byte ${framed.error.offset} (truncated)`;
      if (isKeyTag(packetTagAt(binary, framed.error.offset))) {
        tailNote = `${where}; the keys before it were imported and the rest was ignored: get a fresh copy to be sure nothing is missing`;
      } else {
        let lastKey = packets.length - 1;
        while (lastKey >= 0 && !isKeyTag(packets[lastKey]!.tag)) lastKey--;
        if (lastKey > 0) {
          cutCertificate = rejected(fingerprintOrNull(packets[lastKey]!), `${where} within this key, so it was not imported: get a fresh copy of it`);
        }
        packets = lastKey > 0 ? packets.slice(0, lastKey) : [];
      }
    }
    if (framed.error && (fromServer || !framed.error.truncated || !packets.some((p) => isKeyTag(p.tag)))) {
      throw new InputError(ErrorCodes.InputMalformed, `the OpenPGP data is damaged: ${framed.error.message} at byte ${framed.error.offset}`, {
        nextStep: 'get a fresh copy of the key; nothing was imported',
      });
    }
    const split = splitCertificates(packets);
    // A revocation certificate that follows a key (key file and revocation file concatenated)
    // lands among the last component's signatures; it is a detached revocation, not a component's.
    const loneSignatures = [...split.leadingSignatures];
    // From a server only the certificate's own revocation is taken out: another issuer's is a
    // third-party signature, dropped by screening like the rest of a flood (no result for each).
    for (const cert of split.certificates) cert.parts = takeStrayKeyRevocations(cert.parts, loneSignatures, fromServer);
    if (split.certificates.length === 0 && loneSignatures.length === 0) {
      throw new InputError(ErrorCodes.InputEmpty, 'the input holds no OpenPGP certificate', {
        nextStep: 'check that this is a public key (armored or binary)',
      });
    }
    const request = options.origin.kind === 'server' ? classifyKeyQuery(options.origin.query) : undefined;

    const floodLimit =
      options.maxCertificationsPerUserId ?? this.settings?.get<number>('import.maxCertificationsPerUserId') ?? DEFAULT_MAX_CERTIFICATIONS_PER_USER_ID;
    let keptBytes = 0;
    let thirdPartyDropped = framed.dropped;

    // Per certificate in input order: a final result, or a candidate decided below.
    const entries: ({ result: ImportResult } | { candidate: Candidate })[] = [];
    for (const cert of split.certificates) {
      let fpr: string | null = null;
      try {
        fpr = keyMaterial(cert.parts.primary).fingerprint;
        const hasSecret = cert.parts.primary.tag === PacketTag.SecretKey || cert.parts.subkeys.some((s) => s.packet.tag === PacketTag.SecretSubkey);
        if (fromServer && hasSecret) {
          entries.push({ result: rejected(fpr, 'the server sent secret key material; it was refused and not stored') });
          continue;
        }
        const readable = dropUnreadableSubkeys(cert.parts);
        const { publicParts, secretPackets } = toPublicParts(readable.parts);
        const badSecret = secretPackets.map((p) => ({ p, problem: secretPacketProblem(p) })).find((x) => x.problem);
        if (badSecret) {
          const which = badSecret.p.tag === PacketTag.SecretKey ? 'primary secret key' : `secret subkey ${keyMaterial(badSecret.p).fingerprint}`;
          entries.push({ result: rejected(fpr, `the ${which} is not well formed (${badSecret.problem}); nothing of this key was imported: export the secret key again where it was made`) });
          continue;
        }
        if (!request) {
          // Flooding: third-party signatures go when stripping; otherwise a flooded user ID keeps
          // only the certifications of keys already held.
          let parts = publicParts;
          let flooding: FloodingReport | undefined;
          if (strip) {
            const stripped = dropThirdPartySignatures(parts);
            parts = stripped.parts;
            thirdPartyDropped += stripped.dropped;
          } else {
            const limited = await limitFloodedUserIds(parts, floodLimit, knownIssuers, (fpr) => this.keyring.readStoredParts(fpr));
            parts = limited.parts;
            flooding = limited.flooding;
          }
          keptBytes += certificateSize(parts);
          entries.push({ candidate: { fingerprint: fpr, match: 'any', notes: readable.notes, flooding, incoming: { parts, secretPackets, stripThirdParty: strip } } });
          continue;
        }
        // Screen first, then match: only components that verify can make a certificate the answer.
        const screened = await screenCertificate(publicParts, await this.revokerOptions(fpr, publicParts, strip));
        const verdict = matchRequest(screened.parts, request);
        if ('reason' in verdict) {
          entries.push({ result: rejected(fpr, verdict.reason) });
          continue;
        }
        const match = verdict.match;
        keptBytes += certificateSize(screened.parts);
        // Already screened (and stripped): the merge has nothing more to strip.
        entries.push({ candidate: { fingerprint: fpr, match, notes: readable.notes, incoming: { parts: screened.parts, secretPackets: [], stripThirdParty: false, screened: true } } });
      } catch (e) {
        const reason = e instanceof UnsupportedKeyError ? e.message : `unreadable certificate: ${(e as Error).message}`;
        entries.push({ result: rejected(fpr, reason) });
      }
    }
    if (request) await this.decide(entries, request, options);
    if (cutCertificate) entries.push({ result: cutCertificate });
    // The cut key packet followed the last certificate: say so there.
    if (tailNote) {
      const last = entries[entries.length - 1];
      if (last && 'candidate' in last) last.candidate.notes.push(tailNote);
      else if (last) last.result = { ...last.result, notes: [...(last.result.notes ?? []), tailNote] };
    }

    const results: (ImportResult | undefined)[] = [];
    const accepted: IncomingCertificate[] = [];
    const slots: number[] = [];
    const notes: string[][] = [];
    /** Aligned with `slots`: what flooding defence dropped from each accepted certificate. */
    const flooding: (FloodingReport | undefined)[] = [];
    for (const entry of entries) {
      if ('result' in entry) {
        results.push(entry.result);
        continue;
      }
      slots.push(results.length);
      results.push(undefined);
      accepted.push(entry.candidate.incoming);
      notes.push(entry.candidate.notes);
      flooding.push(entry.candidate.flooding);
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
    return { results, accepted, slots, notes, flooding, revocations, revSlots };
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
  private async decide(
    entries: ({ result: ImportResult } | { candidate: Candidate })[],
    request: KeyQuery,
    options: Omit<ImportOptions, 'signal' | 'onProgress'>,
  ): Promise<void> {
    const candidates = entries.flatMap((e, i) => ('candidate' in e ? [{ i, c: e.candidate }] : []));
    const refuse = (i: number, reason: string) => {
      entries[i] = { result: rejected((entries[i] as { candidate: Candidate }).candidate.fingerprint, reason) };
    };
    if (options.updateOnly) {
      for (const { i, c } of candidates) {
        if (c.match !== 'primary' || (request.kind === 'fingerprint' && c.fingerprint !== request.value)) {
          refuse(i, `a sync only updates the key it asked about (${request.value}); key ${c.fingerprint} was not added`);
        } else if (!(await this.keyring.get(c.fingerprint))) {
          refuse(i, `a sync only updates keys in the keyring; key ${c.fingerprint} is not there (deleted meanwhile?) and was not added`);
        }
      }
      return;
    }
    if (request.kind === 'fingerprint' || request.kind === 'keyId') {
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
      return;
    }
    if (request.kind === 'email') {
      const cap = options.maxNewPerEmailAnswer ?? DEFAULT_MAX_NEW_PER_EMAIL_ANSWER;
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
    maxNewPerEmailAnswer: settings.get<number>('import.maxNewKeysPerEmailAnswer'),
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

/** The tag of the packet whose header is at `offset` (new or old format). */
function packetTagAt(bytes: Uint8Array, offset: number): number {
  const header = bytes[offset] ?? 0;
  return (header & 0x40) !== 0 ? header & 0x3f : (header >> 2) & 0x0f;
}

function fingerprintOrNull(key: RawPacket): string | null {
  try {
    return keyMaterial(key).fingerprint;
  } catch {
    return null;
  }
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

/**
 * Moves key revocations (0x20) out of user ID and subkey signature lists into `lone`: such a
 * signature is never valid there (those components are revoked by 0x30 and 0x28), so it can only
 * be a revocation certificate that followed the key in the input. It is then judged as one,
 * against the key it names, instead of failing as a component signature unreported.
 */
function takeStrayKeyRevocations(parts: CertificateParts, lone: RawPacket[], onlySelfIssued: boolean): CertificateParts {
  let own: { fingerprint: string; keyId: string } | undefined;
  try {
    own = keyMaterial(parts.primary);
  } catch {
    own = undefined;
  }
  const isStray = (s: RawPacket) => {
    const info = inspectSignature(s.body);
    if (info?.type !== SigType.KeyRevocation) return false;
    if (!onlySelfIssued) return true;
    return own !== undefined && (info.issuerFingerprint ? info.issuerFingerprint === own.fingerprint : info.issuerKeyId === own.keyId);
  };
  const strays = (components: CertificateParts['userIds']) => components.some((c) => c.sigs.some(isStray));
  if (!strays(parts.userIds) && !strays(parts.subkeys)) return parts;
  const keep = (components: CertificateParts['userIds']) =>
    components.map((c) => {
      const sigs: RawPacket[] = [];
      for (const s of c.sigs) (isStray(s) ? lone : sigs).push(s);
      return { ...c, sigs };
    });
  return { ...parts, userIds: keep(parts.userIds), subkeys: keep(parts.subkeys) };
}

/** Fingerprints the certificate's own signatures name as designated revokers (revocation-key subpackets). */
function designatedRevokers(parts: CertificateParts): string[] {
  const primary = keyMaterial(parts.primary);
  const own = [...parts.direct, ...parts.userIds.flatMap((u) => u.sigs)];
  return own.flatMap((s) => {
    const info = inspectSignature(s.body);
    const self = info && (info.issuerFingerprint ? info.issuerFingerprint === primary.fingerprint : info.issuerKeyId === primary.keyId);
    return self ? (info.revocationKeys ?? []) : [];
  });
}

function issuerMatches(info: { issuerKeyId?: string; issuerFingerprint?: string }, request: ReturnType<typeof classifyKeyQuery>) {
  if (request.kind === 'fingerprint') return info.issuerFingerprint === request.value;
  if (request.kind === 'keyId') return info.issuerKeyId === request.value;
  return false;
}

/**
 * Does a certificate returned by a server answer the request? Returns the reason it does not,
 * or undefined. Run it on a screened certificate (`screenCertificate`): fingerprint
 * and key-ID requests match the primary key or a validly bound subkey; email requests need a
 * validly self-signed user ID with exactly that address.
 */
export function matchesRequest(parts: CertificateParts, request: ReturnType<typeof classifyKeyQuery>): string | undefined {
  const verdict = matchRequest(parts, request);
  return 'reason' in verdict ? verdict.reason : undefined;
}

/** How a screened certificate answers the request ('primary', 'subkey' or 'any'), or why it does not. */
function matchRequest(parts: CertificateParts, request: KeyQuery): { match: Candidate['match'] } | { reason: string } {
  const primary = keyMaterial(parts.primary);
  // A self-revocation alone keeps a component in the keyring but does not make it an answer.
  const bound = parts.subkeys.filter((s) => selfSignedAs(parts.primary, s, [SigType.SubkeyBinding]));
  const certified = (u: CertificateParts['userIds'][number]) => selfSignedAs(parts.primary, u, CERTIFICATIONS);
  switch (request.kind) {
    case 'fingerprint':
      if (primary.fingerprint === request.value) return { match: 'primary' };
      if (bound.some((s) => keyMaterial(s.packet).fingerprint === request.value)) return { match: 'subkey' };
      return { reason: `the server returned key ${primary.fingerprint}, which does not match the requested fingerprint ${request.value} (by its primary key or a validly bound subkey)` };
    case 'keyId':
      if (primary.keyId === request.value) return { match: 'primary' };
      if (bound.some((s) => keyMaterial(s.packet).keyId === request.value)) return { match: 'subkey' };
      return { reason: `the server returned key ${primary.fingerprint}, which does not match the requested key ID ${request.value} (by its primary key or a validly bound subkey)` };
    case 'email': {
      const ok = userIdsWithEmail(parts, request.value).some(certified);
      return ok ? { match: 'primary' } : { reason: `key ${primary.fingerprint} has no user ID with the address ${request.value} (only validly self-signed user IDs count)` };
    }
    default:
      // Text and short key IDs name nothing precisely: no certificate can be shown to answer them.
      return { reason: `"${request.value}" is not a fingerprint, key ID or email address, so no key in the answer can be matched to it` };
  }
}
