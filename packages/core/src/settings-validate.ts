import type { z } from 'zod';
import { endpointOf } from './keyservers/endpoint.js';
import type { SettingDefinition } from './settings.js';

/** Something wrong with the settings taken together (not with one value on its own). */
export interface SettingsProblem {
  /** The setting the problem is about. */
  key: string;
  /** What is wrong, without the file name. */
  message: string;
  /** How to fix it by editing the file. */
  fixInFile: string;
  /** The commands that make the change properly (what `config set` suggests instead), after "use". */
  command: string;
  /** Errors stop keyport; warnings are shown and keyport goes on. */
  severity: 'error' | 'warning';
}

/**
 * The rules that tie settings together: the server list is not empty, the default server is
 * one of the listed servers, and no endpoint is listed twice (`hkps://h` and `https://h` are
 * one server). `get` returns a setting's effective value (stored, or its default).
 */
export function checkSettingsTogether(get: (key: string) => unknown): SettingsProblem[] {
  const problems: SettingsProblem[] = [];
  const list = get('keyservers.list') as string[];
  const def = get('keyservers.default') as string;
  if (list.length === 0) {
    problems.push({
      key: 'keyservers.list',
      message: '"keyservers.list" is empty: search and import need a key server',
      fixInFile: 'put at least one server in "keyservers.list", e.g. ["https://keyserver.ubuntu.com"]',
      command: '`keyport servers add URL` and `keyport servers remove URL` (the list always keeps one server)',
      severity: 'error',
    });
    return problems;
  }
  const endpoints = list.map((u) => endpointOf(u) ?? u);
  if (!endpoints.includes(endpointOf(def) ?? def)) {
    problems.push({
      key: 'keyservers.default',
      message: `the default server ${def} is not in "keyservers.list" (${list.join(', ')})`,
      fixInFile: `set "keyservers.default" to one of the listed servers, or add ${def} to "keyservers.list"`,
      command: `\`keyport servers add ${def}\`, then \`keyport servers default ${def}\` (or choose a listed server: \`keyport servers default ${list[0]}\`)`,
      severity: 'error',
    });
  }
  const seen = new Map<string, string>();
  for (const [i, url] of list.entries()) {
    const first = seen.get(endpoints[i]!);
    if (first !== undefined) {
      problems.push({
        key: 'keyservers.list',
        message: `${url} and ${first} in "keyservers.list" are the same server (${endpoints[i]})`,
        fixInFile: `remove ${url} from "keyservers.list"`,
        command: `\`keyport servers remove ${url}\``,
        severity: 'warning',
      });
    } else seen.set(endpoints[i]!, url);
  }
  return problems;
}

/**
 * Keys in the settings file that no setting defines, each with the nearest known key. A key
 * under a known module's namespace (`wkd.…` while WKD is disabled) is not unknown: its module
 * defines it when enabled.
 */
export function unknownSettingKeys(data: Record<string, unknown>, known: readonly string[], moduleIds: readonly string[]): { key: string; nearest: string | undefined }[] {
  const found: { key: string; nearest: string | undefined }[] = [];
  const isKnown = (key: string) => known.includes(key) || moduleIds.some((id) => key === id || key.startsWith(`${id}.`));
  const isPrefix = (key: string) => known.some((k) => k.startsWith(`${key}.`));
  const walk = (node: Record<string, unknown>, prefix: string) => {
    for (const [name, value] of Object.entries(node)) {
      const key = prefix ? `${prefix}.${name}` : name;
      if (isKnown(key)) continue;
      if (isPrefix(key) && typeof value === 'object' && value !== null && !Array.isArray(value)) {
        walk(value as Record<string, unknown>, key);
        continue;
      }
      found.push({ key, nearest: nearestKey(key, known) });
    }
  };
  walk(data, '');
  return found;
}

/** The known key (or, for a key without a dot, known first part) closest to `key` by edit distance, if any is close. */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  const candidates = key.includes('.') ? known : [...new Set([...known.filter((k) => !k.includes('.')), ...known.map((k) => k.split('.')[0]!)])];
  let best: { key: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(key, candidate);
    if (!best || distance < best.distance) best = { key: candidate, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(key.length / 3)) ? best.key : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** What a setting accepts, for `config list`: its type and, where limited, the allowed values. */
export function describeSetting(def: Pick<SettingDefinition, 'schema'>): { type: string; allowed: string | null } {
  return describeSchema(def.schema);
}

interface ZodDefLike {
  typeName?: string;
  checks?: { kind: string; value?: number; inclusive?: boolean; regex?: RegExp }[];
  type?: z.ZodTypeAny;
  valueType?: z.ZodTypeAny;
  innerType?: z.ZodTypeAny;
  schema?: z.ZodTypeAny;
  values?: readonly string[];
}

function describeSchema(schema: z.ZodTypeAny): { type: string; allowed: string | null } {
  const def = schema._def as ZodDefLike;
  switch (def.typeName) {
    case 'ZodNumber': {
      const checks = def.checks ?? [];
      const int = checks.some((c) => c.kind === 'int');
      const min = checks.find((c) => c.kind === 'min');
      const max = checks.find((c) => c.kind === 'max');
      const low = min && (min.inclusive === false ? `> ${min.value}` : `>= ${min.value}`);
      const high = max && (max.inclusive === false ? `< ${max.value}` : `<= ${max.value}`);
      const allowed = min?.inclusive !== false && max?.inclusive !== false && min && max ? `${min.value}..${max.value}` : [low, high].filter(Boolean).join(' and ') || null;
      return { type: int ? 'integer' : 'number', allowed };
    }
    case 'ZodBoolean':
      return { type: 'boolean', allowed: null };
    case 'ZodString': {
      const checks = def.checks ?? [];
      if (checks.some((c) => c.kind === 'url')) return { type: 'URL', allowed: null };
      const regex = checks.find((c) => c.kind === 'regex')?.regex;
      return { type: 'string', allowed: regex ? `matching ${String(regex)}` : null };
    }
    case 'ZodEnum':
      return { type: 'string', allowed: (def.values ?? []).join(', ') };
    case 'ZodArray':
      return { type: `list of ${plural(describeSchema(def.type!).type)}`, allowed: null };
    case 'ZodRecord':
      return { type: `object of ${plural(describeSchema(def.valueType!).type)}`, allowed: null };
    case 'ZodObject':
      return { type: 'object', allowed: null };
    case 'ZodEffects':
      return describeSchema(def.schema!);
    case 'ZodOptional':
    case 'ZodNullable':
    case 'ZodDefault':
      return describeSchema(def.innerType!);
    default:
      return { type: 'JSON', allowed: null };
  }
}

const plural = (type: string) => (type === 'URL' ? 'URLs' : type.endsWith('s') || type.startsWith('list') || type.startsWith('object') ? type : `${type}s`);
