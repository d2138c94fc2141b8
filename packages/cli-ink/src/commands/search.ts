import { formatSearchHits } from '../output.js';
import type { CommandContext } from './context.js';

/** `keyport` commands: search key servers and key sources. */
export function registerSearch({ program, abort, globals, open, out, json }: CommandContext): void {
  program
    .command('search')
    .description('search a key server by fingerprint, key ID, email or text')
    .argument('<query...>', 'what to look for (words are joined with spaces)')
    .option('--server <url>', 'key server to ask (default: the default server, plus key sources such as WKD for email addresses)')
    .option('--source <id>', 'ask this key source only (e.g. wkd)')
    .action(async (words: string[], opts: { server?: string; source?: string }) => {
      const kp = await open();
      const { server, hits } = await kp.keyservers.search(words.join(' '), opts.server, abort.signal, { source: opts.source });
      if (globals().json) {
        json(hits.map((h) => ({ ...(h.fingerprint ? { fingerprint: h.fingerprint } : {}), keyId: h.keyId, algorithm: h.algorithm, bits: h.bits, curve: h.curve ?? null, created: h.created, expires: h.expires, revoked: h.revoked, expired: h.expired, disabled: h.disabled, userIds: h.userIds, source: h.source, sources: h.sources ?? [h.source] })));
      } else {
        out(hits.length === 0 ? `no keys found on ${server}` : formatSearchHits(hits));
      }
    });
}
