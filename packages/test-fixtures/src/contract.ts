import { describe, expect, it, afterAll } from 'vitest';
import * as openpgp from 'openpgp';
import { readFileSync } from 'node:fs';
import { fixturePath, manifest } from './index.js';

/**
 * The shapes the contract needs; structurally the same as @keyport/core's ProtocolEngine (kept
 * local so test-fixtures does not depend on core).
 */
export interface ContractEngine {
  id: string;
  supports(url: URL): boolean;
  search?(server: URL, query: { kind: string; value: string }): Promise<{ fingerprint: string | null; keyId: string | null; userIds: string[] }[]>;
  lookup?(server: URL, query: { kind: string; value: string }): Promise<Uint8Array | null>;
  probe?(server: URL): Promise<{ reachable: boolean; speaksProtocol: boolean; latencyMs: number | null; detail: string }>;
  upload?: unknown;
  requestVerification?: unknown;
  publishStatus?: unknown;
}

/** The optional verbs of a protocol engine. */
export const CONTRACT_VERBS = ['search', 'lookup', 'upload', 'requestVerification', 'publishStatus', 'probe'] as const;
export type ContractVerb = (typeof CONTRACT_VERBS)[number];

export interface ContractOptions {
  /** Label for the describe block. */
  name: string;
  /**
   * The verbs the engine implements. The contract fails when the engine lacks one of them or has
   * one not listed, and runs the checks of every listed verb it knows (search, lookup, probe).
   */
  verbs: readonly ContractVerb[];
  /** A fresh engine. */
  engine: () => ContractEngine | Promise<ContractEngine>;
  /** Starts a server speaking the engine's protocol holding these armored keys. */
  startServer: (armoredKeys: string[]) => Promise<{ url: string; stop(): Promise<void> }>;
  /** A URL scheme the engine must not claim. */
  foreignUrl?: string;
  /** The engine's servers cannot do text search (Hagrid, VKS): skip that check. */
  exactOnly?: boolean;
  /** A URL of this protocol where nothing answers; default: the live server's URL on port 1. */
  unreachable?: (live: URL) => URL;
}

/**
 * The protocol-plugin contract: every engine runs it on its own fixture server.
 *
 * ```ts
 * runProtocolEngineContract({ name: 'my-engine', verbs: ['search', 'lookup', 'probe'], engine: () => new MyEngine(http), startServer: startMyFixture });
 * ```
 */
export function runProtocolEngineContract(options: ContractOptions): void {
  describe(`protocol engine contract: ${options.name}`, () => {
    const held = ['ed25519', 'rsa4096'] as const;
    const armored = held.map((n) => readFileSync(fixturePath(manifest[n].file), 'utf8'));
    let server: { url: string; stop(): Promise<void> } | undefined;
    const url = async () => {
      server ??= await options.startServer(armored);
      return new URL(server.url);
    };
    afterAll(async () => {
      await server?.stop();
    });

    it(`implements exactly the verbs it declares (${options.verbs.join(', ')})`, async () => {
      const engine = await options.engine();
      const implemented = CONTRACT_VERBS.filter((verb) => typeof engine[verb] === 'function');
      expect(implemented).toEqual(CONTRACT_VERBS.filter((verb) => options.verbs.includes(verb)));
    });

    /** Registers a verb's check only when the engine declares the verb (nothing shows as skipped). */
    const itFor = (verb: ContractVerb) => (options.verbs.includes(verb) ? it : (_name: string, _fn: () => Promise<void>) => undefined);

    /** The engine's verb, which it declared; a declared verb that is missing fails the check. */
    const declared = <V extends 'search' | 'lookup' | 'probe'>(engine: ContractEngine, verb: V): NonNullable<ContractEngine[V]> => {
      const fn = engine[verb];
      if (typeof fn !== 'function') throw new Error(`the engine declares ${verb} but does not implement it`);
      return fn.bind(engine) as NonNullable<ContractEngine[V]>;
    };

    it('answers supports() without I/O, and not for foreign schemes', async () => {
      const engine = await options.engine();
      expect(engine.supports(await url())).toBe(true);
      expect(engine.supports(new URL(options.foreignUrl ?? 'gopher://example.org'))).toBe(false);
    });

    itFor('search')('search: finds a held key by fingerprint; an unknown key is an empty list, not an error', async () => {
      const search = declared(await options.engine(), 'search');
      const hits = await search(await url(), { kind: 'fingerprint', value: manifest.ed25519.fingerprint });
      expect(hits.map((h) => h.fingerprint ?? h.keyId)).toEqual([expect.stringMatching(new RegExp(`${manifest.ed25519.keyId}$`))]);
      expect(await search(await url(), { kind: 'fingerprint', value: '0'.repeat(40) })).toEqual([]);
      if (!options.exactOnly) {
        const text = await search(await url(), { kind: 'text', value: 'Rita' });
        expect(text.map((h) => h.fingerprint)).toContain(manifest.rsa4096.fingerprint);
      }
    });

    itFor('lookup')('lookup: returns the requested certificate, by fingerprint, key ID and email; null when unknown', async () => {
      const lookup = declared(await options.engine(), 'lookup');
      for (const query of [
        { kind: 'fingerprint', value: manifest.rsa4096.fingerprint },
        { kind: 'keyId', value: manifest.rsa4096.keyId },
        { kind: 'email', value: 'rita@example.org' },
      ]) {
        const bytes = await lookup(await url(), query);
        expect(bytes, query.kind).not.toBeNull();
        const text = Buffer.from(bytes!).toString('latin1');
        const keys = text.includes('-----BEGIN PGP') ? await openpgp.readKeys({ armoredKeys: text }) : await openpgp.readKeys({ binaryKeys: bytes! });
        expect(keys.map((k) => k.getFingerprint().toUpperCase())).toContain(manifest.rsa4096.fingerprint);
      }
      expect(await lookup(await url(), { kind: 'fingerprint', value: '0'.repeat(40) })).toBeNull();
    });

    itFor('probe')('probe: a server of this protocol speaks it; a closed port is unreachable', async () => {
      const probe = declared(await options.engine(), 'probe');
      expect(await probe(await url())).toMatchObject({ reachable: true, speaksProtocol: true });
      const live = await url();
      const closed = options.unreachable?.(live) ?? Object.assign(new URL(live), { port: '1' });
      expect(await probe(closed)).toMatchObject({ reachable: false, speaksProtocol: false });
    });
  });
}
