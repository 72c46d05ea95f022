import type { Fetch } from './http';

export interface EdgeVerifierOptions {
  /** Latchkey's address (`https://latchkey.example.com`): its PUBLIC_BASE_URL, which lists are on. */
  baseUrl: string;
  /**
   * While Latchkey cannot be reached, a token that the last good list (or Latchkey itself) said
   * was valid passes for this long after that list was fetched; then `unreachable`. Default 3600.
   */
  offlineGraceSeconds?: number;
  /**
   * What Latchkey said of a token (its scopes, as its holder's role allows them) is used for this
   * long; then the next check asks Latchkey again, so a demotion is seen. No list says it. While
   * Latchkey cannot be reached, the offline grace applies instead. Default 300, at least 1.
   */
  claimsMaxAgeSeconds?: number;
  /** Tokens remembered at once; the least recently checked are forgotten first. Default 100 000. */
  maxTokens?: number;
  fetch?: Fetch;
  /** The clock, in ms since the epoch (tests move it). Default `Date.now`. */
  now?: () => number;
  /** Each call to Latchkey, its body's read included. Default 3000. */
  requestTimeoutMs?: number;
  /** The installation's VERIFY_GATEWAY_SECRET, when it sets one (sent as X-Latchkey-Gateway-Secret). */
  gatewaySecret?: string;
  /** The installation's VERIFY_TOKEN_HEADER (`X-API-Key`), when it sets one: the token is sent in it. */
  tokenHeader?: string;
  /**
   * The resource (an RFC 8707 URI, `https://mcp.example.com/mcp`) this service is, sent with each
   * check as `X-Latchkey-Resource`: a token bound to other audiences is refused (`invalid`).
   * Latchkey believes it only from a service it trusts (`gatewaySecret`, or its TRUST_PROXY);
   * from any other, a token bound to audiences is refused everywhere. One per verifier: a
   * service that is two resources makes a verifier for each.
   */
  resource?: string;
}

export interface EdgeVerifierStats {
  /** Calls to `GET /auth/verify`. */
  onlineVerifies: number;
  /** Status-list fetches (each of them, 304s and failures included). */
  listFetches: number;
  jwksFetches: number;
  /** Checks answered from memory, without a call. */
  cacheHits: number;
  /** Lists not trusted: a bad signature or claims, a rollback, or a uri off Latchkey's origin. */
  listsRefused: number;
}
