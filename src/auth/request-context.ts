import type { FastifyRequest } from 'fastify';
import { clientIp, namedClientIp } from '../common/http/client-ip';
import { clientRequestIdOf } from '../common/http/request-keys';
import { redactSecrets } from '../common/errors/safe-error';
import type { Author, EventOrigin, RequestOrigin } from '../database/units/domain-event';
import { Role, roleAtLeast } from './roles';
import { principalHolds } from './scopes';

/** A business as the guards and the request context see it; tenancy's entity fits it. */
export interface BusinessRecord {
  id: string;
  name: string;
  status: 'active' | 'suspended';
  createdAt: Date;
}

export interface Actor {
  id: string;
  kind: 'user' | 'machine';
  /** The email of a user, or `machine:<name>`. */
  label: string;
  isPlatformAdmin: boolean;
  /** A user's email; null for a machine. */
  email: string | null;
  /** A machine's name; null for a user. */
  name: string | null;
}

export interface CallerToken {
  id: string;
  jti: string;
  businessId: string | null;
  scopes: string[] | null;
  createdAt: Date;
  expiresAt: Date | null;
  /** Who issued the token: its maker's identity (null for the system and the CLI) and label. */
  createdById: string | null;
  createdBy: string;
  /**
   * In its rotation grace period: it has a successor and is still active. It authenticates, and
   * writes nothing but its own revocation.
   */
  retiring: boolean;
  /**
   * `federation` for a token the RFC 8693 exchange made, which makes no token; `console-sso` for
   * a console session SSO made; else null.
   */
  origin?: 'federation' | 'console-sso' | null;
  /** Its business takes only SSO sessions in the console from its people (`/api/v1/sso/settings`). */
  consoleSsoOnly?: boolean;
  /**
   * Its holder's custom role in its business, which bounds `scopes` (already applied there);
   * null or absent: the built-in role alone.
   */
  customRole?: Readonly<{ id: string; name: string }> | null;
  /** The thumbprint of the key it is bound to (DPoP); null or absent: a bearer token. */
  dpopJkt?: string | null;
  /** The networks it may be used from (null: anywhere), which cap the tokens it makes. */
  allowedCidrs?: readonly string[] | null;
  /** The resources it may be used at (null: any), which cap the tokens it makes. */
  audiences?: readonly string[] | null;
  /** Its own requests-per-minute limit (null: none), checked by the rate-limit guard. */
  rateLimitPerMinute?: number | null;
  /** The window of the limited token that made it, which its requests also spend (null: none). */
  sharedLimitId?: string | null;
  sharedLimitPerMinute?: number | null;
  /**
   * Its uses (null: no limit of uses), as this request left them once it spent its own: what the
   * tokens it makes are capped by, and what `/me` shows. Tokens' `UsesState`, by shape.
   */
  uses?: Readonly<{
    limit: number;
    remaining: number;
    period: number;
    refill: { interval: 'daily' | 'monthly'; amount: number } | null;
  }> | null;
  /**
   * Its entry in a Token Status List (`{idx, uri}`), which relying parties check offline; absent
   * when the verifier gave none, null for a token with no place.
   */
  statusList?: Readonly<{ idx: number; uri: string }> | null;
  /**
   * The token's own business as the verifier saw it (the cached snapshot), so the business-scope
   * guard need not read it again; null for a platform token, absent when the verifier gave none.
   */
  business?: Readonly<BusinessRecord> | null;
}

/**
 * Who is calling, with which token, in which business and role. The guards build it; handlers
 * receive it with `@Ctx()` and services take it first.
 */
export class RequestContext {
  constructor(
    readonly origin: EventOrigin,
    readonly actor: Actor,
    readonly token: CallerToken,
    readonly business: BusinessRecord | null = null,
    /** The caller's membership role; null for a platform token acting in a business. */
    readonly role: Role | null = null,
    /**
     * The thumbprint of the key a DPoP proof on this request proved (RFC 9449); null without
     * one. A token made by this request is bound to it unless the body names another key.
     */
    readonly proofKey: string | null = null,
  ) {}

  /** A platform admin's platform token, which may act in any business. */
  get isPlatformToken(): boolean {
    return this.token.businessId === null && this.actor.isPlatformAdmin;
  }

  /** The business the request acts in; only business-scoped routes have one. */
  get businessId(): string {
    if (!this.business)
      throw new Error('RequestContext has no business: route is not business-scoped');
    return this.business.id;
  }

  inBusiness(business: BusinessRecord, role: Role | null): RequestContext {
    return new RequestContext(this.origin, this.actor, this.token, business, role, this.proofKey);
  }

  /** A platform token acts with every role; otherwise the membership role decides. */
  hasRole(required: Role): boolean {
    if (this.isPlatformToken) return true;
    return this.role !== null && roleAtLeast(this.role, required);
  }

  /**
   * Whether the caller holds `scope`: its role allows it, and its token does (null scopes: all
   * the role allows). The API's guards and the gateway's check both ask this, from the role the
   * verifier's principal carries (no read). With no role known, it holds what a member would.
   */
  allowsScope(scope: string): boolean {
    const role = this.isPlatformToken ? null : (this.role ?? 'member');
    return principalHolds(role, this.token.scopes, scope);
  }

  /** The caller as the author of a change, for domain events: who, with which token, from where. */
  get author(): Author {
    return {
      actor: {
        id: this.actor.id,
        type: this.actor.kind,
        label: this.actor.label,
        tokenId: this.token.id,
        issuedBy: { id: this.token.createdById, label: this.token.createdBy },
      },
      origin: this.origin,
    };
  }
}

/**
 * Where a request came from, as audit entries record it. The client's id, address and agent are
 * worked out when an event first reads them: most requests write no event. One per request
 * (`originOf` keeps it on the request), and a class, not an object literal with getters, which
 * made four closures per call on the hot path (docs/performance.md).
 */
class RequestOriginOf implements RequestOrigin {
  readonly channel = 'api' as const;
  readonly requestId: string | null;
  #clientRequestId: string | null | undefined;
  #ip: string | null | undefined;
  #namedIp: string | null | undefined;
  #userAgent: string | null | undefined;

  constructor(private readonly request: FastifyRequest) {
    this.requestId = request.id;
  }

  get clientRequestId(): string | null {
    if (this.#clientRequestId === undefined) {
      this.#clientRequestId = clientRequestIdOf(this.request.headers['x-request-id']);
    }
    return this.#clientRequestId;
  }

  get ip(): string | null {
    if (this.#ip === undefined) this.#ip = clientIp(this.request);
    return this.#ip;
  }

  get namedIp(): string | null {
    if (this.#namedIp === undefined) this.#namedIp = namedClientIp(this.request);
    return this.#namedIp;
  }

  // Masked before clipping, so a secret pasted in is masked whole, never cut to a stub.
  get userAgent(): string | null {
    if (this.#userAgent === undefined) {
      this.#userAgent = userAgentOf(this.request.headers['user-agent']);
    }
    return this.#userAgent;
  }

  /** The same fields as plain data (the request itself is never part of it). */
  toJSON(): RequestOrigin {
    const { channel, requestId, clientRequestId, ip, namedIp, userAgent } = this;
    return { channel, requestId, clientRequestId, ip, namedIp, userAgent };
  }
}

const ORIGIN = Symbol('latchkey:origin');

/** The request's origin (see `RequestOriginOf`), made on first use and kept on the request. */
export function originOf(request: FastifyRequest): RequestOrigin {
  const held = request as FastifyRequest & { [ORIGIN]?: RequestOrigin };
  return (held[ORIGIN] ??= new RequestOriginOf(request));
}

/** The User-Agent as audited: a secret in it masked whole first, then clipped to 512. */
function userAgentOf(value: string | undefined): string | null {
  return value === undefined ? null : redactSecrets(value).slice(0, 512);
}
