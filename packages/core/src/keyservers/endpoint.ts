/**
 * The endpoint a key server URL reaches, as a comparable string: `hkp://host` is
 * `http://host:11371`, `hkps://host` is `https://host`, default ports and a trailing slash are
 * dropped. Two list entries with one endpoint are one server, and reports name servers this
 * way (search hits, import reports), so the same server is never spelt two ways.
 */
export function serverEndpoint(server: URL | string): string {
  const url = typeof server === 'string' ? new URL(server) : server;
  if (url.protocol !== 'hkp:' && url.protocol !== 'hkps:') return `${url.protocol}//${url.host.toLowerCase()}${url.pathname.replace(/\/+$/, '')}`;
  const protocol = url.protocol === 'hkp:' ? 'http:' : 'https:';
  const port = url.port || (url.protocol === 'hkp:' ? '11371' : '');
  // Re-parsed as http(s) so the default port (80, 443) disappears as it does for those schemes.
  const effective = new URL(`${protocol}//${url.hostname}${port ? `:${port}` : ''}${url.pathname}`);
  return `${effective.protocol}//${effective.host.toLowerCase()}${effective.pathname.replace(/\/+$/, '')}`;
}

/** Parses `text` and returns its endpoint, or undefined when it is not a URL. */
export function endpointOf(text: string): string | undefined {
  try {
    return serverEndpoint(new URL(text));
  } catch {
    return undefined;
  }
}
