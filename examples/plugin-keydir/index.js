// keyport-plugin-keydir: a folder of key files (.asc, .gpg, .pgp) served as a key server.
// Server URLs look like keydir:///srv/keys. Everything comes from @keyport/core's public API.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  ErrorCodes,
  KeyportError,
  definePlugin,
  dearmorAll,
  readPackets,
  serializeCertificate,
  splitCertificates,
  summarize,
  z,
} from '@keyport/core';

/** Every certificate in the folder, with its summary. */
async function readFolder(folder, maxFiles) {
  let names;
  try {
    names = (await fs.readdir(folder)).filter((n) => /\.(asc|gpg|pgp)$/.test(n)).sort();
  } catch {
    throw new KeyportError(ErrorCodes.NetworkUnreachable, `key folder ${folder} cannot be read`, {
      nextStep: 'check the path in the keydir:// URL',
    });
  }
  const certificates = [];
  for (const name of names.slice(0, maxFiles)) {
    const bytes = new Uint8Array(await fs.readFile(path.join(folder, name)));
    const binary = bytes[0] & 0x80 ? bytes : dearmorAll(bytes);
    for (const { parts } of splitCertificates(readPackets(binary)).certificates) {
      certificates.push({ parts, summary: await summarize(parts) });
    }
  }
  return certificates;
}

/** Does a certificate answer the query? Fingerprints and key IDs match subkeys too. */
function matches({ summary }, query) {
  const fingerprints = [summary.fingerprint, ...summary.subkeys.map((s) => s.fingerprint)];
  switch (query.kind) {
    case 'fingerprint':
      return fingerprints.includes(query.value);
    case 'keyId':
      return fingerprints.some((f) => f.endsWith(query.value));
    case 'email':
      return summary.userIds.some((u) => u.email === query.value);
    default:
      return summary.userIds.some((u) => u.userId.toLowerCase().includes(query.value.toLowerCase()));
  }
}

/** The protocol engine: search, lookup and probe on keydir:// URLs. */
export function createKeydirEngine(maxFiles = () => 10_000) {
  const folderOf = (server) => decodeURIComponent(server.pathname);
  return {
    id: 'keydir',
    label: 'Key folder',
    supports: (url) => url.protocol === 'keydir:',
    async search(server, query) {
      const found = (await readFolder(folderOf(server), maxFiles())).filter((c) => matches(c, query));
      return found.map(({ summary: s }) => ({
        fingerprint: s.fingerprint,
        keyId: s.keyId,
        algorithmId: null,
        algorithm: s.algorithm,
        bits: s.bits,
        created: s.created,
        expires: s.expires,
        revoked: s.revoked,
        expired: s.expires !== null && Date.parse(s.expires) <= Date.now(),
        disabled: false,
        userIds: s.userIds.map((u) => u.userId),
        source: server.href,
      }));
    },
    async lookup(server, query) {
      const found = (await readFolder(folderOf(server), maxFiles())).filter((c) => matches(c, query));
      return found.length === 0 ? null : Buffer.concat(found.map((c) => serializeCertificate(c.parts)));
    },
    async probe(server) {
      const started = Date.now();
      const stat = await fs.stat(folderOf(server)).catch(() => null);
      return {
        reachable: stat !== null,
        speaksProtocol: stat?.isDirectory() ?? false,
        latencyMs: Date.now() - started,
        detail: stat?.isDirectory() ? 'a readable key folder' : 'no such folder',
      };
    },
  };
}

export default definePlugin({
  id: 'keydir',
  name: 'Key folder',
  version: '1.0.0',
  apiVersion: '^1.0.0',
  description: 'Serve a folder of key files as a key server (keydir:///path)',
  declare: () => ({
    settings: [
      {
        key: 'keydir.maxFiles',
        schema: z.number().int().positive(),
        default: 10_000,
        description: 'Most key files read from one folder',
      },
    ],
    // A command of its own: `keyport keydir-list FOLDER` (shown in `keyport --help`).
    commands: [
      {
        name: 'keydir-list',
        description: 'list the keys a key folder serves',
        arguments: [{ name: '<folder>', description: 'the folder of key files' }],
        run: async ({ args, json, print, printJson, context }) => {
          const found = await readFolder(path.resolve(args[0]), context.setting('keydir.maxFiles'));
          const keys = found.map(({ summary: s }) => ({ fingerprint: s.fingerprint, userIds: s.userIds.map((u) => u.userId) }));
          if (json) printJson(keys);
          else print(keys.length ? keys.map((k) => `${k.fingerprint} ${k.userIds[0] ?? ''}`) : `no keys in ${args[0]}`);
        },
      },
    ],
  }),
  activate(ctx) {
    ctx.registerEngine(createKeydirEngine(() => ctx.setting('keydir.maxFiles')));
    let changes = 0;
    ctx.on('keyring:changed', () => changes++);
    ctx.contributeStatusItem({ id: 'keydir-changes', label: 'keyring changes seen', value: () => String(changes) });
    ctx.log.info('serving keydir:// URLs');
  },
});
