import { Injectable } from '@nestjs/common';
import type { RequestContext } from '../../../auth/request-context';
import { TargetClass } from '../../policy/token-policy-terms';
import { decideOnToken, enforce, PolicyCaller, policyCallerOf } from '../../policy/policy-decision';
import { TokenViewDto } from '../../dto/token-view.dto';
import { Outcome } from '../../../common/http/envelope';
import { Database } from '../../../database/connection/read-routing';
import { Author } from '../../../database/units/domain-event';
import { activeTokensKey, holdKeyLock } from '../../../database/units/key-lock';
import { Transaction, UnitOfWork } from '../../../database/units/unit-of-work';
import { identityLabel } from '../../../tenancy/identity-label';
import { TenancyDirectory } from '../../../tenancy/tenancy-directory';
import { ApiToken } from '../../store/entities/api-token.entity';
import { TokenAccess } from '../../policy/token-access';
import { FIRST_TOKEN_NAME } from '../../policy/token-lifetime';
import { TokenError, tokenNotFound } from '../../token-error';
import { LeakSighting, TokenLeakedEvent } from '../../token-sightings.events';
import { RevocationCause, tokenRef, TokenRevokedEvent } from '../../tokens.events';
import { TokensRepository } from '../../store/repositories/tokens.repository';
import { TokenWritesRepository } from '../../store/repositories/token-writes.repository';
import { hashSecret, isWellFormedSecret } from '../../token-secret';
import { ImportedKeys } from '../../verify/imported-keys';

/** The reason a re-issue writes on the first token it replaces. */
export const REISSUE_REASON = 'first token re-issued';

/**
 * Every way one token is revoked (by id, self, by value, RFC 7009), and the one revocation path
 * that these and the batches (`BatchRevocationService`) share.
 */
@Injectable()
export class TokenRevocationService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly tokens: TokensRepository,
    private readonly writes: TokenWritesRepository,
    private readonly tenancy: TenancyDirectory,
    private readonly access: TokenAccess,
    private readonly database: Database,
    private readonly imported: ImportedKeys,
  ) {}

  /** Revokes a token the caller may see. Revoking again keeps the first revocation. */
  revoke(
    ctx: RequestContext,
    tokenId: string,
    reason: string | null,
  ): Promise<Outcome<TokenViewDto>> {
    return this.uow.run(async (tx) => {
      const token = await this.access.findFor(ctx, 'revoke', tokenId, {}, tx);
      return this.revokeOutcome(ctx.author, token, reason, tx);
    });
  }

  /** Revokes the token that makes the call: the last step of a client-side rotation. */
  revokeSelf(ctx: RequestContext, reason: string | null): Promise<Outcome<TokenViewDto>> {
    enforce(decideOnToken('revoke', policyCallerOf(ctx), 'self', true), tokenNotFound);
    return this.uow.run(async (tx) => {
      const token = await this.tokens.reload(ctx.token, tx);
      if (!token) throw tokenNotFound();
      return this.revokeOutcome(ctx.author, token, reason, tx);
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
    const invalid = () => new TokenError('INVALID_TOKEN');
    const token = await this.findBySecret(secret);
    if (!token) throw invalid();
    enforce(await this.mayRevoke(caller, author, token), invalid);
    return this.uow.run((tx) => this.revokeOutcome(author, token, reason, tx));
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
    const token = await this.tokens.findByIdAnyBusiness(tokenId, this.database.primary);
    if (!token) throw tokenNotFound();
    enforce(await this.mayRevoke(caller, author, token), tokenNotFound);
    return this.uow.run((tx) => this.revokeOutcome(author, token, reason, tx));
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
      token.businessId,
      author.actor.id ?? '',
      token.identityId,
      {},
      this.database.primary,
    );
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
      this.revokeToken(
        author,
        token,
        'revoked by presenting it (RFC 7009)',
        'presented',
        new Date(),
        tx,
      ),
    );
  }

  /**
   * A secret scanner found this secret in public. A token it names is revoked (reason `leaked`),
   * with a `token.leaked` event that says where it was seen, in one transaction. A token revoked
   * before (by its holder, a rotation, …) stays as it was, but its business is still told, once:
   * the place its secret leaked from may hold others. The first report marks the token
   * (`leak_reported_at`, a conditional UPDATE), so a report sent twice, or in parallel, changes
   * nothing the second time. Answers whether the secret names a token at all.
   */
  async revokeLeaked(
    author: Author,
    secret: string,
    sighting: LeakSighting,
  ): Promise<'revoked' | 'already_revoked' | 'unknown'> {
    const token = await this.findBySecret(secret);
    if (!token) return 'unknown';
    // A token reported before is left as it is, with nothing written: a report sent again.
    if (token.leakReportedAt) return 'already_revoked';
    return this.uow.run(async (tx) => {
      const now = new Date();
      const revoked =
        !token.revokedAt && (await this.revokeToken(author, token, 'leaked', 'leaked', now, tx));
      if (await this.writes.markLeakReported(token, now, tx)) {
        await tx.publish(new TokenLeakedEvent(author, tokenRef(token), sighting, revoked));
      }
      return revoked ? 'revoked' : 'already_revoked';
    });
  }

  /**
   * Revokes the holder's active first tokens in the business (named `FIRST_TOKEN_NAME`), inside
   * the caller's transaction: a re-issued first token replaces the old one, so that nobody holds
   * two. Each gets its `token.revoked` event. Answers the ids it revoked.
   */
  async revokeFirstTokens(
    author: Author,
    businessId: string,
    identityId: string,
    tx: Transaction,
  ): Promise<string[]> {
    // Re-issues for one holder run one at a time (the lock issuance takes for the cap), so each
    // sees the first token the one before it made, and no two of them stay active.
    await holdKeyLock(activeTokensKey(businessId, identityId), 'exclusive', tx);
    const now = new Date();
    const old = await this.tokens.findActiveByName(
      businessId,
      identityId,
      FIRST_TOKEN_NAME,
      now,
      tx,
    );
    const revoked: string[] = [];
    for (const token of old) {
      if (await this.revokeToken(author, token, REISSUE_REASON, 'reissued', now, tx)) {
        revoked.push(token.id);
      }
    }
    return revoked;
  }

  /**
   * Revokes the named tokens of a business inside the caller's transaction: the line of an
   * authorization grant, which its end (a withdrawn consent, a reused refresh token, a replayed
   * code) revokes at once. Each gets its `token.revoked`; answers how many this call revoked.
   */
  async revokeTokensIn(
    author: Author,
    businessId: string,
    tokenIds: readonly string[],
    reason: string,
    tx: Transaction,
  ): Promise<number> {
    const now = new Date();
    let revoked = 0;
    for (const id of tokenIds) {
      const token = await this.tokens.findById(businessId, id, tx);
      if (token && (await this.revokeToken(author, token, reason, 'grant_ended', now, tx))) {
        revoked++;
      }
    }
    return revoked;
  }

  /**
   * The one revocation path. First revocation wins (a conditional UPDATE); only the winner
   * emits the event, and the bus hears of it once the transaction has committed. `cause` is the
   * kind of revocation, which `reason` (the caller's text) cannot be trusted to say.
   */
  async revokeToken(
    author: Author,
    token: ApiToken,
    reason: string | null,
    cause: RevocationCause,
    revokedAt: Date,
    tx: Transaction,
  ): Promise<boolean> {
    const won = await this.writes.revokeIfUnrevoked(
      token,
      {
        revokedAt,
        revokedBy: author.actor.label,
        revokedById: author.actor.id,
        reason,
      },
      tx,
    );
    if (!won) return false;
    await tx.publish(new TokenRevokedEvent(author, tokenRef(token), reason, cause));
    return true;
  }

  private async revokeOutcome(
    author: Author,
    token: ApiToken,
    reason: string | null,
    tx: Transaction,
  ): Promise<Outcome<TokenViewDto>> {
    const revokedAt = new Date();
    if (await this.revokeToken(author, token, reason, 'requested', revokedAt, tx)) {
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
    const current = (await this.tokens.reload(token, tx)) ?? token;
    return new Outcome(
      TokenViewDto.of(current),
      'ALREADY_REVOKED',
      'The token was already revoked; the first revocation stands',
    );
  }

  /** The token a presented secret names: Latchkey's shape, or a key brought from elsewhere. */
  private async findBySecret(secret: string): Promise<ApiToken | null> {
    if (!isWellFormedSecret(secret) && !(await this.imported.mayHold(secret))) return null;
    return this.tokens.findByHashAnyBusiness(hashSecret(secret), this.database.primary);
  }
}
