import {
  ErrorCodes,
  InputError,
  escapeForTerminal,
  userIdForDisplay,
  SettingsError,
  isCancelled,
  toKeyportError,
  type ImportReport,
  type ImportResult,
  type KeyServerCopies,
  type KeyRecord,
  type KeySummary,
  type SearchHit,
} from '@keyport/core';

/** Exit codes of every command. */
export const Exit = { Ok: 0, Failed: 1, Usage: 2 } as const;

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

type Stream = NodeJS.WritableStream;

/**
 * The line printer of all human-readable output: each line is escaped whole
 * (escapeForTerminal), so text from a key, a file or a server can neither drive the terminal nor
 * start a row of its own. It takes lines, not text: a line break inside a value shows as `\x0a`.
 * Nothing else in the CLI writes to stdout or stderr (a lint rule keeps it so).
 */
export function printLines(stream: Stream, lines: string | readonly string[]): void {
  const all = typeof lines === 'string' ? [lines] : lines;
  stream.write(all.map((line) => `${escapeForTerminal(line)}\n`).join(''));
}

/** Text that is already laid out in lines (commander's help and usage errors), escaped line by line. */
export function printText(stream: Stream, text: string): void {
  stream.write(text.split('\n').map(escapeForTerminal).join('\n'));
}

/** A progress counter rewritten in place on a terminal (`\r`), ending its line when done. */
export function printProgress(stream: Stream, p: { operation: string; done: number; total: number | null }): void {
  const finished = p.total !== null && p.done === p.total;
  stream.write(`\r${escapeForTerminal(`${p.operation}: ${p.done}/${p.total ?? '?'}`)}${finished ? '\n' : ''}`);
}

/** Binary OpenPGP packets, for a pipe or file (the caller refuses a terminal). */
export function printBytes(stream: Stream, data: Uint8Array): void {
  stream.write(data);
}

/** Output that is not text for people: armored keys keyport wrote itself (ASCII only). */
export function printVerbatim(stream: Stream, text: string): void {
  stream.write(text);
}

// Code points JSON.stringify leaves raw that a terminal would act on: DEL, C1 controls, bidi
// formatting, line separators. Outside strings JSON text is ASCII, so they only occur inside strings.
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * JSON text whose strings are exactly the values (a parser gets them back unchanged) and that a
 * terminal can still show safely: what JSON.stringify leaves raw is written as `\\uXXXX` too.
 */
export function jsonText(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `--json` output: one JSON document and a newline. */
export function printJson(stream: Stream, value: unknown): void {
  stream.write(`${jsonText(value, 2)}\n`);
}

/**
 * The one place where an error becomes what a person sees: one line with the code and the next
 * step (and, with --json, the same as an object on stdout). Cancellation prints nothing.
 */
export function reportError(error: unknown, io: Io, json: boolean): number {
  if (isCancelled(error)) return 130;
  const e = toKeyportError(error);
  const next = e.nextStep ? ` (next: ${e.nextStep})` : '';
  printLines(io.stderr, `keyport: ${e.code} ${e.message}${next}`);
  if (json) io.stdout.write(`${jsonText({ error: e.toJSON() })}\n`);
  const usage = e instanceof InputError || e instanceof SettingsError || e.code === ErrorCodes.Usage;
  return usage ? Exit.Usage : Exit.Failed;
}

/** `list --json` element: a stable, documented shape (docs/cli.md). */
export function keyToJson(record: KeyRecord, now = Date.now()) {
  const s = record.summary;
  return {
    fingerprint: s.fingerprint,
    keyId: s.keyId,
    algorithm: s.algorithm,
    bits: s.bits,
    curve: s.curve,
    userIds: s.userIds.map((u) => u.userId),
    created: s.created,
    expires: s.expires,
    expired: isExpired(s.expires, now),
    revoked: s.revoked,
    userIdDetails: s.userIds.map((u) => ({ ...u, expired: isExpired(u.expires, now), validity: userIdValidity(s, u, now) })),
    hasSecret: record.hasSecret,
    secretPrimary: record.secretPrimary,
    subkeys: s.subkeys.map((k) => ({
      fingerprint: k.fingerprint,
      keyId: k.keyId,
      algorithm: k.algorithm,
      created: k.created,
      expires: k.expires,
      expired: isExpired(k.expires, now),
      revoked: k.revoked,
      usage: k.usage,
    })),
  };
}

/** `show --json`: the list shape plus per-user-ID and revocation details. */
export function keyDetailsToJson(record: KeyRecord, now = Date.now()) {
  const s = record.summary;
  return {
    ...keyToJson(record, now),
    version: s.version,
    usage: s.usage,
    revocation: s.revocation,
    subkeyDetails: s.subkeys.map((k) => ({ ...k, expired: isExpired(k.expires, now) })),
  };
}

export function isExpired(expires: string | null, now = Date.now()): boolean {
  return expires !== null && Date.parse(expires) <= now;
}

/** A user ID's validity as `show`, `list --json` and the TUI give it. */
export type Validity = 'valid' | 'expired' | 'revoked';

/**
 * A user ID's validity by gpg's rules (the uid validity field of `--with-colons`): a revoked
 * user ID, or any user ID of a revoked key, is revoked; otherwise one whose self-signature or
 * whose key expired is expired. (gpg shows "unknown" for the rest until trust is computed;
 * keyport keeps no trust model, so a self-signed, unexpired user ID is valid.)
 */
export function userIdValidity(key: KeySummary, uid: KeySummary['userIds'][number], now = Date.now()): Validity {
  if (uid.revoked || key.revoked) return 'revoked';
  if (isExpired(uid.expires, now) || isExpired(key.expires, now)) return 'expired';
  return 'valid';
}

/** A validity as gpg brackets it: `[ expired]`, `[ revoked]`, `[   valid]`. */
export function validityLabel(validity: string): string {
  return `[${validity.padStart(8)}]`;
}

const day = (iso: string | null) => (iso ? iso.slice(0, 10) : 'never');

export function groupFingerprint(fpr: string): string {
  return fpr.replace(/(.{4})/g, '$1 ').trim();
}

function flags(s: KeySummary, now: number): string {
  const f: string[] = [];
  if (s.revoked) f.push('revoked');
  if (isExpired(s.expires, now)) f.push('expired');
  return f.length ? ` [${f.join(', ')}]` : '';
}

export function formatKeyLine(record: KeyRecord, now = Date.now()): string {
  const s = record.summary;
  const kind = record.hasSecret ? (record.secretPrimary === 'stub' ? 'sec#' : 'sec ') : 'pub ';
  const shownUserId = s.userIds.find((u) => u.primary) ?? s.userIds[0];
  const uid = shownUserId ? userIdForDisplay(shownUserId) : '(no user ID)';
  return `${kind} ${s.algorithm.padEnd(9)} ${s.fingerprint}  ${day(s.created)}  ${uid}${flags(s, now)}`;
}

export function formatKeyDetails(record: KeyRecord, now = Date.now()): string[] {
  const s = record.summary;
  const lines = [
    `${record.hasSecret ? 'Secret key' : 'Public key'}${flags(s, now)}`,
    `  Fingerprint  ${groupFingerprint(s.fingerprint)}`,
    `  Key ID       ${s.keyId}`,
    `  Algorithm    ${s.algorithm}${s.curve && !s.algorithm.includes(s.curve) ? ` (${s.curve})` : ''}`,
    `  Created      ${day(s.created)}`,
    `  Expires      ${day(s.expires)}`,
    `  Usage        ${s.usage.join(', ') || '-'}`,
  ];
  if (record.hasSecret) lines.push(`  Secret       ${record.secretPrimary === 'present' ? 'primary key present' : record.secretPrimary === 'stub' ? 'primary key offline (stub); subkeys only' : 'subkeys only'}`);
  if (s.revocation) lines.push(`  Revoked      ${s.revocation.date ? day(s.revocation.date) : ''} ${revocationText(s.revocation.code)}${s.revocation.reason ? `: ${s.revocation.reason}` : ''}`);
  lines.push('  User IDs');
  // The primary user ID first, as gpg lists it; the rest in stored order (sort is stable).
  const primaryFirst = [...s.userIds].sort((a, b) => Number(b.primary) - Number(a.primary));
  for (const u of primaryFirst) lines.push(`    ${validityLabel(userIdValidity(s, u, now))} ${userIdForDisplay(u)}${u.primary ? ' (primary)' : ''}`);
  if (s.subkeys.length) lines.push('  Subkeys');
  for (const k of s.subkeys) {
    const state = k.revoked || s.revoked ? 'revoked' : isExpired(k.expires, now) || isExpired(s.expires, now) ? 'expired' : 'valid';
    lines.push(`    ${validityLabel(state)} ${k.algorithm.padEnd(9)} ${k.fingerprint}  created ${day(k.created)}  expires ${day(k.expires)}  ${k.usage.join(',') || '-'}`);
  }
  return lines;
}

export function revocationText(code: number | null): string {
  switch (code) {
    case 1: return 'superseded';
    case 2: return 'compromised';
    case 3: return 'retired';
    case 32: return 'user ID no longer valid';
    case 0: return 'no reason given';
    default: return 'revoked';
  }
}

/** One module as `modules list` and `plugins list` print it: state, id, version, `rest`, then indented detail lines. */
export function formatModuleLines(m: { state: string; id: string; version: string }, rest: string, details: string[]): string[] {
  return [`${m.state.padEnd(8)} ${m.id.padEnd(16)} ${m.version.padEnd(8)} ${rest}`, ...details.map((d) => `         ${d}`)];
}

/** What an import or merge added, e.g. "+1 user IDs, +2 signatures". */
export function formatAdded(r: { added: ImportResult['added']; secretKeysStored?: number }): string {
  const a = r.added;
  return [
    a.userIds && `+${plural(a.userIds, 'user ID')}`,
    a.subkeys && `+${plural(a.subkeys, 'subkey')}`,
    a.signatures && `+${plural(a.signatures, 'signature')}`,
    a.revocations && `+${plural(a.revocations, 'revocation')}`,
    r.secretKeysStored && `+${plural(r.secretKeysStored, 'secret key')}`,
  ]
    .filter(Boolean)
    .join(', ');
}

/** Why a flooded key came in without most of its certifications. */
export function formatFlooding(f: NonNullable<ImportResult['flooding']>): string {
  const uids = f.userIds === 1 ? '1 user ID' : `${f.userIds} user IDs`;
  return `flooded key: dropped ${plural(f.dropped, 'certification')} by keys not in the keyring (${uids} had more than ${f.limit}; limit: import.maxCertificationsPerUserId)`;
}

/** A result as the import, sync and TUI reports show it (server imports and sync add fields). */
export type ReportedResult = Omit<ImportResult, 'status'> & { status: string; query?: string; source?: string; sources?: string[]; code?: string };

/**
 * One result as one line: the status, the key (or, without one, the query), what changed or
 * why not, the secret keys stored and where the key came from. A line that is not a success
 * names the query and the reason.
 */
export function formatImportLine(r: ReportedResult): string {
  const who = r.fingerprint ?? r.query ?? '(unknown key)';
  const asked = r.query && r.fingerprint && r.query.replace(/^0x|\s/gi, '').toUpperCase() !== r.fingerprint ? ` (for ${r.query})` : '';
  const uid = r.userIds?.[0] ? `  ${r.userIds[0]}` : '';
  const from = r.sources?.length ? `  from ${r.sources.join(' and ')}` : r.source ? `  from ${r.source}` : '';
  const status = r.status.padEnd(10);
  if (r.status === 'new' || r.status === 'updated' || r.status === 'unchanged') {
    const changed = r.status === 'updated' ? formatAdded(r) : r.secretKeysStored ? `${r.secretKeysStored} secret key${r.secretKeysStored === 1 ? '' : 's'} stored` : '';
    return `${status} ${who}${uid}${changed ? ` (${changed})` : ''}${from}${asked}`;
  }
  return `${status} ${who}${asked}: ${r.reason ?? 'no reason given'}${r.code ? ` (${r.code})` : ''}${from}`;
}

/** "2 new, 1 updated, 0 unchanged, 0 rejected": an import's counts, as the CLI and the TUI say them. */
export function formatImportCounts(s: ImportReport['summary']): string {
  return `${s.new} new, ${s.updated} updated, ${s.unchanged} unchanged, ${s.rejected} rejected`;
}

export function formatImportReport(report: { results: readonly ReportedResult[]; summary: ImportReport['summary'] }): string[] {
  // Notes (a skipped subkey, an unverified email answer) follow their key's line.
  const lines = report.results.flatMap((r) => [
    formatImportLine(r),
    ...(r.flooding ? [`           ${formatFlooding(r.flooding)}`] : []),
    ...(r.notes ?? []).map((note) => `           note: ${note}`),
  ]);
  lines.push(formatImportCounts(report.summary));
  return lines;
}

/** More keys than this failing for the same reason (a host down, a rate limit) are reported in one line. */
const GROUP_FAILURES_OVER = 3;

/**
 * `sync` results: one line per key, except that keys failing for one shared reason (the server
 * cannot be reached or asked us to wait) are one line with the count; `--json` lists them all.
 */
export function formatSyncResults(results: (ReportedResult & { nextStep?: string })[]): string[] {
  const groups = new Map<string, typeof results>();
  for (const r of results) {
    if (r.status !== 'failed') continue;
    const key = `${r.code ?? ''}\0${r.reason ?? ''}`;
    const group = groups.get(key);
    if (group) group.push(r);
    else groups.set(key, [r]);
  }
  const lines: string[] = [];
  for (const r of results) {
    const group = r.status === 'failed' ? groups.get(`${r.code ?? ''}\0${r.reason ?? ''}`)! : [r];
    if (group.length <= GROUP_FAILURES_OVER) lines.push(formatImportLine(r));
    else if (group[0] === r) {
      const detail = [r.code, r.nextStep && `next: ${r.nextStep}`].filter(Boolean).join('; ');
      lines.push(`${group.length} keys not synced: ${r.reason ?? 'no reason given'}${detail ? ` (${detail})` : ''}`);
    }
  }
  return lines;
}

export function formatSearchHits(hits: SearchHit[]): string[] {
  const lines: string[] = [];
  hits.forEach((h, i) => {
    const flags = [h.revoked && 'revoked', h.expired && 'expired', h.disabled && 'disabled'].filter(Boolean);
    lines.push(`${String(i + 1).padStart(3)}. ${h.fingerprint ?? h.keyId ?? '?'}  ${h.algorithm ?? '?'}  created ${h.created ? day(h.created) : 'unknown'}  expires ${day(h.expires)}${flags.length ? `  [${flags.join(', ')}]` : ''}`);
    for (const u of h.userIds) lines.push(`       ${u}`);
    lines.push(`       from ${(h.sources ?? [h.source]).join(' and ')}`);
  });
  lines.push(`${hits.length} key${hits.length === 1 ? '' : 's'} found`);
  return lines;
}

export function formatStatusLine(s: { fingerprint: string; state: string; addresses: string[]; checkedAt: string; server?: string }): string {
  const what =
    s.state === 'published' ? `published as ${s.addresses.join(', ')}` : s.state === 'no-verified-identity' ? 'on the server, but no address is verified' : 'not published';
  return `${s.fingerprint}  ${what}  (checked ${s.checkedAt.slice(0, 19).replace('T', ' ')}${s.server ? ` on ${s.server}` : ''})`;
}

/** A key's publish status without its fingerprint, as key details (`show`, the TUI) give it. */
export function formatKeyStatus(s: Omit<Parameters<typeof formatStatusLine>[0], 'fingerprint'>): string {
  return formatStatusLine({ ...s, fingerprint: '' }).trim();
}

/** The plugins' rows of key details (`show`, the TUI), aligned with the built-in rows. */
export function formatDetailRows(rows: readonly { label: string; value: string }[]): string[] {
  return rows.map((row) => `  ${row.label.padEnd(12)} ${row.value}`);
}

/** One `servers list` line: default mark, URL, transport, and the last test (its detail when it failed). */
export function formatServerLine(e: { url: string; protocol?: string | null; isDefault: boolean; https: boolean; lastTest: { ok: boolean; latencyMs: number | null; detail: string; at: string } | null }): string {
  const t = e.lastTest;
  const when = t ? t.at.slice(0, 19).replace('T', ' ') : '';
  const test = !t ? 'untested' : t.ok ? `ok ${t.latencyMs ?? '?'} ms (${when})` : `failed (${when}): ${t.detail}`;
  return `${e.isDefault ? '*' : ' '} ${e.url.padEnd(40)} ${(e.protocol ?? '?').padEnd(4)} ${e.https ? 'https' : 'PLAIN'}  ${test}`;
}

/** One `config list` entry: the value, then what the setting is, its type, allowed values and default. */
export function formatSettingRow(r: { key: string; value: unknown; default: unknown; description: string; type: string; allowed: string | null }): string[] {
  const accepts = `${r.type}${r.allowed ? `, ${r.allowed}` : ''}; default ${JSON.stringify(r.default)}`;
  return [`${r.key} = ${JSON.stringify(r.value)}`, `    ${r.description} (${accepts})`];
}

/** `1 subkey`, `2 subkeys`. */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

/** What a stale server copy lacks, in one phrase: `1 subkey, 2 newer self-signatures, 1 revocation`. */
export function formatMissing(m: KeyServerCopies['servers'][number]['missing']): string {
  const parts = [
    m.userIds.length ? `${plural(m.userIds.length, 'user ID')} (${m.userIds.join(', ')})` : '',
    m.subkeys.length ? `${plural(m.subkeys.length, 'subkey')} (${m.subkeys.join(', ')})` : '',
    m.selfSignatures.length ? `${plural(m.selfSignatures.length, 'newer self-signature')} (${m.selfSignatures.map((s) => `${s.component === 'key' ? 'key' : s.name} ${s.created.slice(0, 10)}`).join(', ')})` : '',
    m.revocations.length ? `${plural(m.revocations.length, 'revocation')} (${m.revocations.map((s) => (s.component === 'key' ? 'key' : s.name)).join(', ')})` : '',
  ];
  return parts.filter(Boolean).join(', ');
}

/** One key's server copies: the fingerprint, then one row per server. */
export function formatServerCopies(k: KeyServerCopies): string[] {
  return [
    k.fingerprint,
    ...k.servers.map((s) => {
      const where = `${s.server} (${s.protocol ?? 'no protocol'})`;
      if (s.state === 'stale') return `  ${s.state.padEnd(10)} ${where}  lacks ${formatMissing(s.missing)}`;
      if (s.state === 'current') return `  ${s.state.padEnd(10)} ${where}`;
      return `  ${s.state.padEnd(10)} ${where}  ${s.reason}`;
    }),
  ];
}
