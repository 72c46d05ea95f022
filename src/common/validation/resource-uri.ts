import { ValidateBy } from 'class-validator';
import { AUDIENCE_LENGTH_MAX } from './byte-budget';

/**
 * A resource indicator (RFC 8707 §2) in its one spelling, or null for what is not one: an
 * absolute http(s) URI with no fragment and no user information, its scheme and host lower-cased
 * (as the URL parser leaves them), and a bare `/` path dropped, so `https://API.example.com/`
 * and `https://api.example.com` name one resource, as `PUBLIC_BASE_URL` spells it. At most
 * `AUDIENCE_LENGTH_MAX` characters once canonical, so what is stored is bounded.
 */
export function canonicalResource(text: string): string | null {
  if (text.length > AUDIENCE_LENGTH_MAX || /[^\x21-\x7e]/.test(text)) return null;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (url.hash !== '' || text.includes('#') || url.username !== '' || url.password !== '') {
    return null;
  }
  const path = url.pathname === '/' ? '' : url.pathname;
  const canonical = `${url.protocol}//${url.host}${path}${url.search}`;
  return canonical.length > AUDIENCE_LENGTH_MAX ? null : canonical;
}

/**
 * Hosts where plain `http` is taken, as RFC 8252 §7.3 allows for a native app's loopback
 * redirect: the traffic never leaves the machine. `[::1]` is how the URL parser spells IPv6's.
 */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * A resource a business registers (an MCP server, an API), in its one spelling, or null: what
 * `canonicalResource` takes, but `https` only, or `http` on a loopback host. The URL parser has
 * already folded the default port away and shorthand IPv4 (`127.1`) to its dotted form.
 */
export function canonicalRegisteredResource(text: string): string | null {
  const canonical = canonicalResource(text);
  if (canonical === null || canonical.startsWith('https://')) return canonical;
  return LOOPBACK_HOSTS.has(new URL(canonical).hostname) ? canonical : null;
}

/** Each element a resource indicator, as `canonicalResource` reads them. */
export const EachResourceUri = () =>
  ValidateBy(
    {
      name: 'isResourceUri',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && canonicalResource(value) !== null,
        defaultMessage: () =>
          `each entry must be an absolute http(s) URI with no fragment, at most ${AUDIENCE_LENGTH_MAX} characters, such as https://api.example.com`,
      },
    },
    { each: true },
  );
