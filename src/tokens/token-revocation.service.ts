import { Injectable } from '@nestjs/common';
import type { RequestContext } from '../auth/request-context';
import { scopesAllow } from '../auth/scopes';
import { TargetClass } from './token-policy';
import { decideOnToken, enforce, PolicyCaller, policyCallerOf } from './policy-decision';
import { TokenViewDto } from './dto/token-view.dto';
import { RequestValidationError } from '../common/domain-error';
import { Outcome } from '../common/envelope';
import { AppConfig } from '../config/app-config';
import { Author, SYSTEM_AUTHOR } from '../database/domain-event';
import { Transaction, UnitOfWork } from '../database/unit-of-work';
import { identityLabel } from '../tenancy/identity.entity';
import { TenancyDirectory } from '../tenancy/tenancy-directory';
import { ApiToken } from './api-token.entity';
import { BulkRevokeDto, BulkRevokeResultDto } from './dto/token-requests.dto';
import { notFound, TokenAccess, tokenRef } from './token-access';
import { TokenError } from './token-error';
import { RevocationCause, TokenRevokedEvent, TokensBulkRevokedEvent } from './tokens.events';
import { TokensRepository } from './tokens.repository';

/**
 * Tokens one cascade batch revokes, each with its audit event, in one transaction, so that a
 * cascade of any size lets every other writer in between its batches. On SQLite a batch holds the
 * one writer and, better-sqlite3 being synchronous, the event loop: 10 tokens, about 15 ms here
 * (5,000 tokens: another business's /api/v1/me p99 79 ms in-process, against 215 ms with 20).
 * On PostgreSQL it holds only the business's chain lock, and the loop stays free: 100 tokens.
 */
export const CASCADE_BATCH = { sqlite: 10, postgres: 100 } as const;

/**
 * Lets the event loop run between two batches. better-sqlite3 answers synchronously, so a run of
 * batches is one unbroken chain of microtasks: without this, no request is even read until the
 * whole cascade is done (measured: another business's /api/v1/me waited out all of it).
 */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** What each cascade's revocations are counted as. */
/**
 * The reason each cascade records on the tokens it revokes. A closed set, so that the metrics
 * count cascades by kind without reading free text.
 */
export type CascadeReason =
  'member removed from business' | 'machine identity deleted' | 'platform admin removed';

const CASCADE_CAUSE: Record<CascadeReason, RevocationCause> = {
  'member removed from business': 'member_removed',
  'machine identity deleted': 'identity_deleted',
  'platform admin removed': 'platform_admin_removed',
};

/** Every way a token is revoked (by id, self, by value, RFC 7009, bulk, and the cascades). */
@Injectable()
export class TokenRevocationService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly tokens: TokensRepository,
    private readonly tenancy: TenancyDirectory,
    private readonly access: TokenAccess,
    config: AppConfig,
  ) {
    this.batch = CASCADE_BATCH[config.databaseDriver];
  }

  /** Tokens per cascade batch, for this database (CASCADE_BATCH). */
  private readonly batch: number;

  /** Revokes a token the caller may see. Revoking again keeps the first revocation. */
  revoke(
    ctx: RequestContext,
    tokenId: string,
    reason: string | null,
  ): Promise<Outcome<TokenViewDto>> {
    return this.uow.run(async (tx) => {
      const token = await this.access.findFor(ctx, 'revoke', tokenId, tx);
      return this.revokeOutcome(tx, ctx.author, token, reason);
    });
  }

  /** Revokes the token that makes the call: the last step of a client-side rotation. */
  revokeSelf(ctx: RequestContext, reason: string | null): Promise<Outcome<TokenViewDto>> {
    enforce(decideOnToken('revoke', policyCallerOf(ctx), 'self', true), notFound);
    return this.uow.run(async (tx) => {
      const token = await this.access.reload(tx, ctx.token);
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
    const invalid = () => new TokenError('INVALID_TOKEN', 'invalid token');
    const token = await this.access.findBySecret(secret);
    if (!token) throw invalid();
    enforce(await this.mayRevoke(caller, author, token), invalid);
    return this.uow.run((tx) => this.revokeOutcome(tx, author, token, reason));
  }

  /**
   * Revoke by id across businesses, platform tokens included: for a platform admin working
   * from the platform token list. An id that names no token is 404.
   */
  async revokeByIdAnyBusiness(
    caller: PolicyCaller,
    author: Author,
    tokenId: string,
    reason: string | null,
  ): Promise<Outcome<TokenViewDto>> {
    const token = await this.tokens.findByIdAnyBusiness(tokenId, null);
    if (!token) throw notFound();
    enforce(await this.mayRevoke(caller, author, token), notFound);
    return this.uow.run((tx) => this.revokeOutcome(tx, author, token, reason));
  }

  private async mayRevoke(caller: PolicyCaller, author: Author, token: ApiToken) {
    const itself = author.actor.tokenId === token.id;
    return decideOnToken('revoke', caller, await this.holderOf(author, token), itself);
  }

  /** Whose token, to a caller outside its business: every holder but oneself is alike there. */
  private async holderOf(author: Author, token: ApiToken): Promise<TargetClass> {
    if (token.identityId === author.actor.id) return 'self';
    if (token.businessId === null) return 'member';
    return this.access.holderTarget(
      null,
      token.businessId,
      author.actor.id ?? '',
      token.identityId,
    );
  }

  /**
   * RFC 7009: whoever presents a token may revoke it, and the answer never says whether it
   * existed. The revocation is recorded as made by the token's own identity.
   */
  async revokePresented(origin: Author['origin'], secret: string): Promise<void> {
    const token = await this.access.findBySecret(secret);
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
      this.revokeToken(tx, author, token, 'revoked by presenting it (RFC 7009)', 'presented'),
    );
  }

  /**
   * Revokes every unrevoked token of the business that matches: found and recorded as one
   * operation (its event lists them) in one transaction, then revoked in batches (each a
   * transaction with its tokens' audit events, so a bulk revoke of any size holds the writer or
   * the chain lock briefly at a time). First revocation wins, so a token revoked meanwhile by
   * someone else is skipped, and the answer counts what this call revoked.
   */
  async bulkRevoke(ctx: RequestContext, dto: BulkRevokeDto): Promise<BulkRevokeResultDto> {
    if (!dto.identity_id && !dto.created_before && !dto.scope && !dto.all) {
      throw new RequestValidationError([
        {
          loc: ['body'],
          msg: 'Give at least one of identity_id, created_before, scope, or all: true',
          type: 'missing',
        },
      ]);
    }
    const matched = await this.uow.run(async (tx) => {
      const candidates = await this.tokens.findUnrevokedInBusiness(tx, ctx.businessId, {
        identityId: dto.identity_id,
        createdBefore: dto.created_before,
      });
      const scope = dto.scope;
      const revocable = await this.access.revocableBy(ctx, candidates, tx);
      const found = scope
        ? revocable.filter((t) => t.scopes !== null && scopesAllow(t.scopes, scope))
        : revocable;
      if (dto.dry_run) return found;
      // The operation is recorded first, with what it will revoke: should that fail, nothing
      // is revoked; the batches below then write one token.revoked event per token.
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
          found.map((t) => t.id),
        ),
      );
      return found;
    });
    if (dto.dry_run) {
      return { matched: matched.length, revoked: 0, token_ids: matched.map((t) => t.id) };
    }
    const revoked: string[] = [];
    for (let start = 0; start < matched.length; start += this.batch) {
      const batch = matched.slice(start, start + this.batch);
      await this.uow.run(async (tx) => {
        for (const token of batch) {
          if (await this.revokeToken(tx, ctx.author, token, dto.reason, 'bulk')) {
            revoked.push(token.id);
          }
        }
      });
      await nextTurn();
    }
    return { matched: matched.length, revoked: revoked.length, token_ids: revoked };
  }

  /**
   * The ids of the tokens a cascade will revoke: every unrevoked token of the identity in the
   * business (its platform tokens when `businessId` is null), read inside the transaction that
   * ends the holder's standing, for that operation's audit event.
   */
  cascadeTargets(tx: Transaction, businessId: string | null, identityId: string) {
    return this.tokens.unrevokedIdsOfIdentity(tx, businessId, identityId);
  }

  /**
   * Revokes what a cascade leaves after the transaction that ended the holder's standing has
   * committed (from then on the verifier refuses every one of those tokens, and no new one can be
   * issued): in batches of CASCADE_BATCH, each in a transaction of its own with its tokens' audit
   * events. Should the process stop between batches, `sweepOrphans` finishes the work at the
   * next start. Returns how many it revoked.
   */
  async finishCascade(
    author: Author,
    businessId: string | null,
    identityId: string,
    reason: CascadeReason,
  ): Promise<number> {
    const cause = CASCADE_CAUSE[reason];
    let total = 0;
    for (;;) {
      const batch = await this.uow.run(async (tx) => {
        const tokens = await this.tokens.findUnrevokedOfIdentity(
          tx,
          businessId,
          identityId,
          this.batch,
        );
        for (const token of tokens) await this.revokeToken(tx, author, token, reason, cause);
        return tokens.length;
      });
      total += batch;
      if (batch < this.batch) return total;
      await nextTurn();
    }
  }

  /**
   * Revokes, in batches, the tokens whose holder no longer stands behind them (see
   * `TokensRepository.findOrphansAnyBusiness`): what a cascade cut short left. Run at start.
   * Each gets its audit event, as made by the system. Returns how many it revoked.
   */
  async sweepOrphans(): Promise<number> {
    let total = 0;
    for (;;) {
      const batch = await this.uow.run(async (tx) => {
        const orphans = await this.tokens.findOrphansAnyBusiness(tx, this.batch);
        for (const token of orphans) {
          const reason = await this.orphanReason(token);
          await this.revokeToken(tx, SYSTEM_AUTHOR, token, reason, CASCADE_CAUSE[reason]);
        }
        return orphans.length;
      });
      total += batch;
      if (batch < this.batch) return total;
      await nextTurn();
    }
  }

  private async orphanReason(token: ApiToken): Promise<CascadeReason> {
    if (token.businessId === null) return 'platform admin removed';
    const identity = await this.tenancy.findIdentityAnyBusiness(token.identityId);
    return identity?.kind === 'machine'
      ? 'machine identity deleted'
      : 'member removed from business';
  }

  /**
   * The one revocation path. First revocation wins (a conditional UPDATE); only the winner
   * emits the event, and the bus hears of it once the transaction has committed. `cause` is the
   * kind of revocation, which `reason` (the caller's text) cannot be trusted to say.
   */
  async revokeToken(
    tx: Transaction,
    author: Author,
    token: ApiToken,
    reason: string | null,
    cause: RevocationCause,
    revokedAt = new Date(),
  ): Promise<boolean> {
    const won = await this.tokens.revokeIfUnrevoked(tx, token, {
      revokedAt,
      revokedBy: author.actor.label,
      revokedById: author.actor.id,
      reason,
    });
    if (!won) return false;
    await tx.publish(new TokenRevokedEvent(author, tokenRef(token), reason, cause));
    return true;
  }

  private async revokeOutcome(
    tx: Transaction,
    author: Author,
    token: ApiToken,
    reason: string | null,
  ): Promise<Outcome<TokenViewDto>> {
    const revokedAt = new Date();
    if (await this.revokeToken(tx, author, token, reason, 'requested', revokedAt)) {
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
    const current = (await this.access.reload(tx, token)) ?? token;
    return new Outcome(
      TokenViewDto.of(current),
      'ALREADY_REVOKED',
      'The token was already revoked; the first revocation stands',
    );
  }
}
