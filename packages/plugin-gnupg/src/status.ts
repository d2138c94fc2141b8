/** One `IMPORT_OK` / `IMPORT_PROBLEM` status line of `gpg --status-fd`, by fingerprint. */
export interface ImportStatusLine {
  kind: 'ok' | 'problem';
  /** IMPORT_OK: ORed flags (1 new key, 2 new user IDs, 4 new signatures, 8 new subkeys, 16 secret key). */
  flags: number;
  /** IMPORT_PROBLEM: the reason code. */
  reason: number;
  fingerprint: string | null;
}

/** The counts of `IMPORT_RES`. */
export interface ImportTotals {
  count: number;
  noUserId: number;
  imported: number;
  unchanged: number;
  userIds: number;
  subkeys: number;
  signatures: number;
  revocations: number;
}

/** IMPORT_PROBLEM reasons (doc/DETAILS). */
export const IMPORT_PROBLEMS: Record<number, string> = {
  0: 'gpg gave no reason',
  1: 'invalid certificate',
  2: 'issuer certificate missing',
  3: 'certificate chain too long',
  4: 'error storing certificate',
};

/** Parses the status lines of `gpg --status-fd 1 --import`. */
export function parseImportStatus(text: string): { lines: ImportStatusLine[]; totals: ImportTotals | null } {
  const lines: ImportStatusLine[] = [];
  let totals: ImportTotals | null = null;
  for (const line of text.split('\n')) {
    const f = line.trim().split(' ');
    if (f[0] !== '[GNUPG:]') continue;
    if (f[1] === 'IMPORT_OK') lines.push({ kind: 'ok', flags: Number(f[2]), reason: 0, fingerprint: f[3]?.toUpperCase() ?? null });
    else if (f[1] === 'IMPORT_PROBLEM') lines.push({ kind: 'problem', flags: 0, reason: Number(f[2]), fingerprint: f[3]?.toUpperCase() ?? null });
    else if (f[1] === 'IMPORT_RES') {
      const n = f.slice(2).map(Number);
      totals = { count: n[0]!, noUserId: n[1]!, imported: n[2]!, unchanged: n[4]!, userIds: n[5]!, subkeys: n[6]!, signatures: n[7]!, revocations: n[8]! };
    }
  }
  return { lines, totals };
}
