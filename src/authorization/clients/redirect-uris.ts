/**
 * Redirect URIs: what a client may register, and which presented URI a registered one accepts.
 * Both are tables, read in order, so the rules are written once and the tests walk them row by
 * row. Matching is on the strings as sent, never on parsed URLs: a parser's normalizing (dot
 * segments, case, percent-encoding, a trailing dot) is exactly what an attacker leans on.
 */

/** The longest redirect URI stored, in UTF-8 bytes. */
export const REDIRECT_URI_MAX_BYTES = 512;
/** The most redirect URIs one client registers. */
export const REDIRECT_URIS_MAX = 10;

/**
 * RFC 8252 §7.3: a native app's loopback redirect, on an IP literal (never `localhost`, whose
 * name a resolver may send anywhere, §8.3), with an optional port and then what must match.
 */
const LOOPBACK = /^http:\/\/(127\.0\.0\.1|\[::1\])(?::([0-9]{1,5}))?([/?][^#]*)?$/;

/**
 * RFC 8252 §7.1: a private-use scheme in reverse domain name form (`com.example.app:/cb`). The
 * dot is the point: a scheme that is a domain the app's publisher controls is theirs, where a
 * bare `myapp:` may be claimed by any app on the device, and `javascript:`, `data:` or `file:`
 * would hand the code to a page or the file system.
 */
const PRIVATE_USE = /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+:/;

/** Characters no redirect URI holds: whitespace, controls, and `\`, which WHATWG reads as `/`. */
// eslint-disable-next-line no-control-regex -- control characters are what it refuses
const UNSAFE = /[\u0000-\u0020\u007f-\u009f\\]/;

/** A dot segment, spelled plainly or percent-encoded: a browser resolves it before it arrives. */
const DOT_SEGMENT = /\/(\.|%2e){1,2}(\/|$|\?)/i;

export interface RedirectUriCheck {
  /** What the rule holds a redirect URI to, as a refusal says it. */
  rule: string;
  /** true when `uri` breaks the rule. */
  breaks: (uri: string, parsed: URL) => boolean;
}

const schemeOf = (uri: string) => uri.slice(0, uri.indexOf(':') + 1).toLowerCase();

/** The checks a redirect URI passes to be registered, in order; the first it breaks refuses it. */
export const REDIRECT_URI_CHECKS: readonly RedirectUriCheck[] = [
  {
    rule: 'must not contain spaces, control characters or backslashes',
    breaks: (uri) => UNSAFE.test(uri),
  },
  {
    // RFC 6749 §3.1.2: the endpoint URI MUST NOT include a fragment component.
    rule: 'must not contain a fragment',
    breaks: (uri) => uri.includes('#'),
  },
  {
    rule: 'must not contain a user name or password',
    breaks: (uri, url) =>
      url.username !== '' || url.password !== '' || /^[^:]+:\/\/[^/?]*@/.test(uri),
  },
  {
    rule: 'must not contain . or .. path segments',
    breaks: (uri) => DOT_SEGMENT.test(uri),
  },
  {
    // RFC 8252 §7.3 and §8.3: plain http only on a loopback literal, or `localhost` matched
    // exactly (MCP clients register it); anything else over http could be read on the way.
    rule: 'must use https, or http on 127.0.0.1, [::1] or localhost, or a private-use scheme such as com.example.app:',
    breaks: (uri, url) => {
      const scheme = schemeOf(uri);
      if (scheme === 'https:') return url.hostname === '';
      if (scheme === 'http:') return !isLoopbackForm(uri) && url.hostname !== 'localhost';
      return !PRIVATE_USE.test(uri);
    },
  },
  {
    // The scheme and host as sent are their one spelling, so that exact matching means one thing.
    rule: 'must be written with a lower-case scheme and host',
    breaks: (uri, url) =>
      schemeOf(uri) !== uri.slice(0, uri.indexOf(':') + 1) ||
      (url.host !== '' && !uri.slice(url.protocol.length + 2).startsWith(url.host)),
  },
];

/** Why a redirect URI may not be registered, or null when it may. */
export function redirectUriProblem(uri: string): string | null {
  if (Buffer.byteLength(uri, 'utf8') > REDIRECT_URI_MAX_BYTES) {
    return `must be at most ${REDIRECT_URI_MAX_BYTES} bytes`;
  }
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    return 'must be an absolute URI';
  }
  return REDIRECT_URI_CHECKS.find((c) => c.breaks(uri, parsed))?.rule ?? null;
}

function isLoopbackForm(uri: string): boolean {
  const m = LOOPBACK.exec(uri);
  if (!m) return false;
  const port = m[2] === undefined ? null : Number(m[2]);
  return port === null || (port >= 1 && port <= 65535 && !m[2].startsWith('0'));
}

export interface RedirectUriMatch {
  name: string;
  /** Why the rule exists. */
  why: string;
  matches: (registered: string, presented: string) => boolean;
}

/** Splits a loopback redirect into its literal host and what follows the port. */
function loopbackParts(uri: string): { host: string; rest: string } | null {
  if (!isLoopbackForm(uri)) return null;
  const m = LOOPBACK.exec(uri)!;
  return { host: m[1], rest: m[3] ?? '' };
}

/** The ways a presented redirect URI matches a registered one; any one is enough. */
export const REDIRECT_URI_MATCHES: readonly RedirectUriMatch[] = [
  {
    name: 'exact',
    why: 'RFC 6749 §3.1.2.3 and the OAuth 2.1 draft: simple string comparison, nothing normalized',
    matches: (registered, presented) => registered === presented,
  },
  {
    name: 'loopback port',
    why:
      'RFC 8252 §7.3: a native app listens on whatever port the system gives it, so on the ' +
      'same loopback literal and path any port is the registered one',
    matches: (registered, presented) => {
      const r = loopbackParts(registered);
      const p = loopbackParts(presented);
      return r !== null && p !== null && r.host === p.host && r.rest === p.rest;
    },
  },
];

/** Whether `presented` is one of the client's registered redirect URIs. */
export function acceptsRedirectUri(registered: readonly string[], presented: string): boolean {
  return registered.some((r) => REDIRECT_URI_MATCHES.some((m) => m.matches(r, presented)));
}
