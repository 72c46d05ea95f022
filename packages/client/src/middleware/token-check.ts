import { isIP } from 'node:net';
import { checkOptions } from '../edge/known-token';
import type { EdgeRefused, EdgeVerified, EdgeVerifyOptions } from '../edge/results';
import { EdgeVerifier, type EdgeVerifierOptions } from '../verifier';
import {
  insufficientScopeChallenge,
  type ProtectedResource,
  protectedResourceOf,
  type ProtectedResourceOptions,
  unauthorizedChallenge,
} from './protected-resource';
import {
  isRefusalCode,
  type LatchkeyRefusal,
  MIDDLEWARE_ERRORS,
  MISCONFIGURED,
  type MiddlewareErrorCode,
  refusal,
  UNAVAILABLE,
  UNAVAILABLE_RETRY_SECONDS,
} from './refusals';
import {
  type LatchkeyCheck,
  type LatchkeyLogger,
  SetupReport,
  unguardedReport,
} from './setup-report';

export type { LatchkeyErrorBody, LatchkeyRefusal } from './refusals';
export type { ProtectedResourceMetadata, ProtectedResourceOptions } from './protected-resource';
export { insufficientScope } from './protected-resource';
export type { LatchkeyCheck, LatchkeyLogger } from './setup-report';
export { LatchkeyMisconfiguredError } from './setup-report';

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
  /**
   * Where a misconfiguration (Latchkey refusing this service itself) and an outage are written,
   * each at most once a minute, naming the code and the setting to fix, never a token or secret.
   * Default `console` (NestJS: its `Logger`); pino's `app.log` or any `{ error(message) }`.
   */
  logger?: LatchkeyLogger;
  /**
   * The app as an OAuth protected resource (RFC 9728), as MCP servers are: each check is made at
   * `resource` (a token bound to other audiences is 401; Latchkey believes it only from a service
   * it trusts, so set `verifierOptions.gatewaySecret` or list this service in its TRUST_PROXY),
   * and every 401 and 403 challenge names the metadata URL and the scopes needed. A shared
   * `verifier` must have been made with the same `resource`. Serve the metadata with the
   * framework's `latchkeyResourceMetadata` (NestJS: `LatchkeyModule.forRoot` serves it).
   */
  protectedResource?: ProtectedResourceOptions;
}

/** The code a refusal stands for when Latchkey named none (it decided from memory, or failed). */
const CODE_OF: Record<EdgeRefused['reason'], MiddlewareErrorCode> = {
  invalid: 'INVALID_TOKEN',
  expired: 'TOKEN_EXPIRED',
  revoked: 'TOKEN_REVOKED',
  // A list's "suspended" is a paused token or a suspended business; either way it cannot act.
  suspended: 'TOKEN_DISABLED',
  forbidden: 'FORBIDDEN',
  rate_limited: 'RATE_LIMITED',
  unreachable: 'LATCHKEY_UNAVAILABLE',
  misconfigured: 'LATCHKEY_MISCONFIGURED',
};
/** RFC 6750 section 2.1's b64token, bounded as the verifier bounds a token. */
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]{1,512}=*) *$/i;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * The check every middleware makes, apart from its framework: the token from the header named,
 * the verifier's answer (from memory when it has one: no promise on the hot path), and a
 * refusal in Latchkey's codes. Latchkey refusing this service itself is a 500, logged; a
 * failure of any other kind is a 503; never a pass.
 */
export class TokenCheck {
  readonly verifier: EdgeVerifier;
  /** The header the token is in, lowercased as Node's frameworks keep header names. */
  readonly header: string;
  private readonly bearer: boolean;
  private readonly base: EdgeVerifyOptions;
  private readonly forward: boolean;
  private readonly report: SetupReport;
  /** With `protectedResource`: what the challenges name. */
  readonly resource: ProtectedResource | null;
  private readonly scoped = new WeakMap<readonly string[], EdgeVerifyOptions>();

  constructor(options: LatchkeyOptions) {
    const { baseUrl, verifier, verifierOptions, header = 'authorization', scopes } = options;
    if ((verifier === undefined) === (baseUrl === undefined)) {
      throw new TypeError('give the middleware either baseUrl or verifier');
    }
    if (!HEADER_NAME.test(header)) throw new TypeError('header must be a header name');
    const { protectedResource } = options;
    this.resource = protectedResource === undefined ? null : protectedResourceOf(protectedResource);
    const resource = this.resource?.resource;
    this.verifier =
      verifier ?? new EdgeVerifier({ resource, ...verifierOptions, baseUrl: baseUrl! });
    // What a verifier learns of a token holds at its one resource (verifier.ts says why).
    if (resource !== undefined && this.verifier.resource !== resource) {
      throw new TypeError(
        'the verifier must check tokens at protectedResource.resource: make it with that resource',
      );
    }
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
    this.report = new SetupReport(options.logger ?? console);
  }

  /**
   * Once, at start: whether Latchkey answers and takes this service's checks. Throws a
   * `LatchkeyMisconfiguredError` naming the setting to fix; an outage is answered, and logged.
   */
  async checkSetup(): Promise<LatchkeyCheck> {
    return this.report.settle(await this.verifier.check());
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
    const options = routeScopes?.length ? this.withScopes(routeScopes) : this.base;
    if (token === null) return this.unauthorized('INVALID_TOKEN', options, false);
    try {
      const cached = this.verifier.checkCached(token, options);
      if (cached !== undefined) return this.answer(cached, options);
      const ip = this.forward ? from?.ip : undefined;
      const asked =
        ip !== undefined && isIP(ip) !== 0 ? { ...options, clientAddress: ip } : options;
      return this.verifier.verify(token, asked).then(
        (result) => this.answer(result, options),
        () => UNAVAILABLE,
      );
    } catch {
      return UNAVAILABLE;
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
    options: EdgeVerifyOptions,
  ): LatchkeyToken | LatchkeyRefusal {
    if (result.valid) return result;
    // Latchkey refusing this service (a wrong gatewaySecret) is the app's fault, not the caller's.
    if (result.reason === 'misconfigured') {
      this.report.misconfigured(result.status, result.code);
      return MISCONFIGURED;
    }
    if (result.reason === 'unreachable') {
      this.report.unavailable(result.status);
      return UNAVAILABLE;
    }
    const code = isRefusalCode(result.code) ? result.code : CODE_OF[result.reason];
    if (code === 'RATE_LIMITED' || code === 'USES_EXHAUSTED') {
      // A spent uses limit waits for its refill, and says when only if one is due.
      const wait =
        result.retryAfter ?? (code === 'RATE_LIMITED' ? UNAVAILABLE_RETRY_SECONDS : null);
      return refusal(code, wait === null ? {} : { 'retry-after': `${wait}` });
    }
    if (code === 'INSUFFICIENT_SCOPE') {
      const challenge = insufficientScopeChallenge(this.resource, options.requireScopes);
      return refusal(code, { 'www-authenticate': challenge });
    }
    if (MIDDLEWARE_ERRORS[code][0] === 401) return this.unauthorized(code, options, true);
    return refusal(code);
  }

  /** A 401; as a protected resource, its challenge names the metadata and the scopes needed. */
  private unauthorized(
    code: MiddlewareErrorCode,
    { requireScopes }: EdgeVerifyOptions,
    presented: boolean,
  ): LatchkeyRefusal {
    if (this.resource === null) return refusal(code);
    const challenge = unauthorizedChallenge(this.resource, requireScopes, presented);
    return refusal(code, { 'www-authenticate': challenge });
  }
}

/** Whether a check's outcome is a refusal (the app answers it) rather than a verified token. */
export function isRefusal(outcome: LatchkeyToken | LatchkeyRefusal): outcome is LatchkeyRefusal {
  return (outcome as Partial<LatchkeyToken>).valid !== true;
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
 * A route whose request the middleware never saw is refused (500: the app is misconfigured, and
 * an unguarded route must not pass).
 */
export function checkPresented(
  request: object,
  scopes: readonly string[],
): LatchkeyToken | LatchkeyRefusal | Promise<LatchkeyToken | LatchkeyRefusal> {
  const seen = presented.get(request);
  if (seen === undefined) {
    unguardedReport.unguarded();
    return MISCONFIGURED;
  }
  return seen.check.check(seen.token, seen.from, scopes);
}
