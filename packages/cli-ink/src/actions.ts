import type { ImportReport, Keyport, KeyRecord, SyncReport } from '@keyport/core';
import { formatImportCounts } from './output.js';

/**
 * Actions the CLI commands and the TUI screens share, so a behaviour is written once: each
 * takes the runtime and returns data or text lines, and prints nothing itself.
 */

/** KeyServerSync's setting for fetching the publish status whenever key details are shown. */
export const AUTO_STATUS = 'keyserversync.autoStatus';

/** Whether the user turned {@link AUTO_STATUS} on; false when the module that owns it is not built in at all. */
export function autoStatusOn(kp: Keyport): boolean {
  return kp.settings.has(AUTO_STATUS) && kp.settings.get<boolean>(AUTO_STATUS);
}

/** Whether showing a key should fetch its publish status: the user turned it on and a verifying server is routed. */
export function autoStatusWanted(kp: Keyport): boolean {
  return autoStatusOn(kp) && Boolean(kp.routing.route('status'));
}

/**
 * A key's record for its details, with the publish status fetched first when
 * {@link autoStatusWanted}. A failed fetch is a warning, not an error: the details still show.
 */
export async function keyForDetails(kp: Keyport, id: string, options: { signal?: AbortSignal; warn: (text: string) => void }): Promise<KeyRecord> {
  const record = await kp.keyring.resolve(id);
  if (!autoStatusWanted(kp)) return record;
  try {
    await kp.publishing.status([record.summary.fingerprint], { signal: options.signal });
    return await kp.keyring.resolve(record.summary.fingerprint);
  } catch (e) {
    options.warn(`publish status not available: ${(e as Error).message}`);
    return record;
  }
}

/** "2 updated, 1 unchanged, …": a sync's counts, as the CLI and the TUI say them. */
export function syncCounts(report: Pick<SyncReport, 'summary'>): string {
  const s = report.summary;
  return `${s.updated} updated, ${s.unchanged} unchanged, ${s.rejected} rejected, ${s['not-found']} not on the server, ${s.failed} failed, ${s.skipped} skipped`;
}

/** A server import's counts, as the CLI and the TUI say them. */
export function serverImportCounts(summary: ImportReport['summary'] & { notFound: number }): string {
  return `${formatImportCounts(summary)}, ${summary.notFound} not found`;
}
