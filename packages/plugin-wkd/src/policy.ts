/**
 * A WKD policy file: one `keyword` or `keyword: value` per line, `#` comments, keywords
 * case-insensitive, unknown keywords kept (they may be ignored). An empty file is a valid policy.
 */
export type WkdPolicy = Record<string, string | true>;

export function parsePolicy(text: string): WkdPolicy {
  const policy: WkdPolicy = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    const m = /^([A-Za-z0-9-]+)\s*(?::\s*(.*))?$/.exec(line);
    if (!m) continue;
    policy[m[1]!.toLowerCase()] = m[2] === undefined ? true : m[2].trim();
  }
  return policy;
}
