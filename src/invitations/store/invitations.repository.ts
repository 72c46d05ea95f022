import { Injectable } from '@nestjs/common';
import { In, LessThanOrEqual, MoreThan } from 'typeorm';
import { assertBusinessId } from '../../common/tenant-scope';
import type { Keyset } from '../../common/validation/pagination';
import { keysetPage } from '../../database/keyset';
import type { Reader } from '../../database/units/reader';
import type { Transaction } from '../../database/units/unit-of-work';
import { Invitation, OPEN_STATUSES, StoredInvitationStatus } from './invitation.entity';

/** A business's invitations, read and written by business but for the link's own lookup. */
@Injectable()
export class InvitationsRepository {
  find(businessId: string, id: string, db: Reader): Promise<Invitation | null> {
    assertBusinessId(businessId);
    return db.findOneBy(Invitation, { businessId, id });
  }

  /** The open invitations (pending or send_failed), oldest first, one keyset page. */
  listOpen(businessId: string, limit: number, after: Keyset | null, db: Reader) {
    assertBusinessId(businessId);
    const qb = db
      .createQueryBuilder(Invitation, 'i')
      .where('i.business_id = :businessId', { businessId })
      .andWhere('i.status IN (:...open)', { open: OPEN_STATUSES });
    return keysetPage(qb, 'i.created_at', 'i.id', limit, after).getMany();
  }

  /** How many open invitations the business holds, expired ones included. */
  countOpen(businessId: string, db: Reader): Promise<number> {
    assertBusinessId(businessId);
    return db.countBy(Invitation, { businessId, status: In([...OPEN_STATUSES]) });
  }

  /** The open invitation to `email` that has not expired, if any. */
  findOpenFor(businessId: string, email: string, now: Date, db: Reader) {
    assertBusinessId(businessId);
    return db.findOneBy(Invitation, {
      businessId,
      email,
      status: In([...OPEN_STATUSES]),
      expiresAt: MoreThan(now),
    });
  }

  /**
   * Closes the open invitations to `email` that expired, so that a new one may be made: the
   * unique index allows one open invitation per person and business.
   */
  async closeExpiredFor(businessId: string, email: string, now: Date, tx: Transaction) {
    assertBusinessId(businessId);
    await tx.update(
      Invitation,
      { businessId, email, status: In([...OPEN_STATUSES]), expiresAt: LessThanOrEqual(now) },
      { status: 'revoked', revokedAt: now },
    );
  }

  /**
   * The invitation a link names, in any business: the link is the only proof its holder has, so
   * this is the one read that crosses tenants (as a token's lookup by hash does).
   */
  findByHashAnyBusiness(tokenHash: string, db: Reader): Promise<Invitation | null> {
    return db.findOneBy(Invitation, { tokenHash });
  }

  async insert(invitation: Invitation, tx: Transaction): Promise<void> {
    assertBusinessId(invitation.businessId);
    await tx.insert(Invitation, invitation);
  }

  /**
   * Sets `to` on an open invitation, when it is still open (and, for `where.tokenHash`, still
   * names that link): first wins, and the rest find it closed. Answers whether this call won.
   */
  async updateOpen(
    businessId: string,
    id: string,
    to: { status: StoredInvitationStatus } & Partial<Invitation>,
    tx: Transaction,
    where: { tokenHash?: string; notExpiredAt?: Date } = {},
  ): Promise<boolean> {
    assertBusinessId(businessId);
    const result = await tx.update(
      Invitation,
      {
        businessId,
        id,
        status: In([...OPEN_STATUSES]),
        ...(where.tokenHash === undefined ? {} : { tokenHash: where.tokenHash }),
        ...(where.notExpiredAt === undefined ? {} : { expiresAt: MoreThan(where.notExpiredAt) }),
      },
      to,
    );
    return (result.affected ?? 0) > 0;
  }

  /** A new link for an open invitation, from now; answers whether it was still open. */
  async replaceLink(
    businessId: string,
    id: string,
    link: { tokenHash: string; expiresAt: Date; lastSentAt: Date },
    tx: Transaction,
  ): Promise<boolean> {
    return this.updateOpen(businessId, id, { status: 'pending', ...link }, tx);
  }

  /** Marks an open invitation whose link the mail server did not take. */
  async markSendFailed(businessId: string, id: string, tokenHash: string, tx: Transaction) {
    return this.updateOpen(businessId, id, { status: 'send_failed' }, tx, { tokenHash });
  }

  /** Names the identity an accepted invitation made a member. */
  async setAcceptedIdentity(businessId: string, id: string, identityId: string, tx: Transaction) {
    assertBusinessId(businessId);
    await tx.update(Invitation, { businessId, id }, { acceptedIdentityId: identityId });
  }
}
