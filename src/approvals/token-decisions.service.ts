import { Injectable } from '@nestjs/common';
import type { RequestContext } from '../auth/request-context';
import { Database } from '../database/connection/read-routing';
import { UnitOfWork } from '../database/units/unit-of-work';
import { TenancyDirectory } from '../tenancy/tenancy-directory';
import { IssuedTokenDto } from '../tokens/dto/token-view.dto';
import { TokenIssuanceService } from '../tokens/lifecycle/issuance/token-issuance.service';
import { ApprovalError, requestNotFound } from './approval-error';
import { COLLECT_WITHIN_MS, TokenRequestViewDto } from './dto/token-request.dto';
import { TokenRequest } from './store/token-request.entity';
import { TokenRequestsRepository } from './store/token-requests.repository';
import { bodyOf, requestRef } from './token-requests.service';
import {
  TokenRequestApprovedEvent,
  TokenRequestCollectedEvent,
  TokenRequestDeniedEvent,
} from './token-requests.events';

type Decision = 'approved' | 'denied';

/**
 * Deciding a token request (an owner or admin, a person, never its requester) and collecting an
 * approved one (its requester alone, once). Each step is first-wins by a conditional UPDATE.
 */
@Injectable()
export class TokenDecisionsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly requests: TokenRequestsRepository,
    private readonly issuance: TokenIssuanceService,
    private readonly directory: TenancyDirectory,
    private readonly database: Database,
  ) {}

  approve(ctx: RequestContext, id: string, reason: string | null): Promise<TokenRequestViewDto> {
    return this.decide(ctx, id, 'approved', reason);
  }

  deny(ctx: RequestContext, id: string, reason: string): Promise<TokenRequestViewDto> {
    return this.decide(ctx, id, 'denied', reason);
  }

  /**
   * Issues the approved token to its requester, once, within 7 days of the approval. The terms
   * are checked again (the caller's token, the role, the policy) as a create would, but for the
   * approval rule; the request is claimed first, so a second collection waits and finds it taken.
   */
  collect(ctx: RequestContext, id: string): Promise<IssuedTokenDto> {
    return this.uow.run(async (tx) => {
      const found = await this.requests.find(ctx.businessId, id, tx);
      if (!found || found.requestedById !== ctx.actor.id) throw requestNotFound();
      const now = new Date();
      assertCollectable(found, now);
      const claimed = { status: 'collected' as const, closedAt: now };
      const since = new Date(now.getTime() - COLLECT_WITHIN_MS);
      if (!(await this.requests.advance(ctx.businessId, id, 'approved', claimed, tx, since))) {
        throw new ApprovalError('REQUEST_ALREADY_COLLECTED');
      }
      const issued = await this.issuance.createIn(ctx, bodyOf(found), { approvalGated: false }, tx);
      await this.requests.setToken(ctx.businessId, id, issued.id, tx);
      await tx.publish(
        new TokenRequestCollectedEvent(ctx.author, requestRef(found), issued.id, issued.jti),
      );
      return issued;
    });
  }

  private async decide(
    ctx: RequestContext,
    id: string,
    to: Decision,
    reason: string | null,
  ): Promise<TokenRequestViewDto> {
    if (ctx.actor.kind !== 'user') throw new ApprovalError('APPROVER_MUST_BE_PERSON');
    if (ctx.role === null) throw new ApprovalError('APPROVER_NOT_MEMBER');
    const found = await this.requests.find(ctx.businessId, id, this.database.primary);
    if (!found) throw requestNotFound();
    if (found.requestedById === ctx.actor.id || found.identityId === ctx.actor.id) {
      throw new ApprovalError('SELF_APPROVAL');
    }
    if (ctx.role !== 'owner') {
      const requester = await this.directory.findMembership(ctx.businessId, found.requestedById);
      if (requester?.role === 'owner') throw new ApprovalError('APPROVER_OUTRANKED');
    }
    const decided = {
      status: to,
      decidedBy: ctx.actor.label,
      decidedById: ctx.actor.id,
      decidedAt: new Date(),
      decisionReason: reason,
    };
    return this.uow.run(async (tx) => {
      if (!(await this.requests.advance(ctx.businessId, id, 'pending', decided, tx))) {
        const now = await this.requests.find(ctx.businessId, id, tx);
        throw new ApprovalError('REQUEST_NOT_PENDING', `This token request is ${now?.status}`);
      }
      const ref = requestRef(found);
      await tx.publish(
        to === 'approved'
          ? new TokenRequestApprovedEvent(ctx.author, ref, reason)
          : new TokenRequestDeniedEvent(ctx.author, ref, reason ?? ''),
      );
      return TokenRequestViewDto.of(Object.assign(found, decided));
    });
  }
}

/** Only an approved request, within its window, gives a token; each other state says why not. */
function assertCollectable(r: TokenRequest, now: Date): void {
  switch (r.status) {
    case 'approved':
      break;
    case 'collected':
      throw new ApprovalError('REQUEST_ALREADY_COLLECTED');
    case 'pending':
    case 'denied':
    case 'withdrawn':
      throw new ApprovalError('REQUEST_NOT_APPROVED', `This token request is ${r.status}`);
  }
  if (r.decidedAt === null || r.decidedAt.getTime() + COLLECT_WITHIN_MS <= now.getTime()) {
    throw new ApprovalError('APPROVAL_EXPIRED');
  }
  if (r.expiresAt !== null && r.expiresAt.getTime() <= now.getTime()) {
    throw new ApprovalError('APPROVAL_EXPIRED', 'The expiry the request asked for has passed');
  }
}
