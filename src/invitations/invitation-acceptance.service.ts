import { Injectable } from '@nestjs/common';
import { holdDeclaredLocks } from '../database/units/key-lock';
import { locksToIssueIn } from '../tokens/lifecycle/issuance/issuance-locks';
import { Database } from '../database/connection/read-routing';
import { Author, EventOrigin } from '../database/units/domain-event';
import { Transaction, UnitOfWork } from '../database/units/unit-of-work';
import { MemberViewDto } from '../tenancy/dto/tenancy.dto';
import { MembersService } from '../tenancy/members.service';
import { TenancyDirectory } from '../tenancy/tenancy-directory';
import { callerClass, decide } from '../tokens/policy/policy-decision';
import { HandedTokenIssuance } from '../tokens/lifecycle/issuance/handed-token-issuance.service';
import { AddedMemberDto } from '../workflows/dto/workflows.dto';
import { InvitationPreviewDto } from './dto/invitation.dto';
import { InvitationError } from './invitation-error';
import { InvitationMaker, linkHashOf, loadMaker } from './invitation-maker';
import { InvitationAcceptedEvent } from './invitations.events';
import { Invitation } from './store/invitation.entity';
import { InvitationsRepository } from './store/invitations.repository';

/**
 * The invitee's side: the link, presented once, makes the membership and the first token in one
 * unit of work, and the token goes to the invitee alone. Possession of the link is the proof.
 */
@Injectable()
export class InvitationAcceptanceService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly database: Database,
    private readonly invitations: InvitationsRepository,
    private readonly members: MembersService,
    private readonly directory: TenancyDirectory,
    private readonly issuance: HandedTokenIssuance,
  ) {}

  /**
   * What the link's holder is invited to, before they accept: the business by name, who
   * invited, at which role, until when. Refused as an accept would be (unknown, used, expired,
   * revoked, or an inviter who may no longer invite), so nothing is told of a link that is dead.
   */
  async preview(presented: string): Promise<InvitationPreviewDto> {
    const hash = linkHashOf(presented);
    const found =
      hash && (await this.invitations.findByHashAnyBusiness(hash, this.database.primary));
    if (!found) throw new InvitationError('INVALID_INVITATION');
    refuseClosed(found, new Date());
    await this.assertInviterMayStill(found, loadMaker(found.maker));
    const business = await this.directory.findBusiness(found.businessId);
    if (!business) throw new InvitationError('INVALID_INVITATION');
    return {
      business_name: business.name,
      invited_by: found.invitedBy,
      email: found.email,
      role: found.role,
      expires_at: found.expiresAt.toISOString(),
    };
  }

  /**
   * Accepts the invitation `presented` names. Of concurrent accepts of one link, the conditional
   * update of its status lets exactly one through; the others find it accepted.
   */
  async accept(origin: EventOrigin, presented: string): Promise<AddedMemberDto> {
    const hash = linkHashOf(presented);
    if (hash === null) throw new InvitationError('INVALID_INVITATION');
    const now = new Date();
    return this.uow.run(async (tx) => {
      const found = await this.invitations.findByHashAnyBusiness(hash, tx);
      if (!found) throw new InvitationError('INVALID_INVITATION');
      refuseClosed(found, now);
      // Known only now: the key its member's first token reads the policy under, before any row.
      await holdDeclaredLocks(locksToIssueIn(found.businessId), tx);
      const maker = loadMaker(found.maker);
      await this.assertInviterMayStill(found, maker);
      const accepted = { status: 'accepted' as const, acceptedAt: now };
      const won = await this.invitations.updateOpen(found.businessId, found.id, accepted, tx, {
        tokenHash: hash,
        notExpiredAt: now,
      });
      if (!won) return this.lost(found.businessId, found.id, now, tx);
      const author: Author = {
        actor: { id: null, type: 'user', label: found.email },
        origin,
      };
      // Suspended, its tokens are refused: no member or token is made, and the link stays open
      // (this transaction, its acceptance included, rolls back). Under the business's lock, as
      // a suspension takes it, so one cannot slip in between.
      const business = await this.directory.businessForMembershipChange(found.businessId, tx);
      if (business?.status !== 'active') throw new InvitationError('INVITATION_BUSINESS_SUSPENDED');
      const member = await this.members.addInTx(
        author,
        found.businessId,
        maker.platformAdmin,
        { email: found.email, role: found.role },
        tx,
      );
      await this.invitations.setAcceptedIdentity(
        found.businessId,
        found.id,
        member.identity.id,
        tx,
      );
      const firstToken = await this.issuance.issueFirstToken(
        author,
        maker.caller,
        {
          businessId: found.businessId,
          identityId: member.identity.id,
          isAdmin: found.role !== 'member',
        },
        {},
        tx,
      );
      await tx.publish(
        new InvitationAcceptedEvent(
          author,
          { id: found.id, businessId: found.businessId, email: found.email, role: found.role },
          member.identity.id,
        ),
      );
      return {
        member: MemberViewDto.of(member.identity, member.membership),
        first_token: firstToken,
      };
    });
  }

  /** Another accept (or a revoke) won the update: answer what the invitation is now. */
  private async lost(businessId: string, id: string, now: Date, tx: Transaction): Promise<never> {
    const current = await this.invitations.find(businessId, id, tx);
    if (current) refuseClosed(current, now);
    throw new InvitationError('INVALID_INVITATION');
  }

  /**
   * The inviter must still be allowed to add this person at this role: one removed or demoted
   * since cannot leave links behind that act for them.
   */
  private async assertInviterMayStill(found: Invitation, maker: InvitationMaker): Promise<void> {
    if (maker.caller.class === 'cli') return;
    const inviter = found.invitedById
      ? await this.directory.findMembership(found.businessId, found.invitedById)
      : null;
    const now = inviter ? callerClass(false, inviter.role, false) : null;
    if (!now || !decide('add_member', { ...maker.caller, class: now }, found.role).allowed) {
      throw new InvitationError(
        'INVITATION_REVOKED',
        'The inviter may no longer invite at this role',
      );
    }
  }
}

/** The refusal for an invitation that is not open, or has expired. */
function refuseClosed(found: Invitation, now: Date): void {
  if (found.status === 'accepted') throw new InvitationError('INVITATION_ALREADY_ACCEPTED');
  if (found.status === 'revoked') throw new InvitationError('INVITATION_REVOKED');
  if (found.expiresAt.getTime() <= now.getTime()) throw new InvitationError('INVITATION_EXPIRED');
}
