import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../../../auth/request-context';
import { scopesWithin } from '../../../auth/scopes';
import { Author } from '../../../database/units/domain-event';
import { Transaction, UnitOfWork } from '../../../database/units/unit-of-work';
import { ApiToken } from '../../store/entities/api-token.entity';
import { IssuedTokenDto } from '../../dto/token-view.dto';
import { RotateTokenDto } from '../../dto/token-requests.dto';
import { decide, enforce, PolicyCaller } from '../../policy/policy-decision';
import { TokenAccess } from '../../policy/token-access';
import { TokenError, tokenNotFound } from '../../token-error';
import { TokenIssuanceService } from './token-issuance.service';
import {
  constraintsOf,
  constraintsUnderMaker,
  RequestedConstraints,
  TokenConstraints,
  UNCONSTRAINED,
} from '../../policy/token-constraints';
import {
  earlierCeiling,
  ExpiryCeiling,
  expiryUnderMaker,
  futureDate,
} from '../../policy/token-lifetime';
import { TokenRevocationService } from '../revocation/token-revocation.service';
import { tokenEditKey } from '../../policy/token-narrowing';
import { holdKeyLock } from '../../../database/units/key-lock';
import { tokenLife } from '../../token-status';
import { tokenRef, TokenRotatedEvent } from '../../tokens.events';
import { TokensRepository } from '../../store/repositories/tokens.repository';
import { TokenWritesRepository } from '../../store/repositories/token-writes.repository';
import { usesOfRow, type UsesState } from '../../usage/uses/token-uses';
import { UsesMeter } from '../../usage/uses/uses-meter';

const notActive = () => new TokenError('TOKEN_NOT_ACTIVE');
const alreadyRotated = () => new TokenError('TOKEN_ALREADY_ROTATED');
// A paused token's successor would undo the pause.
const disabled = () =>
  new TokenError('TOKEN_NOT_ACTIVE', 'A disabled token cannot be rotated: enable it first');

/**
 * Rotation: a new secret for an active token, with its name and scopes, that lives no longer
 * than the old one did; the old one is revoked at once or kept for a grace period. First wins.
 */
@Injectable()
export class TokenRotationService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly tokens: TokensRepository,
    private readonly writes: TokenWritesRepository,
    private readonly access: TokenAccess,
    private readonly issuance: TokenIssuanceService,
    private readonly revocation: TokenRevocationService,
    private readonly uses: UsesMeter,
  ) {}

  rotate(ctx: RequestContext, tokenId: string, dto: RotateTokenDto): Promise<IssuedTokenDto> {
    // The body's 422 before the token's 404, as everywhere.
    const requested = this.issuance.requested(dto);
    return this.uow.run(async (tx) => {
      await holdKeyLock(tokenEditKey(tokenId), 'exclusive', tx);
      const old = await this.access.findFor(ctx, 'rotate', tokenId, { lock: true }, tx);
      // Another token of the caller's that rotates this one makes the successor, so caps it.
      // A token rotating itself hands its successor its own count: that makes no second one.
      const itself = old.id === ctx.token.id;
      const maker = constraintsOf(ctx.token);
      return this.rotateFound(
        ctx.author,
        old,
        dto,
        requested,
        itself ? null : ctx.token.expiresAt,
        itself ? { ...maker, uses: null } : maker,
        (scopes) => this.access.assertMayRenew(ctx, scopes),
        tx,
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
    const requested = this.issuance.requested(dto);
    return this.uow.run(async (tx) => {
      await holdKeyLock(tokenEditKey(tokenId), 'exclusive', tx);
      const old = await this.tokens.findByIdAnyBusiness(tokenId, tx);
      if (!old || old.businessId === null) throw tokenNotFound();
      // Under the issuance lock, as every issuer; a holder who is no member gets nothing.
      const target = await this.access.holderTarget(
        old.businessId,
        '',
        old.identityId,
        { nonMemberIsUnknown: true, lockForIssue: true },
        tx,
      );
      enforce(decide('rotate', caller, target), tokenNotFound);
      const maker = caller.constraints ?? UNCONSTRAINED;
      return this.rotateFound(
        author,
        old,
        dto,
        requested,
        caller.expiresAt,
        maker,
        (scopes) => {
          // The ceiling a calling token's scopes set: none for the operator, who is unrestricted.
          if (!scopesWithin(scopes, caller.scopes)) {
            throw new TokenError('SCOPE_ESCALATION');
          }
        },
        tx,
      );
    });
  }

  /**
   * The rotation itself, on a token its caller found under the token policy; `assertMayGrant`
   * refuses scopes that caller may not hand out, and `ceiling` is the calling token's expiry
   * when another token does the rotating. `maker` is the calling token's constraints: even its
   * own successor is never freer than it is.
   */
  private async rotateFound(
    author: Author,
    old: ApiToken,
    dto: RotateTokenDto,
    requested: RequestedConstraints,
    ceiling: ExpiryCeiling,
    maker: TokenConstraints,
    assertMayGrant: (scopes: string[] | null) => void,
    tx: Transaction,
  ): Promise<IssuedTokenDto> {
    const grace = dto.grace_period_seconds ?? 0;
    // A rotated token says so, even once the winner's grace-0 revocation has retired it.
    if (old.rotatedToId !== null) throw alreadyRotated();
    if (tokenLife(old) !== 'active') throw notActive();
    if (old.disabledAt) throw disabled();
    assertMayGrant(old.scopes);
    const capped = constraintsUnderMaker(requested, constraintsOf(old), maker);
    const constraints = capped.constraints;
    const now = Date.now();
    if (dto.expires_at && dto.expires_at.getTime() <= now) {
      throw futureDate('expires_at', dto.expires_at);
    }
    // Rotation renews, so automation can keep itself alive; it never lengthens: a successor
    // lives no longer than the token it replaces did, and a token with no expiry may stay so.
    const lifetime = old.expiresAt ? old.expiresAt.getTime() - old.createdAt.getTime() : null;
    const sameLength = lifetime === null ? null : new Date(now + lifetime);
    const expiryAskedAt = dto.expires_at === undefined ? null : ['body', 'expires_at'];
    const expiry = expiryUnderMaker(
      dto.expires_at ?? sameLength,
      expiryAskedAt,
      earlierCeiling(sameLength, ceiling),
    );
    // First wins: the database decides, with one conditional UPDATE on the old token.
    const successorId = randomUUID();
    if (!(await this.writes.claimRotation(old, successorId, new Date(now), tx))) {
      const current = await this.tokens.reload(old, tx);
      if (current?.rotatedToId) throw alreadyRotated();
      throw current?.disabledAt ? disabled() : notActive();
    }
    const { secret, token } = await this.issuance.issue(
      author,
      {
        id: successorId,
        businessId: old.businessId,
        identityId: old.identityId,
        name: old.name,
        scopes: old.scopes,
        meta: old.meta,
        expiresAt: expiry.expiresAt,
        expiryAskedAt,
        constraints,
        // Answered with the policy's, in the order they were answered before it: every rule at once.
        makerBreaches: [capped.breach, expiry.breach].filter((b) => b !== null),
        // Bound as the old one was, unless the body names another key.
        dpopJkt: dto.dpop_jkt ?? old.dpopJkt,
        rotatedFromId: old.id,
        ...(grace === 0 ? { replaces: old.id } : {}),
      },
      tx,
    );
    // The successor was made with the stored count: now that nothing can refuse it, it takes
    // the live one (a failed rotation thus leaves the old token's uses as they were).
    if (constraints.uses) await this.handOverUses(old, token, constraints.uses, grace > 0, tx);
    if (grace === 0) {
      await this.revocation.revokeToken(author, old, 'rotated', 'rotated', new Date(), tx);
    } else {
      const graceEnd = new Date(now + grace * 1000);
      const end = old.expiresAt && old.expiresAt < graceEnd ? old.expiresAt : graceEnd;
      await this.writes.setExpiry(old, end, tx);
    }
    await tx.publish(new TokenRotatedEvent(author, tokenRef(old), tokenRef(token), grace));
    return IssuedTokenDto.issued(secret, token);
  }

  /**
   * The old token's live count goes to its successor, and the old one keeps none: what this
   * process and the shared count hold of it is taken, so no instance grants a use of it twice.
   * One kept for a grace period loses its limit too, or a refill in that period would give it
   * uses again; a revoked one keeps its limit, for its view.
   */
  private async handOverUses(
    old: ApiToken,
    successor: ApiToken,
    uses: UsesState,
    kept: boolean,
    tx: Transaction,
  ): Promise<void> {
    const left = usesOfRow(old);
    const handed = left ? await this.uses.handOver(old, left, tx) : uses.remaining;
    await this.writes.edit(
      old,
      kept ? { usesLimit: 0, usesRemaining: 0 } : { usesRemaining: 0 },
      tx,
    );
    if (handed === uses.remaining) return;
    const remaining = Math.min(handed, uses.limit);
    await this.writes.edit(successor, { usesRemaining: remaining, usesPeriod: uses.period }, tx);
    successor.usesRemaining = remaining;
    successor.usesPeriod = uses.period;
  }
}
