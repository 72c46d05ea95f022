import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../auth/request-context';
import { firstTokenScopes, scopesWithin } from '../auth/scopes';
import { CLI_CALLER, decide, enforce, mayAct, PolicyCaller } from './policy-decision';
import { tokenStatus } from './token-status';
import { IssuedTokenDto, TokenViewDto } from './dto/token-view.dto';
import { RequestValidationError } from '../common/domain-error';
import { AppConfig } from '../config/app-config';
import { Author } from '../database/domain-event';
import { activeTokensKey, holdKeyLock } from '../database/key-lock';
import { Transaction, UnitOfWork } from '../database/unit-of-work';
import { TenancyDirectory } from '../tenancy/tenancy-directory';
import { TenancyError } from '../tenancy/tenancy-error';
import { ApiToken } from './api-token.entity';
import { CreateTokenDto, RenameTokenDto, RotateTokenDto } from './dto/token-requests.dto';
import { identityNotFound, notFound, TokenAccess, tokenRef } from './token-access';
import { TokenError } from './token-error';
import {
  cappedExpiry,
  earlierCeiling,
  ExpiryCeiling,
  expiryInDays,
  FIRST_TOKEN_DAYS,
} from './token-lifetime';
import { TokenRevocationService } from './token-revocation.service';
import { mintSecret, newJti } from './token-secret';
import { TokenCreatedEvent, TokenRenamedEvent, TokenRotatedEvent } from './tokens.events';
import { TokensRepository } from './tokens.repository';

export interface IssueTokenInput {
  businessId: string | null;
  identityId: string;
  name: string;
  scopes: string[] | null;
  expiresAt: Date | null;
  rotatedFromId?: string | null;
  /** A token this one replaces in the same transaction (a rotation with no grace period). */
  replaces?: string;
  /** The new token's id, when the caller had to know it first (a rotation claims it). */
  id?: string;
}

const notActive = () => new TokenError('TOKEN_NOT_ACTIVE', 'Only an active token can be rotated');
const alreadyRotated = () =>
  new TokenError('TOKEN_ALREADY_ROTATED', 'This token has been rotated already: use its successor');

/** Every way a token comes to be: create, rotate, first tokens, platform tokens, the CLI; and rename. */
@Injectable()
export class TokenIssuanceService {
  constructor(
    private readonly config: AppConfig,
    private readonly uow: UnitOfWork,
    private readonly tokens: TokensRepository,
    private readonly tenancy: TenancyDirectory,
    private readonly access: TokenAccess,
    private readonly revocation: TokenRevocationService,
  ) {}

  /** Creates a token for the caller, or (admins) for a machine identity of the business. */
  create(ctx: RequestContext, dto: CreateTokenDto): Promise<IssuedTokenDto> {
    const expiresAt = cappedExpiry(this.expiryOf(dto), askedExpiry(dto), ctx.token.expiresAt);
    const scopes = dto.scopes ?? null;
    return this.uow.run(async (tx) => {
      const identityId = dto.identity_id ?? ctx.actor.id;
      const target = await this.access.memberTarget(ctx, identityId, tx);
      enforce(mayAct(ctx, 'issue', target), identityNotFound);
      this.access.assertMayGrant(ctx, scopes);
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

  /**
   * Issues a successor with the same name and scopes, and retires the old token now or at the
   * end of the grace period, whichever the caller asked for.
   */
  rotate(ctx: RequestContext, tokenId: string, dto: RotateTokenDto): Promise<IssuedTokenDto> {
    return this.uow.run(async (tx) => {
      const old = await this.access.findFor(ctx, 'rotate', tokenId, tx, { lock: true });
      // Another token of the caller's that rotates this one makes the successor, so caps it.
      const ceiling = old.id === ctx.token.id ? null : ctx.token.expiresAt;
      return this.rotateFound(tx, ctx.author, old, dto, ceiling, (scopes) =>
        this.access.assertMayGrant(ctx, scopes),
      );
    });
  }

  /**
   * Rotation for the CLI, which names a token of any business by id: the same rotation, with
   * the token policy asked for `caller` (platform tokens are not rotated; `bootstrap` issues
   * a new one).
   */
  rotateAnyBusiness(
    caller: PolicyCaller,
    author: Author,
    tokenId: string,
    dto: RotateTokenDto,
  ): Promise<IssuedTokenDto> {
    return this.uow.run(async (tx) => {
      const old = await this.tokens.findByIdAnyBusiness(tokenId, tx);
      if (!old || old.businessId === null) throw notFound();
      // Under the issuance lock, as every issuer; a holder who is no member gets nothing.
      const target = await this.access.holderTarget(tx, old.businessId, '', old.identityId, {
        nonMemberIsUnknown: true,
        lockForIssue: true,
      });
      enforce(decide('rotate', caller, target), notFound);
      return this.rotateFound(tx, author, old, dto, caller.expiresAt, (scopes) => {
        // The ceiling a calling token's scopes set: none for the operator, who is unrestricted.
        if (!scopesWithin(scopes, caller.scopes)) {
          throw new TokenError(
            'SCOPE_ESCALATION',
            'The new token would hold more than its creator may grant',
          );
        }
      });
    });
  }

  /**
   * The rotation itself, on a token its caller found under the token policy; `assertMayGrant`
   * refuses scopes that caller may not hand out, and `ceiling` is the calling token's expiry
   * when another token does the rotating.
   */
  private async rotateFound(
    tx: Transaction,
    author: Author,
    old: ApiToken,
    dto: RotateTokenDto,
    ceiling: ExpiryCeiling,
    assertMayGrant: (scopes: string[] | null) => void,
  ): Promise<IssuedTokenDto> {
    const grace = dto.grace_period_seconds ?? 0;
    // A rotated token says so, even once the winner's grace-0 revocation has retired it.
    if (old.rotatedToId !== null) throw alreadyRotated();
    if (tokenStatus(old) !== 'active') throw notActive();
    assertMayGrant(old.scopes);
    const now = Date.now();
    if (dto.expires_at && dto.expires_at.getTime() <= now) {
      throw futureDate('expires_at', dto.expires_at);
    }
    // Rotation renews, so automation can keep itself alive; it never lengthens: a successor
    // lives no longer than the token it replaces did, and a token with no expiry may stay so.
    const lifetime = old.expiresAt ? old.expiresAt.getTime() - old.createdAt.getTime() : null;
    const sameLength = lifetime === null ? null : new Date(now + lifetime);
    const expiresAt = cappedExpiry(
      dto.expires_at ?? sameLength,
      dto.expires_at === undefined ? null : ['body', 'expires_at'],
      earlierCeiling(sameLength, ceiling),
    );
    // First wins: the database decides, with one conditional UPDATE on the old token.
    const successorId = randomUUID();
    if (!(await this.tokens.claimRotation(tx, old, successorId, new Date(now)))) {
      const current = await this.access.reload(tx, old);
      throw current?.rotatedToId ? alreadyRotated() : notActive();
    }
    const { secret, token } = await this.issue(tx, author, {
      id: successorId,
      businessId: old.businessId,
      identityId: old.identityId,
      name: old.name,
      scopes: old.scopes,
      expiresAt,
      rotatedFromId: old.id,
      ...(grace === 0 ? { replaces: old.id } : {}),
    });
    if (grace === 0) {
      await this.revocation.revokeToken(tx, author, old, 'rotated', 'rotated');
    } else {
      const graceEnd = new Date(now + grace * 1000);
      const end = old.expiresAt && old.expiresAt < graceEnd ? old.expiresAt : graceEnd;
      await this.tokens.setExpiry(tx, old, end);
    }
    await tx.publish(new TokenRotatedEvent(author, tokenRef(old), tokenRef(token), grace));
    return IssuedTokenDto.issued(secret, token);
  }

  rename(ctx: RequestContext, tokenId: string, dto: RenameTokenDto): Promise<TokenViewDto> {
    return this.uow.run(async (tx) => {
      const token = await this.access.findFor(ctx, 'rename', tokenId, tx);
      await this.tokens.rename(tx, ctx.businessId, token.id, dto.name);
      await tx.publish(new TokenRenamedEvent(ctx.author, tokenRef({ ...token, name: dto.name })));
      return TokenViewDto.of({ ...token, name: dto.name });
    });
  }

  /** Mints and stores a token inside the caller's transaction. The secret leaves only here. */
  async issue(
    tx: Transaction,
    author: Author,
    input: IssueTokenInput,
  ): Promise<{ secret: string; token: ApiToken }> {
    await this.assertBelowCap(tx, input);
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
    await this.tokens.insert(tx, token);
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
   * An identity holds at most MAX_ACTIVE_TOKENS_PER_IDENTITY active tokens. The count and the
   * insert run under one exclusive key lock per identity, so parallel creates cannot both pass
   * it on PostgreSQL (SQLite runs one unit of work at a time). A rotation with no grace period
   * replaces its token in the same transaction, so that one is not counted; with a grace period
   * both stay active, so both count, or rotating over and over would collect tokens.
   */
  private async assertBelowCap(tx: Transaction, input: IssueTokenInput): Promise<void> {
    const cap = this.config.MAX_ACTIVE_TOKENS_PER_IDENTITY;
    if (cap === 0) return;
    const { businessId, identityId } = input;
    await holdKeyLock(tx, activeTokensKey(businessId, identityId), 'exclusive');
    const active = await this.tokens.countActiveOfIdentity(
      tx,
      businessId,
      identityId,
      new Date(),
      input.replaces ?? null,
    );
    if (active >= cap) {
      throw new TokenError(
        'TOKEN_LIMIT_REACHED',
        `This identity holds ${active} active tokens, the most allowed (${cap}): revoke one first`,
      );
    }
  }

  /**
   * The first token of a business owner, a new member, or one re-issued: expiring in 7 days
   * unless told otherwise, and holding no more than its maker's scopes allow within the
   * holder's role (unrestricted when the maker is), nor outliving its maker. Returned with its
   * secret, shown once. The caller has asked the token policy first.
   */
  async issueFirstToken(
    tx: Transaction,
    author: Author,
    maker: PolicyCaller,
    holder: { businessId: string; identityId: string; isAdmin: boolean },
    expiresInDays?: number,
  ): Promise<IssuedTokenDto> {
    const { secret, token } = await this.issue(tx, author, {
      businessId: holder.businessId,
      identityId: holder.identityId,
      name: 'first-token',
      scopes: firstTokenScopes(maker.scopes, holder.isAdmin),
      expiresAt: cappedExpiry(
        expiryInDays(expiresInDays ?? FIRST_TOKEN_DAYS),
        expiresInDays === undefined ? null : EXPIRES_IN_DAYS,
        maker.expiresAt,
      ),
    });
    return IssuedTokenDto.issued(secret, token);
  }

  /** A platform token for a platform admin, capped by its maker's scopes and expiry. */
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
      expiresAt: cappedExpiry(
        expiryInDays(holder.expiresInDays),
        holder.expiresInDays === undefined ? null : EXPIRES_IN_DAYS,
        maker.expiresAt,
      ),
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
        ? await this.access.holderTarget(tx, businessId, '', identity.id, {
            nonMemberIsUnknown: true,
            lockForIssue: true,
          })
        : 'unknown';
      enforce(
        decide('issue', CLI_CALLER, target),
        () =>
          new TenancyError(
            'MEMBER_NOT_FOUND',
            `${email} is not a member of business ${businessId}`,
          ),
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

const EXPIRES_IN_DAYS = ['body', 'expires_in_days'];

/** Where the caller asked for an expiry, or null when it takes the default. */
function askedExpiry(dto: CreateTokenDto): string[] | null {
  if (dto.expires_at !== undefined) return ['body', 'expires_at'];
  return dto.expires_in_days === undefined ? null : EXPIRES_IN_DAYS;
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
