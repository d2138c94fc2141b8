import {
  ErrorCodes,
  InputError,
  SettingsError,
  isCancelled,
  toKeyportError,
  type ImportReport,
  type ImportResult,
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

/**
 * The one place where an error becomes what a person sees: one line with the code and the next
 * step (and, with --json, the same as an object on stdout). Cancellation prints nothing.
 */
export function reportError(error: unknown, io: Io, json: boolean): number {
  if (isCancelled(error)) return 130;
  const e = toKeyportError(error);
  const next = e.nextStep ? ` (next: ${e.nextStep})` : '';
  io.stderr.write(`keyport: ${e.code} ${e.message}${next}\n`);
  if (json) io.stdout.write(`${JSON.stringify({ error: e.toJSON() })}\n`);
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
    userIdDetails: s.userIds.map((u) => ({ ...u, expired: isExpired(u.expires, now) })),
    subkeyDetails: s.subkeys.map((k) => ({ ...k, expired: isExpired(k.expires, now) })),
  };
}

export function isExpired(expires: string | null, now = Date.now()): boolean {
  return expires !== null && Date.parse(expires) <= now;
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
  const uid = s.userIds.find((u) => u.primary)?.userId ?? s.userIds[0]?.userId ?? '(no user ID)';
  return `${kind} ${s.algorithm.padEnd(9)} ${s.fingerprint}  ${day(s.created)}  ${uid}${flags(s, now)}`;
}

export function formatKeyDetails(record: KeyRecord, now = Date.now()): string {
  const s = record.summary;
  const lines = [
    `${record.hasSecret ? 'Secret key' : 'Public key'}${flags(s, now)}`,
    `  Fingerprint  ${groupFingerprint(s.fingerprint)}`,
    `  Key ID       ${s.keyId}`,
    `  Algorithm    ${s.algorithm}${s.curve && !s.algorithm.includes(s.curve) ? ` (${s.curve})` : ''}`,
    `  Created      ${s.created}`,
    `  Expires      ${s.expires ?? 'never'}`,
    `  Usage        ${s.usage.join(', ') || '-'}`,
  ];
  if (record.hasSecret) lines.push(`  Secret       ${record.secretPrimary === 'present' ? 'primary key present' : record.secretPrimary === 'stub' ? 'primary key offline (stub); subkeys only' : 'subkeys only'}`);
  if (s.revocation) lines.push(`  Revoked      ${s.revocation.date ?? ''} ${revocationText(s.revocation.code)}${s.revocation.reason ? `: ${s.revocation.reason}` : ''}`);
  lines.push('  User IDs');
  for (const u of s.userIds) {
    const state = u.revoked ? 'revoked' : isExpired(u.expires, now) ? 'expired' : 'valid';
    lines.push(`    [${state.padEnd(7)}] ${u.userId}${u.primary ? ' (primary)' : ''}`);
  }
  if (s.subkeys.length) lines.push('  Subkeys');
  for (const k of s.subkeys) {
    const state = k.revoked ? 'revoked' : isExpired(k.expires, now) ? 'expired' : 'valid';
    lines.push(`    [${state.padEnd(7)}] ${k.algorithm.padEnd(9)} ${k.fingerprint}  created ${day(k.created)}  expires ${day(k.expires)}  ${k.usage.join(',') || '-'}`);
  }
  return lines.join('\n');
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
export function formatModuleLine(m: { state: string; id: string; version: string }, rest: string, details: string[]): string {
  return `${m.state.padEnd(8)} ${m.id.padEnd(16)} ${m.version.padEnd(8)} ${rest}${details.map((d) => `\n         ${d}`).join('')}`;
}

/** What an import or merge added, e.g. "+1 user IDs, +2 signatures". */
export function formatAdded(r: { added: ImportResult['added']; secretKeysStored?: number }): string {
  const a = r.added;
  return [
    a.userIds && `+${a.userIds} user IDs`,
    a.subkeys && `+${a.subkeys} subkeys`,
    a.signatures && `+${a.signatures} signatures`,
    a.revocations && `+${a.revocations} revocations`,
    r.secretKeysStored && `+${r.secretKeysStored} secret keys`,
  ]
    .filter(Boolean)
    .join(', ');
}

/** Why a flooded key came in without most of its certifications. */
export function formatFlooding(f: NonNullable<ImportResult['flooding']>): string {
  const uids = f.userIds === 1 ? '1 user ID' : `${f.userIds} user IDs`;
  return `flooded key: dropped ${f.dropped} certifications by keys not in the keyring (${uids} had more than ${f.limit}; limit: import.maxCertificationsPerUserId)`;
}

export function formatImportReport(report: ImportReport): string {
  const lines: string[] = [];
  for (const r of report.results) {
    const who = r.fingerprint ?? '(unknown key)';
    const uid = r.userIds?.[0] ? `  ${r.userIds[0]}` : '';
    if (r.status === 'rejected') lines.push(`rejected   ${who}: ${r.reason}`);
    else if (r.status === 'updated') lines.push(`updated    ${who}${uid} (${formatAdded(r)})`); else lines.push(`${r.status.padEnd(10)} ${who}${uid}`);
    if (r.flooding) lines.push(`           ${formatFlooding(r.flooding)}`);
  }
  const s = report.summary;
  lines.push(`${s.new} new, ${s.updated} updated, ${s.unchanged} unchanged, ${s.rejected} rejected`);
  return lines.join('\n');
}

export function formatSearchHits(hits: SearchHit[]): string {
  const lines: string[] = [];
  hits.forEach((h, i) => {
    const flags = [h.revoked && 'revoked', h.expired && 'expired', h.disabled && 'disabled'].filter(Boolean);
    const alg = `${h.algorithm ?? '?'}${h.bits ? h.bits : ''}`;
    lines.push(`${String(i + 1).padStart(3)}. ${h.fingerprint ?? h.keyId ?? '?'}  ${alg}  created ${day(h.created)}  expires ${day(h.expires)}${flags.length ? `  [${flags.join(', ')}]` : ''}`);
    for (const u of h.userIds) lines.push(`       ${u}`);
  });
  lines.push(`${hits.length} key${hits.length === 1 ? '' : 's'} found`);
  return lines.join('\n');
}

export function formatStatusLine(s: { fingerprint: string; state: string; addresses: string[]; checkedAt: string; server?: string }): string {
  const what =
    s.state === 'published' ? `published as ${s.addresses.join(', ')}` : s.state === 'no-verified-identity' ? 'on the server, but no address is verified' : 'not published';
  return `${s.fingerprint}  ${what}  (checked ${s.checkedAt.slice(0, 19).replace('T', ' ')}${s.server ? ` on ${s.server}` : ''})`;
}
