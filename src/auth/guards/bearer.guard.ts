import { clientIp } from '../../common/http/client-ip';
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EventOrigin } from '../../database/units/domain-event';
import { AuthFailureLimiter } from '../../throttle/auth-failure-limiter';
import { AppConfig } from '../../config/app-config';
import { publicBaseUrl } from '../../config/sections/features/status-list-config';
import { PrincipalVerifier, VerifiedPrincipal } from '../ports';
import { AuthError } from '../auth-error';
import { CONTEXT_KEY } from '../decorators';
import { SHARED_LIMIT_KEY, TRUSTED_GATEWAY_KEY } from '../../common/http/request-keys';
import { originOf, RequestContext } from '../request-context';
import { refuseConsoleToken } from './console-sign-in';
import { DpopProofs, type ProofLocator, type ProofTarget, ShownProof } from './dpop-proofs';

export type LatchkeyRequest = FastifyRequest & {
  [CONTEXT_KEY]?: RequestContext;
  [TRUSTED_GATEWAY_KEY]?: boolean;
  [SHARED_LIMIT_KEY]?: boolean;
};
/** Where a guard writes a header of the answer to come (`DPoP-Nonce`). */
export type GuardReply = Pick<FastifyReply, 'header'>;

const SCHEME = /^Bearer$/i;
const DPOP_SCHEME = /^DPoP$/i;

/**
 * The credential of an `Authorization: Bearer <token>` header, by the rules passport-http-bearer
 * applies (RFC 6750 §2.1): the scheme is case-insensitive, and the header is exactly two parts
 * split on one space. Anything else, an empty token included, is no credential. The query string
 * and the body are never read (RFC 6750 §2.2 and §2.3 are not offered).
 */
export function bearerTokenOf(header: string | undefined): string | null {
  return tokenOfScheme(header, SCHEME);
}

/**
 * The token of an `Authorization: DPoP <token>` header (RFC 9449 §7.1), read as a bearer one is;
 * null for any other header.
 */
export function dpopTokenOf(header: string | undefined): string | null {
  return tokenOfScheme(header, DPOP_SCHEME);
}

/**
 * Whether the header is an `Authorization: DPoP` one, as `dpopTokenOf` reads it; a header whose
 * first letter is not D's is not, and is not split a second time on every bearer request.
 */
function saysDpop(header: string | undefined): boolean {
  const first = header?.charCodeAt(0);
  return (first === 0x44 || first === 0x64) && dpopTokenOf(header) !== null;
}

function tokenOfScheme(header: string | undefined, scheme: RegExp): string | null {
  if (!header) return null;
  const parts = header.split(' ');
  if (parts.length !== 2 || !scheme.test(parts[0])) return null;
  return parts[1] || null;
}

/** What passport is shown: the Authorization header alone, and where the request came from. */
interface PassportView {
  headers: { authorization?: string };
  origin: EventOrigin;
}

/** Puts the verified caller on the request as its context: what both bearer guards do on success. */
function admit(
  request: LatchkeyRequest,
  user: VerifiedPrincipal,
  proofKey: string | null = null,
): void {
  if (user.token.consoleSsoOnly === true) refuseConsoleToken(request, user);
  request[CONTEXT_KEY] = new RequestContext(
    originOf(request),
    user.actor,
    user.token,
    null,
    user.role,
    proofKey,
  );
}

/**
 * What both bearer guards throw on failure: a 401, or a live token presented from outside its
 * networks (403 IP_NOT_ALLOWED, a leaked token's replay), is counted against the client IP's
 * failed-authentication budget, and once that is spent the same failure answers 429 instead.
 */
function refusal(
  failures: AuthFailureLimiter,
  request: LatchkeyRequest,
  e: unknown,
): Promise<unknown> {
  return e instanceof AuthError && (e.status === 401 || COUNTED_403.has(e.code))
    ? failures.answer(clientIp(request) ?? undefined, e)
    : Promise.resolve(e);
}

/** The refusals of a caller that is not who it claims, counted like a 401. */
const COUNTED_403 = new Set(['IP_NOT_ALLOWED', 'GATEWAY_NOT_TRUSTED']);

/**
 * Reads the credential a request presents, or null for none; it may throw instead, a refusal
 * that is then counted like a 401 (the gateway check of `GET /auth/verify`).
 */
export type CredentialReader = (request: LatchkeyRequest) => string | null;

/** The API's own reader: `Authorization: Bearer` or `DPoP` (whose proof `authenticate` checks). */
export const authorizationToken: CredentialReader = (request) => {
  const header = request.headers.authorization;
  return bearerTokenOf(header) ?? dpopTokenOf(header);
};

/**
 * How a path reads what a request presents: its credential; where a DPoP proof it shows names its
 * request (null: the path reads no proof, as a gateway's own token header, and a key-bound token
 * is refused there); and the resource (RFC 8707) the request is served at, null when unknown.
 */
export interface CredentialPath {
  readonly read: CredentialReader;
  readonly proofsAt: ProofLocator | null;
  readonly resourceAt: (request: LatchkeyRequest) => string | null;
}

const noCredential = () => AuthError.bearer('INVALID_TOKEN', 'Missing or malformed bearer token');

/**
 * The global guard's bearer check: it reads the `Authorization` header by passport-http-bearer's
 * rules and asks the verifier (tokens' `TokenVerifier`) itself: `RequestGuard` → `BearerGuard` →
 * verifier, two hops. Not passport's `AuthGuard('bearer')` on every request, by measurement:
 * docs/performance.md, "Why the code looks the way it does".
 *
 * `RequestGuard` runs it on every route that is not `@Public()`; on success the request context
 * goes on the request. Every failure is a 401 in the API's shape: a missing or malformed header,
 * or what the verifier says. A valid token is never counted against the failure budget; an IP
 * that has spent it gets 429 before its credential is read.
 */
@Injectable()
export class BearerGuard implements CanActivate {
  /** The API's own path: `Authorization`, proofs naming the request as it arrived, PUBLIC_BASE_URL. */
  readonly apiPath: CredentialPath;

  constructor(
    config: AppConfig,
    private readonly failures: AuthFailureLimiter,
    private readonly verifier: PrincipalVerifier,
    private readonly proofs: DpopProofs,
  ) {
    const resource = publicBaseUrl(config);
    this.apiPath = {
      read: authorizationToken,
      proofsAt: proofs.apiTarget,
      resourceAt: () => resource,
    };
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const authenticated = this.authenticate(
      context.switchToHttp().getRequest<LatchkeyRequest>(),
      this.apiPath,
    );
    return authenticated ? authenticated.then(() => true) : true;
  }

  /**
   * The bearer check on the credential `path` reads: what `canActivate` runs on the
   * `Authorization` header, and `GatewayGuard` on the header `GET /auth/verify` reads. One path,
   * so the budget, the verifier and the failures are the same whichever header carries the token.
   *
   * Done at once when the verifier answers at once (a cache hit: nothing returned, or the
   * refusal of a spent budget thrown); a promise otherwise, and for every refusal, since the
   * budget that counts it may be shared (Redis). `reply` takes the `DPoP-Nonce` of a request
   * admitted with a proof, when nonces are required.
   */
  authenticate(
    request: LatchkeyRequest,
    path: CredentialPath,
    reply?: GuardReply,
  ): Promise<void> | undefined {
    if (this.failures.blocking) this.failures.refuseBlocked(clientIp(request) ?? undefined);
    let verdict: VerifiedPrincipal | Promise<VerifiedPrincipal>;
    try {
      const secret = path.read(request);
      if (secret === null) throw noCredential();
      const resource = path.resourceAt(request);
      if (path.proofsAt !== null) {
        const asDpop = saysDpop(request.headers.authorization);
        if (asDpop || request.headers.dpop !== undefined) {
          const target = path.proofsAt(request);
          return this.withProof(request, secret, asDpop, target, resource, reply);
        }
      }
      verdict = this.verifier.verify(secret, originOf(request), null, resource);
    } catch (e) {
      return this.refuse(request, e);
    }
    if (verdict instanceof Promise) {
      return verdict.then(
        (user) => admit(request, user),
        (e: unknown) => this.refuse(request, e),
      );
    }
    admit(request, verdict);
    return undefined;
  }

  /**
   * A request with a DPoP proof (RFC 9449 §7.1): the proof checked against the request, then the
   * token against the proof's key by the verifier, which spends the proof's `jti` once they match
   * and before a use of the token is counted: a proof that fails costs no entry in the replay
   * cache, and a replayed one is refused and recorded like any refused use, and costs no use.
   * An admitted request's answer carries the next nonce (RFC 9449 §8.2) when nonces are required.
   */
  private async withProof(
    request: LatchkeyRequest,
    secret: string,
    asDpop: boolean,
    target: ProofTarget | null,
    resource: string | null,
    reply: GuardReply | undefined,
  ) {
    try {
      const proof = await this.proofs.check(request, target, secret, asDpop);
      const user = await this.verifier.verify(secret, originOf(request), proof, resource);
      // The verifier refuses a proof that does not hold or was seen before; this keeps a change
      // there from ever admitting a proof whose jti it did not spend.
      if (!(proof instanceof ShownProof) || !proof.spent) {
        throw AuthError.dpop('INVALID_DPOP_PROOF');
      }
      admit(request, user, proof.key);
      if (this.proofs.nonces && reply) void reply.header('dpop-nonce', this.proofs.nonces.issue());
    } catch (e) {
      await this.refuse(request, e);
    }
  }

  private async refuse(request: LatchkeyRequest, e: unknown): Promise<never> {
    throw await refusal(this.failures, request, this.withNonce(request, e));
  }

  /**
   * RFC 9449 §8: with nonces required, a 401 that challenges for DPoP, or answers a request that
   * showed a proof, carries a fresh nonce in `DPoP-Nonce`, for the client's next proof.
   */
  private withNonce(request: LatchkeyRequest, e: unknown): unknown {
    const nonces = this.proofs.nonces;
    if (nonces === null || !(e instanceof AuthError) || e.status !== 401) return e;
    if (!e.challengesDpop && request.headers.dpop === undefined) return e;
    return e.withDpopNonce(nonces.issue());
  }
}

/**
 * Passport's `AuthGuard('bearer')` with `BearerStrategy`, for a route of your own that wants
 * passport's pipeline: `@Public()` (so the global check stands aside) and
 * `@UseGuards(PassportBearerGuard)`. Its answers are `BearerGuard`'s, and it spends the same
 * failure budget.
 *
 * Passport is shown a header-only view of the request (`getRequest`), because
 * passport-http-bearer would also take `access_token` from the query string and the body (RFC
 * 6750 §2.2 and §2.3, which are not offered).
 */
@Injectable()
export class PassportBearerGuard extends AuthGuard('bearer') implements CanActivate {
  constructor(private readonly failures: AuthFailureLimiter) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    this.failures.refuseBlocked(
      clientIp(context.switchToHttp().getRequest<LatchkeyRequest>()) ?? undefined,
    );
    try {
      return (await super.canActivate(context)) as boolean;
    } catch (e) {
      throw await refusal(this.failures, context.switchToHttp().getRequest(), e);
    }
  }

  override getRequest(context: ExecutionContext): PassportView {
    const request = context.switchToHttp().getRequest<LatchkeyRequest>();
    return { headers: { authorization: request.headers.authorization }, origin: originOf(request) };
  }

  /** Passport's verdict: the verifier's error as it stands, no credential as INVALID_TOKEN. */
  override handleRequest<T = VerifiedPrincipal>(
    err: Error | null,
    user: VerifiedPrincipal | false | null,
    _info: unknown,
    context: ExecutionContext,
  ): T {
    if (err) throw err;
    if (!user) throw noCredential();
    admit(context.switchToHttp().getRequest<LatchkeyRequest>(), user);
    return user as T;
  }
}
