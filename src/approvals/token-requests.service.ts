import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../auth/request-context';
import { Page, createdKey, paginate } from '../common/validation/pagination';
import { Database } from '../database/connection/read-routing';
import { holdKeyLock } from '../database/units/key-lock';
import { UnitOfWork } from '../database/units/unit-of-work';
import { CreateTokenDto } from '../tokens/dto/token-requests.dto';
import { TokenIssuanceService } from '../tokens/lifecycle/issuance/token-issuance.service';
import { ApprovalError, requestNotFound } from './approval-error';
import {
  CreateTokenRequestDto,
  ListTokenRequestsQueryDto,
  TokenRequestViewDto,
} from './dto/token-request.dto';
import { TokenRequest } from './store/token-request.entity';
import { TokenRequestsRepository } from './store/token-requests.repository';
import {
  TokenRequestCreatedEvent,
  TokenRequestRef,
  TokenRequestWithdrawnEvent,
} from './token-requests.events';

/** Pending requests an identity (the token's holder) may have at once. */
export const MAX_PENDING_PER_IDENTITY = 20;
/** Pending requests a business may hold at once. */
export const MAX_PENDING_PER_BUSINESS = 1000;

/** Filing requests one at a time per business, so the pending counts hold under concurrency. */
const requestsKey = (businessId: string) => `token-requests:${businessId}`;

export const requestRef = (r: TokenRequest): TokenRequestRef => ({
  id: r.id,
  businessId: r.businessId,
  name: r.name,
  identityId: r.identityId,
  requestedById: r.requestedById,
});

/** The create body a request keeps, as `POST /tokens` would have read it. */
export function bodyOf(r: TokenRequest): CreateTokenDto {
  const plain = JSON.parse(r.body) as CreateTokenDto & { expires_at?: string };
  const expiresAt =
    plain.expires_at === undefined ? {} : { expires_at: new Date(plain.expires_at) };
  return Object.assign(new CreateTokenDto(), plain, expiresAt);
}

/**
 * Token requests on the requester's side: filed under every check a create runs but the approval
 * rule, listed, read, and withdrawn while pending.
 */
@Injectable()
export class TokenRequestsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly requests: TokenRequestsRepository,
    private readonly issuance: TokenIssuanceService,
    private readonly database: Database,
  ) {}

  /** Files a request for the token `dto` describes; nothing is issued until it is collected. */
  async create(ctx: RequestContext, dto: CreateTokenRequestDto): Promise<TokenRequestViewDto> {
    const { justification, ...asked } = dto;
    const body = Object.assign(new CreateTokenDto(), asked);
    const request: TokenRequest = {
      id: randomUUID(),
      businessId: ctx.businessId,
      identityId: body.identity_id ?? ctx.actor.id,
      requestedById: ctx.actor.id,
      requestedBy: ctx.actor.label,
      name: body.name,
      scopes: body.scopes ?? null,
      expiresAt: body.expires_at ?? null,
      expiresInDays: body.expires_in_days ?? null,
      body: JSON.stringify(body),
      justification,
      status: 'pending',
      createdAt: new Date(),
      decidedBy: null,
      decidedById: null,
      decidedAt: null,
      decisionReason: null,
      closedAt: null,
      tokenId: null,
    };
    await this.uow.run(async (tx) => {
      await holdKeyLock(requestsKey(ctx.businessId), 'exclusive', tx);
      await this.issuance.vetCreate(ctx, body, tx);
      const mine = await this.requests.countPending(ctx.businessId, request.identityId, tx);
      if (mine >= MAX_PENDING_PER_IDENTITY) {
        throw new ApprovalError(
          'TOKEN_REQUEST_LIMIT_REACHED',
          `This identity has ${mine} pending token requests, the most allowed`,
        );
      }
      if (
        (await this.requests.countPending(ctx.businessId, null, tx)) >= MAX_PENDING_PER_BUSINESS
      ) {
        throw new ApprovalError('BUSINESS_REQUEST_LIMIT_REACHED');
      }
      await this.requests.insert(request, tx);
      await tx.publish(
        new TokenRequestCreatedEvent(
          ctx.author,
          requestRef(request),
          request.scopes,
          justification,
        ),
      );
    });
    return TokenRequestViewDto.of(request);
  }

  /** Every request of the business for an owner or admin (with tokens:admin), else one's own. */
  list(ctx: RequestContext, query: ListTokenRequestsQueryDto): Promise<Page<TokenRequestViewDto>> {
    const filter = { mine: seesAll(ctx) ? null : ctx.actor.id, status: query.status ?? null };
    return paginate(
      query,
      (limit, after) =>
        this.requests.list(ctx.businessId, filter, limit, after, this.database.primary),
      createdKey,
      (r) => TokenRequestViewDto.of(r),
    );
  }

  async get(ctx: RequestContext, id: string): Promise<TokenRequestViewDto> {
    const found = await this.requests.find(ctx.businessId, id, this.database.primary);
    if (!found || !(seesAll(ctx) || isOwn(ctx, found))) throw requestNotFound();
    return TokenRequestViewDto.of(found);
  }

  /** Withdraws a pending request, by its requester alone (to anyone else it is not there). */
  withdraw(ctx: RequestContext, id: string): Promise<TokenRequestViewDto> {
    return this.uow.run(async (tx) => {
      const found = await this.requests.find(ctx.businessId, id, tx);
      if (!found || found.requestedById !== ctx.actor.id) throw requestNotFound();
      const closed = { status: 'withdrawn' as const, closedAt: new Date() };
      if (!(await this.requests.advance(ctx.businessId, id, 'pending', closed, tx))) {
        throw new ApprovalError('REQUEST_NOT_PENDING', `This token request is ${found.status}`);
      }
      await tx.publish(new TokenRequestWithdrawnEvent(ctx.author, requestRef(found)));
      return TokenRequestViewDto.of(Object.assign(found, closed));
    });
  }
}

/** An owner or admin whose token allows `tokens:admin` sees (and decides) every request. */
export const seesAll = (ctx: RequestContext) =>
  ctx.hasRole('admin') && ctx.allowsScope('tokens:admin');

const isOwn = (ctx: RequestContext, r: TokenRequest) =>
  r.requestedById === ctx.actor.id || r.identityId === ctx.actor.id;
