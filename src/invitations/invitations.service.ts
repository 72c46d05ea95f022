import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { RequestContext } from '../auth/request-context';
import { Page, PageQueryDto, createdKey, paginate } from '../common/validation/pagination';
import { Database } from '../database/connection/read-routing';
import { Transaction, UnitOfWork } from '../database/units/unit-of-work';
import { TenancyDirectory } from '../tenancy/tenancy-directory';
import { TenancyError } from '../tenancy/tenancy-error';
import { decide, enforce } from '../tokens/policy/policy-decision';
import { CreateInvitationDto, InvitationViewDto } from './dto/invitation.dto';
import { InvitationError, invitationNotFound } from './invitation-error';
import { InvitationMailer } from './invitation-mailer';
import { makerOf, mintLinkSecret, storeMaker } from './invitation-maker';
import {
  InvitationCreatedEvent,
  InvitationRef,
  InvitationResentEvent,
  InvitationRevokedEvent,
  InvitationSendFailedEvent,
} from './invitations.events';
import { Invitation, OPEN_STATUSES } from './store/invitation.entity';
import { InvitationsRepository } from './store/invitations.repository';

/** Open invitations a business may hold at once, expired ones until they are replaced. */
export const MAX_OPEN_INVITATIONS = 1000;
/** The least time between two sends of one invitation: a resend is an email to someone. */
export const RESEND_INTERVAL_MS = 60_000;
const HOUR_MS = 3_600_000;

const refOf = (i: Invitation): InvitationRef => ({
  id: i.id,
  businessId: i.businessId,
  email: i.email,
  role: i.role,
});

/**
 * Invitations by email, on the inviter's side: made under the same rule as adding a member (the
 * token policy's `add_member` row), each with a link whose secret only its email holds.
 */
@Injectable()
export class InvitationsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly invitations: InvitationsRepository,
    private readonly directory: TenancyDirectory,
    private readonly mailer: InvitationMailer,
    private readonly database: Database,
  ) {}

  /** Invites `dto.email` at `dto.role`, and sends the link (after the invitation commits). */
  async create(ctx: RequestContext, dto: CreateInvitationDto): Promise<InvitationViewDto> {
    const maker = makerOf(ctx);
    enforce(decide('add_member', maker.caller, dto.role), invitationNotFound);
    this.mailer.assertConfigured();
    await this.assertNotMember(ctx.businessId, dto.email);
    const now = new Date();
    const link = mintLinkSecret();
    const invitation = Object.assign(new Invitation(), {
      id: randomUUID(),
      businessId: ctx.businessId,
      email: dto.email,
      role: dto.role,
      status: 'pending',
      tokenHash: link.hash,
      expiresInHours: dto.expires_in_hours ?? 72,
      expiresAt: new Date(now.getTime() + (dto.expires_in_hours ?? 72) * HOUR_MS),
      createdAt: now,
      lastSentAt: now,
      invitedBy: ctx.author.actor.label,
      invitedById: ctx.actor.id,
      maker: storeMaker(maker),
      acceptedAt: null,
      acceptedIdentityId: null,
      revokedAt: null,
    } satisfies Invitation);
    await this.uow.run(async (tx) => {
      await this.invitations.closeExpiredFor(ctx.businessId, dto.email, now, tx);
      if (await this.invitations.findOpenFor(ctx.businessId, dto.email, now, tx)) {
        throw new InvitationError('INVITATION_EXISTS');
      }
      if ((await this.invitations.countOpen(ctx.businessId, tx)) >= MAX_OPEN_INVITATIONS) {
        throw new InvitationError('INVITATION_LIMIT_REACHED');
      }
      await this.invitations.insert(invitation, tx);
      await tx.publish(
        new InvitationCreatedEvent(ctx.author, refOf(invitation), invitation.expiresAt),
      );
    });
    await this.send(ctx, invitation, link.secret);
    return InvitationViewDto.of(invitation, now);
  }

  list(ctx: RequestContext, query: PageQueryDto): Promise<Page<InvitationViewDto>> {
    const now = new Date();
    return paginate(
      query,
      (limit, after) =>
        this.invitations.listOpen(ctx.businessId, limit, after, this.database.primary),
      createdKey,
      (i) => InvitationViewDto.of(i, now),
    );
  }

  /** A new link, from now, for as long as the first; the old link stops working at once. */
  async resend(ctx: RequestContext, id: string): Promise<InvitationViewDto> {
    this.mailer.assertConfigured();
    const now = new Date();
    const link = mintLinkSecret();
    const invitation = await this.uow.run(async (tx) => {
      const found = await this.findOpen(ctx, id, tx);
      const wait = found.lastSentAt.getTime() + RESEND_INTERVAL_MS - now.getTime();
      if (wait > 0) {
        const seconds = String(Math.ceil(wait / 1000));
        throw new InvitationError('INVITATION_RESEND_TOO_SOON', undefined, {
          'retry-after': seconds,
        });
      }
      const renewed = {
        tokenHash: link.hash,
        expiresAt: new Date(now.getTime() + found.expiresInHours * HOUR_MS),
        lastSentAt: now,
      };
      if (!(await this.invitations.replaceLink(ctx.businessId, id, renewed, tx))) {
        throw new InvitationError('INVITATION_NOT_OPEN');
      }
      await tx.publish(new InvitationResentEvent(ctx.author, refOf(found), renewed.expiresAt));
      return Object.assign(found, renewed, { status: 'pending' as const });
    });
    await this.send(ctx, invitation, link.secret);
    return InvitationViewDto.of(invitation, now);
  }

  /** Revokes an open invitation: its link stops working. */
  async revoke(ctx: RequestContext, id: string): Promise<InvitationViewDto> {
    const now = new Date();
    return this.uow.run(async (tx) => {
      const found = await this.findOpen(ctx, id, tx);
      const closed = { status: 'revoked' as const, revokedAt: now };
      if (!(await this.invitations.updateOpen(ctx.businessId, id, closed, tx))) {
        throw new InvitationError('INVITATION_NOT_OPEN');
      }
      await tx.publish(new InvitationRevokedEvent(ctx.author, refOf(found)));
      return InvitationViewDto.of(Object.assign(found, closed), now);
    });
  }

  /**
   * An invitation of the caller's business that is still open, which the caller may make (the
   * `add_member` row again: an admin neither resends nor revokes an owner's invitation).
   */
  private async findOpen(ctx: RequestContext, id: string, tx: Transaction) {
    const found = await this.invitations.find(ctx.businessId, id, tx);
    if (!found) throw invitationNotFound();
    enforce(decide('add_member', makerOf(ctx).caller, found.role), invitationNotFound);
    if (!OPEN_STATUSES.includes(found.status)) throw new InvitationError('INVITATION_NOT_OPEN');
    return found;
  }

  /**
   * Hands the link to the mail server, once its invitation committed (no transaction waits on
   * SMTP). A failed send marks it send_failed, audited, and answers 503: nothing stays pending
   * without its email.
   */
  private async send(ctx: RequestContext, invitation: Invitation, secret: string): Promise<void> {
    const failed = await this.mailer.send(invitation.email, {
      businessName: ctx.business?.name ?? 'a business',
      invitedBy: invitation.invitedBy,
      role: invitation.role,
      secret,
      expiresAt: invitation.expiresAt,
    });
    if (failed === null) return;
    await this.uow.run(async (tx) => {
      const { businessId, id, tokenHash } = invitation;
      if (await this.invitations.markSendFailed(businessId, id, tokenHash, tx)) {
        await tx.publish(new InvitationSendFailedEvent(ctx.author, refOf(invitation), failed));
      }
    });
    throw new InvitationError('EMAIL_SEND_FAILED');
  }

  /** A person who is a member already is told so now, not when the link is followed. */
  private async assertNotMember(businessId: string, email: string): Promise<void> {
    const person = await this.directory.findUserByEmail(email);
    if (person && (await this.directory.findMembership(businessId, person.id))) {
      throw new TenancyError('MEMBER_EXISTS');
    }
  }
}
