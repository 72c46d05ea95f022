import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ApprovalError } from '../../approvals/approval-error';
import type { RequestContext } from '../../auth/request-context';
import { createdKey, type Page, paginate } from '../../common/validation/pagination';
import { Database } from '../../database/connection/read-routing';
import { holdKeyLock } from '../../database/units/key-lock';
import { Transaction, UnitOfWork } from '../../database/units/unit-of-work';
import { scopesNeedingApproval } from '../../governance/approval-rule';
import { BusinessPolicyService } from '../../governance/business-policy.service';
import { TenancyDirectory } from '../../tenancy/tenancy-directory';
import { ConsentError } from './consent-error';
import { ConsentsService } from './consents.service';
import {
  ConsentRequestViewDto,
  CreateConsentRequestDto,
  ListConsentRequestsQueryDto,
} from './dto/consent-request.dto';
import {
  ConsentApprovalGrantedEvent,
  ConsentApprovalRefusedEvent,
  ConsentApprovalRequestedEvent,
  ConsentRequestRef,
} from './grants.events';
import { Consent } from './store/consent.entity';
import { ConsentRequest } from './store/consent-request.entity';
import { ConsentRequestsRepository } from './store/consent-requests.repository';
import { ConsentsRepository } from './store/consents.repository';

/** Pending requests one person may hold, and one business, as for token requests. */
const MAX_PENDING_PER_IDENTITY = 20;
const MAX_PENDING_PER_BUSINESS = 1000;

const refOf = (r: ConsentRequest): ConsentRequestRef => ({
  id: r.id,
  businessId: r.businessId,
  identityId: r.identityId,
  clientId: r.clientId,
  clientName: r.clientName,
  resource: r.resource,
  scopes: r.scopes,
});

const union = (a: readonly string[] | null, b: readonly string[]) => [
  ...new Set([...(a ?? []), ...b]),
];

/**
 * Connected apps and the business's approvers: a scope the token policy keeps for approvers
 * (`approval_required.scopes`) reaches a connected app only once an owner or admin, a person
 * other than the one who asks and not outranked by them, has allowed it to that person, client
 * and resource. The person files from the consent screen; approved, their consent holds the
 * scopes as approved, and the app's next authorization request goes through.
 */
@Injectable()
export class ConsentApprovalsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly consentScreen: ConsentsService,
    private readonly requests: ConsentRequestsRepository,
    private readonly consents: ConsentsRepository,
    private readonly policies: BusinessPolicyService,
    private readonly tenancy: TenancyDirectory,
    private readonly database: Database,
  ) {}

  /** Files (or refreshes) the person's request for the sealed request's scopes. */
  async file(ctx: RequestContext, dto: CreateConsentRequestDto): Promise<ConsentRequestViewDto> {
    const { request, client } = await this.consentScreen.open(ctx, dto.request);
    const { approvalRequired } = await this.policies.currentRules(ctx.businessId);
    const standing = await this.consents.findStanding(
      ctx.businessId,
      ctx.actor.id,
      request.clientId,
      request.resource,
      this.database.primary,
    );
    const gated = scopesNeedingApproval(approvalRequired, request.scopes).filter(
      (s) => !(standing?.approvedScopes ?? []).includes(s),
    );
    if (gated.length === 0) throw new ConsentError('APPROVAL_NOT_REQUIRED');
    return this.uow.run(async (tx) => {
      await holdKeyLock(`consent-requests:${ctx.businessId}`, 'exclusive', tx);
      const fields = {
        scopes: [...request.scopes],
        justification: dto.justification,
        clientName: client.clientName,
      };
      const pending = await this.requests.findPending(
        ctx.businessId,
        ctx.actor.id,
        request.clientId,
        request.resource,
        tx,
      );
      let row: ConsentRequest;
      if (pending) {
        await this.requests.refresh(ctx.businessId, pending.id, fields, tx);
        row = Object.assign(pending, fields);
      } else {
        await this.assertRoom(ctx, tx);
        row = Object.assign(new ConsentRequest(), {
          id: randomUUID(),
          businessId: ctx.businessId,
          identityId: ctx.actor.id,
          clientId: request.clientId,
          resource: request.resource,
          ...fields,
          status: 'pending',
          createdAt: new Date(),
          decidedAt: null,
          decidedBy: null,
          decidedById: null,
          decisionReason: null,
        } satisfies ConsentRequest);
        await this.requests.insert(row, tx);
      }
      await tx.publish(
        new ConsentApprovalRequestedEvent(ctx.author, refOf(row), dto.justification),
      );
      return ConsentRequestViewDto.of(row);
    });
  }

  /** The business's requests for an approver (with `tokens:admin`), else the caller's own. */
  list(
    ctx: RequestContext,
    query: ListConsentRequestsQueryDto,
  ): Promise<Page<ConsentRequestViewDto>> {
    const decides = ctx.hasRole('admin') && ctx.allowsScope('tokens:admin');
    const filter = { identityId: decides ? null : ctx.actor.id, status: query.status ?? null };
    return paginate(
      query,
      (limit, after) =>
        this.requests.list(ctx.businessId, filter, limit, after, this.database.primary),
      createdKey,
      (r) => ConsentRequestViewDto.of(r),
    );
  }

  approve(ctx: RequestContext, id: string, reason: string | null) {
    return this.decide(ctx, id, 'approved', reason);
  }

  deny(ctx: RequestContext, id: string, reason: string) {
    return this.decide(ctx, id, 'denied', reason);
  }

  /**
   * An approver's decision, first-wins by a conditional UPDATE; approved, the person's standing
   * consent to the client and resource holds the scopes, as approved, in the same unit of work.
   */
  private async decide(
    ctx: RequestContext,
    id: string,
    to: 'approved' | 'denied',
    reason: string | null,
  ): Promise<ConsentRequestViewDto> {
    if (ctx.actor.kind !== 'user') throw new ApprovalError('APPROVER_MUST_BE_PERSON');
    if (ctx.role === null) throw new ApprovalError('APPROVER_NOT_MEMBER');
    const found = await this.requests.find(ctx.businessId, id, this.database.primary);
    if (!found) throw new ConsentError('CONSENT_REQUEST_NOT_FOUND');
    if (found.identityId === ctx.actor.id) throw new ApprovalError('SELF_APPROVAL');
    if (ctx.role !== 'owner') {
      const asker = await this.tenancy.findMembership(ctx.businessId, found.identityId);
      if (asker?.role === 'owner') throw new ApprovalError('APPROVER_OUTRANKED');
    }
    const decided = {
      status: to,
      decidedAt: new Date(),
      decidedBy: ctx.actor.label,
      decidedById: ctx.actor.id,
      decisionReason: reason,
    };
    return this.uow.run(async (tx) => {
      // The person's consent lock first, before any write, as their own decision takes it.
      await this.consents.lockForDecision(found.businessId, found.identityId, found.clientId, tx);
      if (!(await this.requests.decide(ctx.businessId, id, decided, tx))) {
        throw new ConsentError('CONSENT_REQUEST_NOT_PENDING');
      }
      const row = Object.assign(found, decided);
      if (to === 'approved') {
        await this.holdAsApproved(row, tx);
        await tx.publish(new ConsentApprovalGrantedEvent(ctx.author, refOf(row), reason));
      } else {
        await tx.publish(new ConsentApprovalRefusedEvent(ctx.author, refOf(row), reason ?? ''));
      }
      return ConsentRequestViewDto.of(row);
    });
  }

  /**
   * The person's standing consent, new or widened, holding the request's scopes as approved; the
   * caller holds the person's consent lock.
   */
  private async holdAsApproved(r: ConsentRequest, tx: Transaction): Promise<void> {
    const standing = await this.consents.findStanding(
      r.businessId,
      r.identityId,
      r.clientId,
      r.resource,
      tx,
    );
    const now = new Date();
    if (standing) {
      await this.consents.widen(
        r.businessId,
        standing.id,
        {
          scopes: union(standing.scopes, r.scopes),
          approvedScopes: union(standing.approvedScopes, r.scopes),
          updatedAt: now,
        },
        tx,
      );
      return;
    }
    await this.consents.insert(
      Object.assign(new Consent(), {
        id: randomUUID(),
        businessId: r.businessId,
        identityId: r.identityId,
        clientId: r.clientId,
        clientName: r.clientName,
        resource: r.resource,
        scopes: [...r.scopes],
        approvedScopes: [...r.scopes],
        createdAt: now,
        updatedAt: now,
        withdrawnAt: null,
      } satisfies Consent),
      tx,
    );
  }

  private async assertRoom(ctx: RequestContext, tx: Transaction): Promise<void> {
    if (
      (await this.requests.countPending(ctx.businessId, ctx.actor.id, tx)) >=
      MAX_PENDING_PER_IDENTITY
    ) {
      throw new ConsentError('CONSENT_REQUEST_LIMIT_REACHED');
    }
    if ((await this.requests.countPending(ctx.businessId, null, tx)) >= MAX_PENDING_PER_BUSINESS) {
      throw new ConsentError('CONSENT_REQUEST_LIMIT_REACHED');
    }
  }
}
