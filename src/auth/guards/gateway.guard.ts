import { Injectable, Logger } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '../../config/app-config';
import { AuthError } from '../auth-error';
import {
  authorizationToken,
  BearerGuard,
  CredentialPath,
  CredentialReader,
  GuardReply,
  LatchkeyRequest,
} from './bearer.guard';
import type { ProofTarget } from './dpop-proofs';
import { canonicalResource } from '../../common/validation/resource-uri';
import { trustsPeer } from '../../config/sections/security/trust-proxy';
import { BusinessScopeGuard } from './business-scope.guard';
import { CONTEXT_KEY } from '../decorators';
import { TRUSTED_GATEWAY_KEY } from '../../common/http/request-keys';
import { GATEWAY_HEADERS, gatewayRequirementsOf } from './gateway-requirements';
import type { RequestContext } from '../request-context';

const digest = (text: string) => createHash('sha256').update(text).digest();
const RESOURCES_MAX = 256;

/**
 * The checks of `GET /auth/verify`, which a gateway (nginx `auth_request`, Caddy `forward_auth`,
 * …) calls with its client's headers. They run the API's own code: `authenticate` where a route
 * runs the bearer check, the same rate limits, `authorize` where it runs the business header; so
 * a verify answers exactly what `/api/v1/me` would. The gateway's secret is compared as SHA-256
 * digests in constant time, and a wrong one spends the client's failed-auth budget like a 401.
 *
 * A platform token is refused where the gateway names a business: it is no credential of a
 * business's own API. With none named, a business token is still held to its business's
 * standing. The client address is the one TRUST_PROXY believes, never what the client wrote.
 */
@Injectable()
export class GatewayGuard {
  private readonly logger = new Logger(GatewayGuard.name);
  /**
   * The credential (the gateway checked first, when a secret is set), where its clients' proofs
   * name their requests (none with a token header of its own), and the resource it serves.
   */
  private readonly path: CredentialPath;
  /**
   * Resources already read in their one spelling: a gateway names the same one on every check,
   * which a URL parse each time would cost. Bounded, and emptied whole when full.
   */
  private readonly resources = new Map<string, string | null>();
  private readonly trustedPeer: (peer: string | undefined) => boolean;
  private readonly secret: Buffer | null;
  /** Said once per process: without TRUST_PROXY every client is the gateway's one address. */
  private untrustedProxyNoted: boolean;

  constructor(
    config: AppConfig,
    private readonly bearer: BearerGuard,
    private readonly business: BusinessScopeGuard,
  ) {
    this.secret = config.VERIFY_GATEWAY_SECRET ? digest(config.VERIFY_GATEWAY_SECRET) : null;
    const header = config.verifyTokenHeader;
    const token: CredentialReader =
      header === null
        ? authorizationToken
        : (request) => rawTokenOf(request.headers[header], header);
    this.trustedPeer = trustsPeer(config.trustProxy);
    this.path = {
      read:
        this.secret === null
          ? token
          : (request) => {
              this.checkGateway(request);
              return token(request);
            },
      proofsAt: header === null ? (request) => this.originalRequest(request) : null,
      resourceAt: (request) => this.servedResource(request),
    };
    this.untrustedProxyNoted = config.trustProxy !== false;
  }

  /**
   * The gateway, then the token it asks about; on success the request context is set (and
   * `reply` given the next DPoP nonce, when one is due). At once on a cache hit
   * (`BearerGuard.authenticate`), else a promise.
   */
  authenticate(request: LatchkeyRequest, reply?: GuardReply): Promise<void> | undefined {
    if (!this.untrustedProxyNoted) this.noteUntrustedProxy();
    request[TRUSTED_GATEWAY_KEY] = this.trusts(request);
    return this.bearer.authenticate(request, this.path, reply);
  }

  /**
   * The resource the gateway serves (RFC 8707), as it names it in `X-Latchkey-Resource`, which a
   * token's audiences must hold. Believed only from a trusted gateway, as the client's request is
   * (`originalRequest`): from anyone else, or unreadable, none, where an audience-bound token is
   * refused.
   */
  private servedResource(request: LatchkeyRequest): string | null {
    const named = one(request.headers[GATEWAY_HEADERS.resource]);
    if (named === null || !this.trusts(request)) return null;
    let canonical = this.resources.get(named);
    if (canonical === undefined) {
      if (this.resources.size >= RESOURCES_MAX) this.resources.clear();
      canonical = canonicalResource(named);
      this.resources.set(named, canonical);
    }
    return canonical;
  }

  /** A gateway that sent VERIFY_GATEWAY_SECRET (checked before this runs), or a TRUST_PROXY peer. */
  private trusts(request: LatchkeyRequest): boolean {
    return this.secret !== null || this.trustedPeer(request.socket.remoteAddress);
  }

  /**
   * The client's request as its gateway tells it (RFC 9449 §4.3 through `auth_request` or
   * `forward_auth`): method and URI from `X-Original-Method`/`X-Original-URI` (nginx) or
   * `X-Forwarded-Method`/`X-Forwarded-Uri` (Caddy, Traefik), host and scheme from
   * `X-Forwarded-Host` (else `Host`) and `X-Forwarded-Proto`. Believed only from a gateway the
   * installation trusts: one that sent VERIFY_GATEWAY_SECRET (checked before this runs), or a
   * peer TRUST_PROXY names. From anyone else a client could name any request: null.
   */
  private originalRequest(request: LatchkeyRequest): ProofTarget | null {
    if (!this.trusts(request)) return null;
    const h = request.headers;
    const method = one(h['x-original-method']) ?? one(h['x-forwarded-method']);
    const uri = one(h['x-original-uri']) ?? one(h['x-forwarded-uri']);
    const host = one(h['x-forwarded-host']) ?? one(h.host);
    const proto = one(h['x-forwarded-proto']) ?? 'http';
    if (!method || !uri?.startsWith('/') || !host || !/^https?$/.test(proto)) return null;
    return { method, urls: [`${proto}://${host}${uri.split('?')[0]}`] };
  }

  /**
   * The gateway's requirements, after the rate limits: business, then scopes. At once when the
   * business comes with the token (every business token); a promise only where it is read.
   */
  authorize(request: LatchkeyRequest): Promise<void> | undefined {
    const { businessId, scopes } = gatewayRequirementsOf(request.headers);
    const ctx = request[CONTEXT_KEY] as RequestContext;
    if (ctx.isPlatformToken) {
      if (businessId !== null) {
        throw AuthError.forbidden(
          'BUSINESS_MISMATCH',
          "A platform token is no credential of a business's own API",
        );
      }
      requireScopes(ctx, scopes);
      return undefined;
    }
    // Any other token has a business: the verifier admits none without one but a platform admin's.
    const bound = this.business.bind(ctx, businessId ?? ctx.token.businessId!);
    if (bound instanceof Promise) {
      return bound.then((inBusiness) => {
        request[CONTEXT_KEY] = inBusiness;
        requireScopes(inBusiness, scopes);
      });
    }
    request[CONTEXT_KEY] = bound;
    requireScopes(bound, scopes);
    return undefined;
  }

  private checkGateway(request: LatchkeyRequest): void {
    const sent = request.headers[GATEWAY_HEADERS.secret];
    if (typeof sent !== 'string' || !timingSafeEqual(digest(sent), this.secret!)) {
      throw AuthError.forbidden('GATEWAY_NOT_TRUSTED');
    }
  }

  private noteUntrustedProxy(): void {
    this.untrustedProxyNoted = true;
    this.logger.warn(
      'GET /auth/verify is in use while TRUST_PROXY is false: every client behind a gateway ' +
        "counts as the gateway's own address (networks, rate limits, the failed-auth budget). " +
        "Set TRUST_PROXY to the gateway's address (docs/gateways.md)",
    );
  }
}

/** Every scope the gateway requires, or the 403 (with the RFC 6750 challenge) for the first missing. */
function requireScopes(ctx: RequestContext, scopes: readonly string[]): void {
  for (const scope of scopes) {
    if (!ctx.allowsScope(scope)) {
      throw AuthError.insufficientScope(scopes, `This token lacks the ${scope} scope`);
    }
  }
}

/** A header's one value; a repeated one (or none) is no value. */
function one(value: string | string[] | undefined): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** A header whose whole value is the token (`X-API-Key: lk_…`), or the 401 that names it. */
function rawTokenOf(value: string | string[] | undefined, name: string): string {
  if (typeof value === 'string' && value !== '') return value;
  throw AuthError.bearer('INVALID_TOKEN', `Missing or empty ${name} header`);
}
