import { isIP } from 'node:net';
import { checkOptions } from '../edge/known-token';
import type { EdgeRefused, EdgeVerified, EdgeVerifyOptions } from '../edge/results';
import { EdgeVerifier, type EdgeVerifierOptions } from '../verifier';

/** What a middleware attaches to a request it passes: who holds the token, and what it allows. */
export type LatchkeyToken = EdgeVerified;

export interface LatchkeyOptions {
  /** Latchkey's address (its PUBLIC_BASE_URL); a verifier is made for this middleware. */
  baseUrl?: string;
  /** A verifier to share instead (one per process learns each token once for every route). */
  verifier?: EdgeVerifier;
  /** Options of the verifier made from `baseUrl` (cache bounds, timeouts, a gateway secret). */
  verifierOptions?: Omit<EdgeVerifierOptions, 'baseUrl'>;
  /**
   * Where the token is: `authorization` (the default) takes `Bearer <token>`; any other header
   * name (`x-api-key`, in any case) takes its whole value. Never a query string.
   */
  header?: string;
  /** The business (uuid) every token must be of: another business's, or a platform token, is 403. */
  businessId?: string;
  /** Scopes every request must allow; `requireScopes` adds more per route. */
  scopes?: readonly string[];
  /**
   * Send the framework's client address (`request.ip`, under the framework's own trust-proxy
   * setting) with each check, so Latchkey matches a token's `allowed_cidrs` against the caller.
   * Latchkey counts it only when its TRUST_PROXY names this service. Default true.
   */
  forwardClientAddress?: boolean;
  /**
   * The business's shared limit every check counts against (`X-Latchkey-Limit`), in place of
   * `default`; needs `verifierOptions.gatewaySecret`, as only a trusted gateway may name one.
   */
  limit?: string;
}

/** The error body the middlewares answer with: Latchkey's own shape and codes. */
export interface LatchkeyErrorBody {
  success: false;
  message: string;
  code: string;
  detail: null;
  request_id: null;
}

/** A refusal as the app answers it. */
export interface LatchkeyRefusal {
  status: 401 | 403 | 429 | 503;
  headers: Readonly<Record<string, string>>;
  body: LatchkeyErrorBody;
}

const MESSAGES: Record<string, [status: LatchkeyRefusal['status'], message: string]> = {
  INVALID_TOKEN: [401, 'Invalid token'],
  TOKEN_EXPIRED: [401, 'Token has expired'],
  TOKEN_REVOKED: [401, 'Token has been revoked'],
  TOKEN_DISABLED: [401, 'Token has been disabled'],
  BUSINESS_MISMATCH: [403, 'The token was not issued for this business'],
  BUSINESS_SUSPENDED: [403, 'This business is suspended'],
  INSUFFICIENT_SCOPE: [403, 'This token lacks the scope for this action'],
  IP_NOT_ALLOWED: [403, 'This token may not be used from this address'],
  FORBIDDEN: [403, 'Forbidden'],
  RATE_LIMITED: [429, 'Too many requests, retry later'],
  USES_EXHAUSTED: [429, 'This token has no uses left'],
  LATCHKEY_UNAVAILABLE: [503, 'Tokens cannot be checked now; retry the request'],
};

/** The code a refusal stands for when Latchkey named none (it decided from memory, or failed). */
const CODE_OF: Record<EdgeRefused['reason'], string> = {
  invalid: 'INVALID_TOKEN',
  expired: 'TOKEN_EXPIRED',
  revoked: 'TOKEN_REVOKED',
  // A list's "suspended" is a paused token or a suspended business; either way it cannot act.
  suspended: 'TOKEN_DISABLED',
  forbidden: 'FORBIDDEN',
  rate_limited: 'RATE_LIMITED',
  unreachable: 'LATCHKEY_UNAVAILABLE',
};

/** How long an app tells its caller to wait while Latchkey cannot be reached. */
const UNAVAILABLE_RETRY_SECONDS = 5;
/** RFC 6750 section 2.1's b64token, bounded as the verifier bounds a token. */
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]{1,512}=*) *$/i;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * The check every middleware makes, apart from its framework: the token from the header named,
 * the verifier's answer (from memory when it has one: no promise on the hot path), and a
 * refusal in Latchkey's codes. A failure of any kind is a 503, never a pass.
 */
export class TokenCheck {
  readonly verifier: EdgeVerifier;
  /** The header the token is in, lowercased as Node's frameworks keep header names. */
  readonly header: string;
  private readonly bearer: boolean;
  private readonly base: EdgeVerifyOptions;
  private readonly forward: boolean;
  private readonly unavailable: LatchkeyRefusal;
  private readonly scoped = new WeakMap<readonly string[], EdgeVerifyOptions>();

  constructor(options: LatchkeyOptions) {
    const { baseUrl, verifier, verifierOptions, header = 'authorization', scopes } = options;
    if ((verifier === undefined) === (baseUrl === undefined)) {
      throw new TypeError('give the middleware either baseUrl or verifier');
    }
    if (!HEADER_NAME.test(header)) throw new TypeError('header must be a header name');
    this.verifier = verifier ?? new EdgeVerifier({ ...verifierOptions, baseUrl: baseUrl! });
    this.header = header.toLowerCase();
    this.bearer = this.header === 'authorization';
    this.base = Object.freeze({
      businessId: options.businessId,
      requireScopes: scopes,
      limit: options.limit,
    });
    // A business that is no uuid, or a scope Latchkey would refuse, is the app's mistake: said at
    // start, not as a 503 on every request.
    checkOptions(this.base);
    this.forward = options.forwardClientAddress ?? true;
    this.unavailable = refusal('LATCHKEY_UNAVAILABLE', {
      'retry-after': `${UNAVAILABLE_RETRY_SECONDS}`,
    });
  }

  /** The token in the header's value (the first, when a header is given twice), or null. */
  tokenIn(value: string | readonly string[] | undefined | null): string | null {
    const text = typeof value === 'string' ? value : value?.[0];
    if (text === undefined || text === null) return null;
    if (!this.bearer) return text === '' ? null : text;
    return BEARER.exec(text)?.[1] ?? null;
  }

  /** Extra scopes for one route, checked when the middleware is made rather than per request. */
  static checkScopes(scopes: readonly string[]): readonly string[] {
    checkOptions({ requireScopes: scopes });
    routeScopesInUse = true;
    return Object.freeze([...scopes]);
  }

  /**
   * The token (from `tokenIn`) judged: the verified token, or the refusal to answer. A promise
   * only when the verifier must call Latchkey. `from.ip` is the caller's address, read only then:
   * an answer from memory never depends on it (a token whose networks do is never answered so).
   */
  check(
    token: string | null,
    from: { readonly ip?: string } | undefined,
    routeScopes?: readonly string[],
  ): LatchkeyToken | LatchkeyRefusal | Promise<LatchkeyToken | LatchkeyRefusal> {
    if (token === null) return refusal('INVALID_TOKEN');
    try {
      const options = routeScopes?.length ? this.withScopes(routeScopes) : this.base;
      const cached = this.verifier.checkCached(token, options);
      if (cached !== undefined) return this.answer(cached, options);
      const ip = this.forward ? from?.ip : undefined;
      const asked =
        ip !== undefined && isIP(ip) !== 0 ? { ...options, clientAddress: ip } : options;
      return this.verifier.verify(token, asked).then(
        (result) => this.answer(result, options),
        () => this.unavailable,
      );
    } catch {
      return this.unavailable;
    }
  }

  /** The options with a route's scopes added: made once per route (its frozen scope list). */
  private withScopes(routeScopes: readonly string[]): EdgeVerifyOptions {
    let options = this.scoped.get(routeScopes);
    if (options === undefined) {
      const requireScopes = [...(this.base.requireScopes ?? []), ...routeScopes];
      options = Object.freeze({ ...this.base, requireScopes });
      this.scoped.set(routeScopes, options);
    }
    return options;
  }

  private answer(
    result: EdgeVerified | EdgeRefused,
    { requireScopes }: EdgeVerifyOptions,
  ): LatchkeyToken | LatchkeyRefusal {
    if (result.valid) return result;
    const known = result.code !== undefined && Object.hasOwn(MESSAGES, result.code);
    const code = known ? result.code! : CODE_OF[result.reason];
    // Latchkey refusing this service (a wrong gatewaySecret) is the app's fault, not the caller's.
    if (code === 'LATCHKEY_UNAVAILABLE' || result.code === 'GATEWAY_NOT_TRUSTED') {
      return this.unavailable;
    }
    if (code === 'RATE_LIMITED' || code === 'USES_EXHAUSTED') {
      // A spent uses limit waits for its refill, and says when only if one is due.
      const wait =
        result.retryAfter ?? (code === 'RATE_LIMITED' ? UNAVAILABLE_RETRY_SECONDS : null);
      return refusal(code, wait === null ? {} : { 'retry-after': `${wait}` });
    }
    if (code === 'INSUFFICIENT_SCOPE') {
      // RFC 6750 section 3: the scopes needed (each SCOPE_PATTERN's charset: nothing to escape).
      const scope = requireScopes?.join(' ') ?? '';
      const challenge = `Bearer error="insufficient_scope", scope="${scope}"`;
      return refusal(code, { 'www-authenticate': challenge });
    }
    return refusal(code);
  }
}

/** Whether a check's outcome is a refusal (the app answers it) rather than a verified token. */
export function isRefusal(outcome: LatchkeyToken | LatchkeyRefusal): outcome is LatchkeyRefusal {
  return (outcome as Partial<LatchkeyToken>).valid !== true;
}

const refusals = new Map<string, LatchkeyRefusal>();

/** One frozen refusal per code: answering one allocates nothing. */
function refusal(code: string, extra: Record<string, string> = {}): LatchkeyRefusal {
  const key = `${code} ${JSON.stringify(extra)}`;
  const known = refusals.get(key);
  if (known !== undefined) return known;
  const [status, message] = MESSAGES[code];
  const headers: Record<string, string> = { 'cache-control': 'no-store' };
  if (status === 401) headers['www-authenticate'] = 'Bearer error="invalid_token"';
  Object.assign(headers, extra);
  const made: LatchkeyRefusal = Object.freeze({
    status,
    headers: Object.freeze(headers),
    body: Object.freeze({ success: false, message, code, detail: null, request_id: null }),
  });
  if (refusals.size < 64) refusals.set(key, made);
  return made;
}

/** What the middleware saw of a request it passed, for a later per-route scope check. */
interface Presented {
  check: TokenCheck;
  token: string;
  from: { readonly ip?: string } | undefined;
}

const presented = new WeakMap<object, Presented>();
/** Set once a route requires scopes of its own: until then nothing needs remembering. */
let routeScopesInUse = false;

/** Kept beside the request (never on it, where a handler could change it) by the middleware. */
export function rememberPresented(request: object, seen: Presented): void {
  if (routeScopesInUse) presented.set(request, seen);
}

/**
 * A per-route requirement: the token the middleware passed, checked again with these scopes.
 * A route whose request the middleware never saw is refused (503: the app is misconfigured, and
 * an unguarded route must not pass).
 */
export function checkPresented(
  request: object,
  scopes: readonly string[],
): LatchkeyToken | LatchkeyRefusal | Promise<LatchkeyToken | LatchkeyRefusal> {
  const seen = presented.get(request);
  if (seen === undefined) return MISCONFIGURED;
  return seen.check.check(seen.token, seen.from, scopes);
}

const MISCONFIGURED = refusal('LATCHKEY_UNAVAILABLE', {
  'retry-after': `${UNAVAILABLE_RETRY_SECONDS}`,
});
