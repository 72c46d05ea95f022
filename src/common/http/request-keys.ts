import { containsSecret } from '../secrets/secret-shape';

/**
 * Where the guards keep the request context on the request. Here, below every feature, so that
 * what reads it (the rate limits) need not import the auth module that writes it.
 */
export const CONTEXT_KEY = 'latchkeyContext';

/**
 * Set on a gateway's check (`/auth/verify`) to whether the installation trusts the gateway: it
 * sent VERIFY_GATEWAY_SECRET (a wrong one is refused before any token is read), or it is a peer
 * TRUST_PROXY names. What only a gateway may say (the call's cost, limit and tag) is read only
 * where this is true.
 */
export const TRUSTED_GATEWAY_KEY = 'latchkeyTrustedGateway';

/** Set on a gateway's check that counted against a business's shared limit. */
export const SHARED_LIMIT_KEY = 'latchkeySharedLimit';

/**
 * Set by the exception filter on a request it answers with an error: the answer's code, so that
 * what classifies the request afterwards (verification analytics) need not parse a body.
 */
export const ERROR_CODE_KEY = 'latchkeyErrorCode';

/** The token a request presented, as the verifier found it (its snapshot's `ref` fits). */
export interface PresentedToken {
  readonly id: string;
  readonly businessId: string | null;
  readonly identityId: string;
}

/**
 * Where the verifier notes the token it was asked about, on the request's origin (the one object
 * of the request it is given): the token, even when refused (revoked, expired, from outside its
 * networks), or null for no such token; absent when no token was looked up. A symbol, so the
 * origin's JSON (audit, logs) never carries it.
 */
export const PRESENTED_TOKEN_KEY = Symbol('latchkey:presented-token');

export type PresentedTokenHolder = { [PRESENTED_TOKEN_KEY]?: PresentedToken | null };

/** Notes what `origin` presented; an origin that cannot take it (frozen) is left as it is. */
export function notePresented(origin: object, token: PresentedToken | null): void {
  if (Object.isExtensible(origin)) (origin as PresentedTokenHolder)[PRESENTED_TOKEN_KEY] = token;
}

/**
 * The request of an HTTP execution context: its first argument, which is what
 * `switchToHttp().getRequest()` answers; Nest's `switchToHttp()` makes three closures on every
 * call, and the global guard asked for it several times per request (docs/performance.md).
 */
export function requestOf<T = Record<string, unknown>>(context: {
  getArgByIndex<A>(index: number): A;
}): T {
  return context.getArgByIndex<T>(0);
}

/** What any reader may rely on in the request context: the calling token's id. */
export interface CallingTokenView {
  actor: { id: string };
  token: {
    id: string;
    rateLimitPerMinute?: number | null;
    sharedLimitId?: string | null;
    sharedLimitPerMinute?: number | null;
  };
}

/** What a caller's own request id may be: at most 128 characters that split no line or cell. */
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:/+=@-]{1,128}$/;

/**
 * The caller's `x-request-id`, when it is safe to keep; null otherwise (dropped, not cleaned). A
 * Latchkey token fits the characters, as written or in base64, and would be kept in the audit log
 * and every request log line: an id holding one is dropped too. Only an id long enough to hold
 * one (a UUID is not) is looked through.
 */
export function clientRequestIdOf(header: string | string[] | undefined): string | null {
  return typeof header === 'string' && CLIENT_REQUEST_ID.test(header) && !containsSecret(header)
    ? header
    : null;
}
