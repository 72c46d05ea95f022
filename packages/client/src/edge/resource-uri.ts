/** Latchkey stores and compares an audience of at most this many characters. */
const MAX_RESOURCE_LENGTH = 256;

/**
 * A resource indicator (RFC 8707 §2) in the one spelling Latchkey compares audiences in, or null
 * for what is not one: an absolute http(s) URI with no fragment and no user information, its
 * scheme and host lower-cased and default port dropped (as the URL parser leaves them), and a
 * bare `/` path dropped, so `https://MCP.example.com:443/` and `https://mcp.example.com` are one.
 */
export function canonicalResource(text: unknown): string | null {
  if (typeof text !== 'string' || text.length > MAX_RESOURCE_LENGTH) return null;
  if (/[^\x21-\x7e]/.test(text) || text.includes('#') || !URL.canParse(text)) return null;
  const url = new URL(text);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (url.username !== '' || url.password !== '') return null;
  const path = url.pathname === '/' ? '' : url.pathname;
  const canonical = `${url.protocol}//${url.host}${path}${url.search}`;
  return canonical.length > MAX_RESOURCE_LENGTH ? null : canonical;
}

/**
 * Hosts where plain `http` is taken (RFC 8252 §7.3's loopback): the traffic never leaves the
 * machine. `[::1]` is how the URL parser spells IPv6's.
 */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** Whether `url` is https, or http on a loopback host: what OAuth takes for its endpoints. */
export function isSecureOrLoopback(url: URL): boolean {
  return (
    url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))
  );
}
