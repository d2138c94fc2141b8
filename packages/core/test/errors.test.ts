import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, InputError, KeyportError, toKeyportError } from '../src/index.js';

const docs = readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'errors.md'), 'utf8');

describe('error codes', () => {
  it('are unique and each is documented in docs/errors.md under its name, and nothing else is', () => {
    const codes = Object.entries(ErrorCodes);
    expect(new Set(codes.map(([, c]) => c)).size).toBe(codes.length);
    const documented = [...docs.matchAll(/^\| `(KP\d{4})` \| (\w+) \|/gm)].map((m) => [m[2], m[1]]);
    expect(documented.sort()).toEqual(codes.map(([n, c]) => [n, c]).sort());
  });

  it('turns unknown throws into a coded internal error that asks for a bug report', () => {
    const e = toKeyportError(new TypeError('boom'));
    expect(e).toBeInstanceOf(KeyportError);
    expect(e.code).toBe(ErrorCodes.Internal);
    expect(e.nextStep).toMatch(/bug/);
    const input = new InputError(ErrorCodes.InputEmpty, 'empty', { nextStep: 'give a key' });
    expect(toKeyportError(input)).toBe(input);
    expect(input.toJSON()).toEqual({ code: 'KP1302', name: 'InputError', message: 'empty', nextStep: 'give a key', pluginId: null, retryable: false });
  });
});
