import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import type { CallerToken, RequestContext } from '../auth/request-context';
import { firstTokenScopes, reachesAdminScope, scopesAllow, scopesWithin } from '../auth/scopes';
import {
  decide,
  enforce,
  PolicyCaller,
  TargetClass,
  targetClass,
  TokenAction,
} from '../auth/token-policy';
import { AuthError } from '../auth/auth-error';
import { RequestValidationError } from '../common/domain-error';
import { Outcome } from '../common/envelope';
import { createdKey, Page, paginate } from '../common/pagination';
import { AppConfig } from '../config/app-config';
import { Author } from '../database/domain-event';
import { Transaction, UnitOfWork } from '../database/unit-of-work';
import { identityLabel } from '../tenancy/identity.entity';
import { TenancyDirectory } from '../tenancy/tenancy-directory';
import { TenancyTokens } from '../tenancy/tenancy-tokens';
import { ApiToken, tokenStatus } from './api-token.entity';
import {
  BulkRevokeDto,
  BulkRevokeResultDto,
  CreateTokenDto,
  ListPlatformTokensQueryDto,
  ListTokensQueryDto,
  RenameTokenDto,
  RotateTokenDto,
} from './dto/token-requests.dto';
import { IssuedTokenDto, TokenViewDto } from '../auth/token-view.dto';
import { TokenError } from './token-error';
import { expiryInDays, FIRST_TOKEN_DAYS } from './token-lifetime';
import {
  TokenCreatedEvent,
  TokenRef,
  TokenRenamedEvent,
  TokenRevokedEvent,
  TokenRotatedEvent,
  TokensBulkRevokedEvent,
} from './tokens.events';
import { TokensRepository } from './tokens.repository';
import { hashSecret, isWellFormedSecret, mintSecret, newJti } from './token-secret';

export interface IssueTokenInput {
  businessId: string | null;
  identityId: string;
  name: string;
  scopes: string[] | null;
  expiresAt: Date | null;
  rotatedFromId?: string | null;
  /** The new token's id, when the caller had to know it first (a rotation claims it). */
  id?: string;
}

/** The operator at a shell, as the token policy sees it. */
export const CLI_CALLER: PolicyCaller = { class: 'cli', scopes: null };

export function tokenRef(token: ApiToken): TokenRef {
  return {
    id: token.id,
    jti: token.jti,
    name: token.name,
    businessId: token.businessId,
    identityId: token.identityId,
  };
}

const notFound = () => new TokenError('TOKEN_NOT_FOUND', 'Token not found');
const notActive = () => new TokenError('TOKEN_NOT_ACTIVE', 'Only an active token can be rotated');
const alreadyRotated = () =>
  new TokenError('TOKEN_ALREADY_ROTATED', 'This token has been rotated already: use its successor');
const identityNotFound = () =>
  new TokenError('IDENTITY_NOT_FOUND', 'No machine identity with this id in the business');

@Injectable()
export class TokensService implements TenancyTokens {
  constructor(
    private readonly config: AppConfig,
    private readonly uow: UnitOfWork,
    private readonly tokens: TokensRepository,
    private readonly tenancy: TenancyDirectory,
  ) {}

  /** Creates a token for the caller, or (admins) for a machine identity of the business. */
  create(ctx: RequestContext, dto: CreateTokenDto): Promise<IssuedTokenDto> {
    const expiresAt = this.expiryOf(dto);
    const scopes = dto.scopes ?? null;
    return this.uow.run(async (tx) => {
      const identityId = dto.identity_id ?? ctx.actor.id;
      const target = await this.memberTarget(ctx, identityId, tx.manager);
      enforce(ctx.may('issue', target), identityNotFound);
      this.assertMayGrant(ctx, scopes);
      const { secret, token } = await this.issue(tx, ctx.author, {
        businessId: ctx.businessId,
        identityId,
        name: dto.name,
        scopes,
        expiresAt,
      });
      return IssuedTokenDto.issued(secret, token);
    });
  }

  list(ctx: RequestContext, query: ListTokensQueryDto): Promise<Page<TokenViewDto>> {
    // Without the right to manage every token, a caller lists only their own.
    const own = !this.managesAll(ctx);
    if (own && query.identity_id && query.identity_id !== ctx.actor.id) {
      return Promise.resolve({ items: [], next_cursor: null });
    }
    const filters = {
      status: query.status,
      identityId: own ? ctx.actor.id : query.identity_id,
      namePrefix: query.name,
    };
    return paginate(
      query,
      (limit, after) => this.tokens.listInBusiness(ctx.businessId, filters, limit, after),
      createdKey,
      (t) => TokenViewDto.of(t),
    );
  }

  listAnyBusiness(query: ListPlatformTokensQueryDto): Promise<Page<TokenViewDto>> {
    const filters = {
      status: query.status,
      identityId: query.identity_id,
      namePrefix: query.name,
      businessId: query.business_id,
    };
    return paginate(
      query,
      (limit, after) => this.tokens.listAnyBusiness(filters, limit, after),
      createdKey,
      (t) => TokenViewDto.of(t),
    );
  }

  async get(ctx: RequestContext, tokenId: string): Promise<TokenViewDto> {
    return TokenViewDto.of(await this.findVisible(ctx, tokenId));
  }

  rename(ctx: RequestContext, tokenId: string, dto: RenameTokenDto): Promise<TokenViewDto> {
    return this.uow.run(async (tx) => {
      const token = await this.findFor(ctx, 'rename', tokenId, tx.manager);
      await this.tokens.rename(tx.manager, ctx.businessId, token.id, dto.name);
      await tx.publish(new TokenRenamedEvent(ctx.author, tokenRef({ ...token, name: dto.name })));
      return TokenViewDto.of({ ...token, name: dto.name });
    });
  }

  /** Revokes a token the caller may see. Revoking again keeps the first revocation. */
  revoke(
    ctx: RequestContext,
    tokenId: string,
    reason: string | null,
  ): Promise<Outcome<TokenViewDto>> {
    return this.uow.run(async (tx) => {
      const token = await this.findFor(ctx, 'revoke', tokenId, tx.manager);
      return this.revokeOutcome(tx, ctx.author, token, reason);
    });
  }

  /** Revokes the token that makes the call: the last step of a client-side rotation. */
  revokeSelf(ctx: RequestContext, reason: string | null): Promise<Outcome<TokenViewDto>> {
    enforce(ctx.may('revoke', 'self'), notFound);
    return this.uow.run(async (tx) => {
      const token = await this.reload(tx.manager, ctx.token);
      if (!token) throw notFound();
      return this.revokeOutcome(tx, ctx.author, token, reason);
    });
  }

  /**
   * Revoke by value, for a platform admin or the CLI. An unknown or malformed secret is a 422,
   * and so is one the caller may not revoke: a value never confirms that a token exists.
   */
  async revokeByValue(
    caller: PolicyCaller,
    author: Author,
    secret: string,
    reason: string | null,
  ): Promise<Outcome<TokenViewDto>> {
    const invalid = () => new TokenError('INVALID_TOKEN', 'invalid token', { status: 422 });
    const token = await this.findBySecret(secret);
    if (!token) throw invalid();
    // Outside a business, every holder but oneself is alike to the platform and the CLI rows.
    const target: TargetClass =
      token.identityId === author.actor.id
        ? 'self'
        : token.businessId === null
          ? 'member'
          : await this.holderTarget(token.businessId, author.actor.id ?? '', token.identityId);
    enforce(decide('revoke', caller, target), invalid);
    return this.uow.run((tx) => this.revokeOutcome(tx, author, token, reason));
  }

  /**
   * RFC 7009: whoever presents a token may revoke it, and the answer never says whether it
   * existed. The revocation is recorded as made by the token's own identity.
   */
  async revokePresented(origin: Author['origin'], secret: string): Promise<void> {
    const token = await this.findBySecret(secret);
    if (!token || token.revokedAt) return;
    const identity = await this.tenancy.findIdentityAnyBusiness(token.identityId);
    const author: Author = {
      actor: {
        id: token.identityId,
        type: identity?.kind ?? 'user',
        label: identity ? identityLabel(identity) : token.identityId,
        tokenId: token.id,
        issuedBy: { id: token.createdById, label: token.createdBy },
      },
      origin,
    };
    await this.uow.run((tx) =>
      this.revokeToken(tx, author, token, 'revoked by presenting it (RFC 7009)'),
    );
  }

  /**
   * Issues a successor with the same name and scopes, and retires the old token now or at the
   * end of the grace period, whichever the caller asked for.
   */
  rotate(ctx: RequestContext, tokenId: string, dto: RotateTokenDto): Promise<IssuedTokenDto> {
    const grace = dto.grace_period_seconds ?? 0;
    return this.uow.run(async (tx) => {
      const old = await this.findFor(ctx, 'rotate', tokenId, tx.manager, { lock: true });
      // A rotated token says so, even once the winner's grace-0 revocation has retired it.
      if (old.rotatedToId !== null) throw alreadyRotated();
      if (tokenStatus(old) !== 'active') throw notActive();
      this.assertMayGrant(ctx, old.scopes);
      const now = Date.now();
      if (dto.expires_at && dto.expires_at.getTime() <= now) {
        throw futureDate('expires_at', dto.expires_at);
      }
      // First wins: the database decides, with one conditional UPDATE on the old token.
      const successorId = randomUUID();
      if (!(await this.tokens.claimRotation(tx.manager, old, successorId, new Date(now)))) {
        const current = await this.reload(tx.manager, old);
        throw current?.rotatedToId ? alreadyRotated() : notActive();
      }
      const lifetime = old.expiresAt ? old.expiresAt.getTime() - old.createdAt.getTime() : null;
      const { secret, token } = await this.issue(tx, ctx.author, {
        id: successorId,
        businessId: old.businessId,
        identityId: old.identityId,
        name: old.name,
        scopes: old.scopes,
        expiresAt: dto.expires_at ?? (lifetime === null ? null : new Date(now + lifetime)),
        rotatedFromId: old.id,
      });
      if (grace === 0) {
        await this.revokeToken(tx, ctx.author, old, 'rotated');
      } else {
        const graceEnd = new Date(now + grace * 1000);
        const end = old.expiresAt && old.expiresAt < graceEnd ? old.expiresAt : graceEnd;
        await this.tokens.setExpiry(tx.manager, old, end);
      }
      await tx.publish(new TokenRotatedEvent(ctx.author, tokenRef(old), tokenRef(token), grace));
      return IssuedTokenDto.issued(secret, token);
    });
  }

  /** Revokes every unrevoked token of the business that matches, in one transaction. */
  bulkRevoke(ctx: RequestContext, dto: BulkRevokeDto): Promise<BulkRevokeResultDto> {
    if (!dto.identity_id && !dto.created_before && !dto.scope && !dto.all) {
      throw new RequestValidationError([
        {
          loc: ['body'],
          msg: 'Give at least one of identity_id, created_before, scope, or all: true',
          type: 'missing',
        },
      ]);
    }
    return this.uow.run(async (tx) => {
      const candidates = await this.tokens.findUnrevokedInBusiness(tx.manager, ctx.businessId, {
        identityId: dto.identity_id,
        createdBefore: dto.created_before,
      });
      const scope = dto.scope;
      const revocable = await this.revocableBy(ctx, candidates, tx.manager);
      const matched = scope
        ? revocable.filter((t) => t.scopes !== null && scopesAllow(t.scopes, scope))
        : revocable;
      const ids = matched.map((t) => t.id);
      if (dto.dry_run) return { matched: matched.length, revoked: 0, token_ids: ids };
      const revoked: string[] = [];
      for (const token of matched) {
        if (await this.revokeToken(tx, ctx.author, token, dto.reason)) revoked.push(token.id);
      }
      await tx.publish(
        new TokensBulkRevokedEvent(
          ctx.author,
          ctx.businessId,
          {
            identity_id: dto.identity_id ?? null,
            created_before: dto.created_before?.toISOString() ?? null,
            scope: dto.scope ?? null,
            all: dto.all ?? false,
          },
          dto.reason,
          revoked,
        ),
      );
      return { matched: matched.length, revoked: revoked.length, token_ids: revoked };
    });
  }

  /**
   * RFC 7662. Anything the caller may not learn about (unknown, revoked, expired, of another
   * business, of a suspended business) is only `{active: false}`.
   */
  async introspect(caller: CallerToken, secret: string): Promise<Record<string, unknown>> {
    if (caller.businessId !== null) {
      const own = await this.tenancy.findBusiness(caller.businessId);
      if (own?.status !== 'active') {
        throw new TokenError('BUSINESS_SUSPENDED', 'This business is suspended');
      }
    }
    const token = await this.findBySecret(secret);
    const inactive = { active: false };
    if (!token || tokenStatus(token) !== 'active') return inactive;
    if (caller.businessId !== null && token.businessId !== caller.businessId) return inactive;
    if (token.businessId !== null) {
      const business = await this.tenancy.findBusiness(token.businessId);
      const membership = await this.tenancy.findMembership(token.businessId, token.identityId);
      if (business?.status !== 'active' || !membership) return inactive;
      // As the verifier: a token from an earlier membership of the same person is dead.
      if (token.createdAt < membership.createdAt) return inactive;
    } else {
      const identity = await this.tenancy.findIdentityAnyBusiness(token.identityId);
      if (!identity?.isPlatformAdmin) return inactive;
    }
    return {
      active: true,
      scope: token.scopes === null ? null : token.scopes.join(' '),
      sub: token.identityId,
      business_id: token.businessId,
      exp: token.expiresAt ? Math.floor(token.expiresAt.getTime() / 1000) : null,
      iat: Math.floor(token.createdAt.getTime() / 1000),
      jti: token.jti,
      token_type: 'Bearer',
    };
  }

  /** Mints and stores a token inside the caller's transaction. The secret leaves only here. */
  async issue(
    tx: Transaction,
    author: Author,
    input: IssueTokenInput,
  ): Promise<{ secret: string; token: ApiToken }> {
    const minted = mintSecret(this.config.TOKEN_PREFIX);
    const token = Object.assign(new ApiToken(), {
      id: input.id ?? randomUUID(),
      jti: newJti(),
      businessId: input.businessId,
      identityId: input.identityId,
      name: input.name,
      scopes: input.scopes,
      tokenHash: minted.hash,
      preview: minted.preview,
      createdAt: new Date(),
      createdBy: author.actor.label,
      createdById: author.actor.id,
      expiresAt: input.expiresAt,
      lastUsedAt: null,
      revokedAt: null,
      revokedBy: null,
      revokedById: null,
      revocationReason: null,
      rotatedFromId: input.rotatedFromId ?? null,
      rotatedToId: null,
    } satisfies ApiToken);
    await this.tokens.insert(tx.manager, token);
    await tx.publish(
      new TokenCreatedEvent(
        author,
        tokenRef(token),
        token.scopes,
        token.expiresAt?.toISOString() ?? null,
      ),
    );
    return { secret: minted.secret, token };
  }

  /**
   * The first token of a business owner, a new member, or one re-issued: expiring in 7 days
   * unless told otherwise, and holding no more than its maker's scopes allow within the
   * holder's role (unrestricted when the maker is). Returned with its secret, shown once.
   * The caller has asked the token policy first.
   */
  async issueFirstToken(
    tx: Transaction,
    author: Author,
    maker: PolicyCaller,
    holder: { businessId: string; identityId: string; isAdmin: boolean },
    expiresInDays: number = FIRST_TOKEN_DAYS,
  ): Promise<IssuedTokenDto> {
    const { secret, token } = await this.issue(tx, author, {
      businessId: holder.businessId,
      identityId: holder.identityId,
      name: 'first-token',
      scopes: firstTokenScopes(maker.scopes, holder.isAdmin),
      expiresAt: expiryInDays(expiresInDays),
    });
    return IssuedTokenDto.issued(secret, token);
  }

  /** A platform token for a platform admin, capped by its maker's scopes. */
  async issuePlatformToken(
    tx: Transaction,
    author: Author,
    maker: PolicyCaller,
    holder: { identityId: string; name: string; expiresInDays?: number },
  ): Promise<IssuedTokenDto> {
    const { secret, token } = await this.issue(tx, author, {
      businessId: null,
      identityId: holder.identityId,
      name: holder.name,
      scopes: maker.scopes === null ? null : [...maker.scopes],
      expiresAt: expiryInDays(holder.expiresInDays),
    });
    return IssuedTokenDto.issued(secret, token);
  }

  /**
   * For the CLI: a token for a person, by email, in a business they belong to. The shell is
   * trusted like a platform admin, so no scope ceiling applies.
   */
  async issueForMember(
    author: Author,
    businessId: string,
    email: string,
    dto: CreateTokenDto,
  ): Promise<IssuedTokenDto> {
    const expiresAt = this.expiryOf(dto);
    const identity = await this.tenancy.findUserByEmail(email);
    return this.uow.run(async (tx) => {
      const target = identity
        ? await this.holderTarget(businessId, '', identity.id, {
            members: true,
            em: tx.manager,
            lock: true,
          })
        : 'unknown';
      enforce(
        decide('issue', CLI_CALLER, target),
        () =>
          new TokenError('MEMBER_NOT_FOUND', `${email} is not a member of business ${businessId}`),
      );
      const { secret, token } = await this.issue(tx, author, {
        businessId,
        identityId: identity!.id,
        name: dto.name,
        scopes: dto.scopes ?? null,
        expiresAt,
      });
      return IssuedTokenDto.issued(secret, token);
    });
  }

  /** The view of the token making the call. */
  async callerTokenView(caller: CallerToken): Promise<TokenViewDto> {
    // The verifier's row is at most one cache TTL old, and evicted by every change to it.
    if (caller.row) return TokenViewDto.of(caller.row);
    const token = await this.reload(undefined, caller);
    if (!token) throw notFound();
    return TokenViewDto.of(token);
  }

  /**
   * Revokes every unrevoked token of an identity in a business (or its platform tokens when
   * `businessId` is null), one event per token. Returns the ids it revoked.
   */
  async revokeAllOfIdentity(
    tx: Transaction,
    author: Author,
    businessId: string | null,
    identityId: string,
    reason: string,
  ): Promise<string[]> {
    const candidates =
      businessId === null
        ? await this.tokens.findUnrevokedPlatformTokens(tx.manager, identityId)
        : await this.tokens.findUnrevokedOfIdentity(tx.manager, businessId, identityId);
    const revoked: string[] = [];
    for (const token of candidates) {
      if (await this.revokeToken(tx, author, token, reason)) revoked.push(token.id);
    }
    return revoked;
  }

  /**
   * The one revocation path. First revocation wins (a conditional UPDATE); only the winner
   * emits the event, and the bus hears of it once the transaction has committed.
   */
  private async revokeToken(
    tx: Transaction,
    author: Author,
    token: ApiToken,
    reason: string | null,
    revokedAt = new Date(),
  ): Promise<boolean> {
    const won = await this.tokens.revokeIfUnrevoked(tx.manager, token, {
      revokedAt,
      revokedBy: author.actor.label,
      revokedById: author.actor.id,
      reason,
    });
    if (!won) return false;
    await tx.publish(new TokenRevokedEvent(author, tokenRef(token), reason));
    return true;
  }

  private async revokeOutcome(
    tx: Transaction,
    author: Author,
    token: ApiToken,
    reason: string | null,
  ): Promise<Outcome<TokenViewDto>> {
    const revokedAt = new Date();
    if (await this.revokeToken(tx, author, token, reason, revokedAt)) {
      return new Outcome(
        TokenViewDto.of({
          ...token,
          revokedAt,
          revokedBy: author.actor.label,
          revokedById: author.actor.id,
          revocationReason: reason,
        }),
      );
    }
    const current = (await this.reload(tx.manager, token)) ?? token;
    return new Outcome(
      TokenViewDto.of(current),
      'ALREADY_REVOKED',
      'The token was already revoked; the first revocation stands',
    );
  }

  /** A token of the business the caller may see; anything else is 404, never 403. */
  private async findVisible(ctx: RequestContext, tokenId: string, em?: EntityManager) {
    const token = await this.tokens.findById(ctx.businessId, tokenId, em);
    if (!token || (token.identityId !== ctx.actor.id && !this.managesAll(ctx))) throw notFound();
    return token;
  }

  /**
   * A token of the business that the token policy lets the caller act on, or its refusal.
   * `lock` when the action issues a token for the holder (rotation): see `holderTarget`.
   */
  private async findFor(
    ctx: RequestContext,
    action: TokenAction,
    tokenId: string,
    em: EntityManager,
    options: { lock?: boolean } = {},
  ): Promise<ApiToken> {
    const token = await this.tokens.findById(ctx.businessId, tokenId, em);
    if (!token) throw notFound();
    const target = await this.holderTarget(ctx.businessId, ctx.actor.id, token.identityId, {
      em,
      lock: options.lock,
      callerIsMember: !ctx.isPlatformToken,
    });
    enforce(ctx.may(action, target), notFound);
    return token;
  }

  /**
   * Classes a token's holder for the policy. A holder who is no longer a member holds only
   * revoked tokens (removal revokes them) and no role to protect, so counts as a member; with
   * `members: true` (issuance) a non-member is `unknown` instead, for nothing is issued to them.
   *
   * `lock` is the issuance rule, taken by everything that issues a token in a business (create,
   * rotate, re-issue, the CLI): **a token is issued only under the membership's issuance lock,
   * held shared until the transaction ends** (an advisory lock, `key-lock.ts`). Ending a
   * membership (member removal, machine deletion) takes it exclusively before it deletes the
   * row: it waits for every issuer under way to commit, then revokes what it finds, those
   * issuers' tokens included, and an issuer that comes after waits, finds no membership, and
   * issues nothing. So once a removal returns, no active token of that identity in that
   * business exists, and none can be made. (SQLite runs one unit of work at a time, so the
   * same read inside the transaction is enough there.)
   */
  private async holderTarget(
    businessId: string,
    callerId: string,
    identityId: string,
    options: {
      members?: boolean;
      em?: EntityManager;
      lock?: boolean;
      callerIsMember?: boolean;
    } = {},
  ): Promise<TargetClass> {
    const mustRead = options.lock || identityId !== callerId;
    const holder = mustRead
      ? (
          await this.tenancy.membersOf(businessId, [identityId], options.em, {
            lock: options.lock,
          })
        ).get(identityId)
      : undefined;
    if (identityId === callerId) {
      // The caller was removed while this request ran: their token speaks for no one now.
      if (options.lock && options.callerIsMember && !holder) {
        throw AuthError.bearer('INVALID_TOKEN', 'Invalid token');
      }
      return 'self';
    }
    if (!holder && options.members) return 'unknown';
    return targetClass(callerId, holder ?? { id: identityId, kind: 'user', role: null });
  }

  /** The target of a new token (the caller, or an identity that must be a member), locked. */
  private memberTarget(
    ctx: RequestContext,
    identityId: string,
    em: EntityManager,
  ): Promise<TargetClass> {
    return this.holderTarget(ctx.businessId, ctx.actor.id, identityId, {
      members: true,
      em,
      lock: true,
      callerIsMember: !ctx.isPlatformToken,
    });
  }

  /** Those of `candidates` the token policy lets the caller revoke: bulk revoke skips the rest. */
  private async revocableBy(
    ctx: RequestContext,
    candidates: ApiToken[],
    em: EntityManager,
  ): Promise<ApiToken[]> {
    const holders = await this.tenancy.membersOf(
      ctx.businessId,
      candidates.map((t) => t.identityId),
      em,
    );
    return candidates.filter((t) => {
      const holder = holders.get(t.identityId) ?? { id: t.identityId, kind: 'user', role: null };
      return ctx.may('revoke', targetClass(ctx.actor.id, holder)).allowed;
    });
  }

  /** Owners and admins whose token allows `tokens:admin` see every token of the business. */
  private managesAll(ctx: RequestContext): boolean {
    return ctx.hasRole('admin') && ctx.allowsScope('tokens:admin');
  }

  /** A new token never holds more than the token that makes it, nor more than the role. */
  private assertMayGrant(ctx: RequestContext, scopes: string[] | null): void {
    const beyondToken = !scopesWithin(scopes, ctx.token.scopes);
    const beyondRole = !ctx.hasRole('admin') && reachesAdminScope(scopes);
    if (beyondToken || beyondRole) {
      throw new TokenError(
        'SCOPE_ESCALATION',
        'The new token would hold more than its creator may grant',
      );
    }
  }

  private async findBySecret(secret: string): Promise<ApiToken | null> {
    if (!isWellFormedSecret(secret)) return null;
    return this.tokens.findByHashAnyBusiness(hashSecret(secret));
  }

  private reload(em: EntityManager | undefined, token: { id: string; businessId: string | null }) {
    return token.businessId === null
      ? this.tokens.findPlatformTokenById(token.id, em)
      : this.tokens.findById(token.businessId, token.id, em);
  }

  private expiryOf(dto: CreateTokenDto): Date | null {
    if (dto.expires_at && dto.expires_in_days) {
      throw new RequestValidationError([
        {
          loc: ['body', 'expires_at'],
          msg: 'Give expires_at or expires_in_days, not both',
          type: 'value_error',
        },
      ]);
    }
    if (dto.expires_at) {
      if (dto.expires_at.getTime() <= Date.now()) throw futureDate('expires_at', dto.expires_at);
      return dto.expires_at;
    }
    return expiryInDays(dto.expires_in_days);
  }
}

function futureDate(field: string, value: Date): RequestValidationError {
  return new RequestValidationError([
    {
      loc: ['body', field],
      msg: 'Input should be in the future',
      type: 'date_future',
      input: value.toISOString(),
    },
  ]);
}
