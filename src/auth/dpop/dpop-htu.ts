/**
 * The form in which an `htu` and the request's own URL are compared (RFC 9449 §4.3 step 9:
 * "ignoring any query and fragment parts", after RFC 3986 §6.2.2 and §6.2.3 normalisation):
 * the WHATWG parser lowercases the scheme and the host, drops a scheme's default port, resolves
 * dot segments and turns an empty path into `/`; percent-encoding is then made canonical. A
 * lenient spelling (`HTTPS://Server.Example.com:443/token?x#y`) only ever names the same
 * resource, so accepting it lets no proof reach an endpoint it was not signed for. Null for
 * what is no http(s) URL, or carries credentials (`https://user@host/`): no client sends one.
 */
export function normalizeHtu(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (url.username !== '' || url.password !== '') return null;
  return `${url.protocol}//${url.host}${canonicalPercents(url.pathname)}`;
}

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/** RFC 3986 §6.2.2.1–2: `%7e` is `~`, and `%2f` is `%2F`; the parser does neither. */
function canonicalPercents(path: string): string {
  return path.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => {
    const char = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`;
  });
}
