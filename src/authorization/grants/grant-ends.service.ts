import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { loggableError } from '../../common/errors/safe-error';
import { SYSTEM_AUTHOR, type Author, type EventOrigin } from '../../database/units/domain-event';
import { Transaction, UnitOfWork } from '../../database/units/unit-of-work';
import { TokenRevocationService } from '../../tokens/lifecycle/revocation/token-revocation.service';
import { AuthorizationCodesService } from '../codes/authorization-codes.service';
import { GrantEndedEvent, grantRef } from './grants.events';
import { refreshHashOf } from './refresh-tokens';
import type { GrantEnd } from './store/grant.entity';
import { GrantsRepository } from './store/grants.repository';

const REASON_TEXT: Record<GrantEnd, string> = {
  consent_withdrawn: 'connected app withdrawn',
  refresh_reused: 'refresh token reused',
  code_replayed: 'authorization code replayed',
  refresh_revoked: 'refresh token revoked by its client',
};

/** The client, as the author of what a token request changes: it acts, the person consented. */
export function clientAuthor(origin: EventOrigin, clientId: string): Author {
  return { actor: { id: null, type: 'machine', label: `client:${clientId}` }, origin };
}

/**
 * How a grant ends, whatever ends it: a reused refresh token (`GrantsService`), a replayed code,
 * a withdrawn consent, RFC 7009 revocation of its refresh token. Its line's access tokens are
 * revoked through the one revocation path, in the unit of work that ends it.
 */
@Injectable()
export class GrantEnds implements OnModuleInit {
  private readonly logger = new Logger(GrantEnds.name);

  constructor(
    private readonly uow: UnitOfWork,
    private readonly codes: AuthorizationCodesService,
    private readonly grants: GrantsRepository,
    private readonly revocation: TokenRevocationService,
  ) {}

  /** A replayed code ends the grant it started (RFC 6749 §4.1.2), once its refusal committed. */
  onModuleInit(): void {
    this.codes.onReplay((businessId, grantId) => {
      void this.uow
        .run((tx) => this.endGrant(SYSTEM_AUTHOR, businessId, grantId, 'code_replayed', tx))
        .catch((e: unknown) =>
          // The grant's tokens still expire within the hour; the next replay tries again.
          this.logger.error(
            { err: loggableError(e), grantId },
            'grant not ended after a code replay',
          ),
        );
    });
  }

  /**
   * RFC 7009 §2.1 for a refresh token: its grant ends, and the access tokens it gave are revoked
   * with it. Possession is the proof, as for any token; one unknown, used or ended changes
   * nothing, and the answer never says which.
   */
  async revokePresented(origin: EventOrigin, presented: string): Promise<void> {
    const hash = refreshHashOf(presented);
    if (hash === null) return;
    await this.uow.run(async (tx) => {
      const row = await this.grants.findRefreshByHashAnyBusiness(hash, tx);
      if (!row || row.usedAt !== null) return;
      const grant = await this.grants.findGrant(row.businessId, row.grantId, tx);
      if (!grant || grant.revokedAt !== null) return;
      const author = clientAuthor(origin, grant.clientId);
      await this.endGrant(author, grant.businessId, grant.id, 'refresh_revoked', tx);
    });
  }

  /**
   * Ends every live grant of a consent, in the caller's transaction (its withdrawal), revoking
   * each one's tokens. Answers how many tokens were revoked.
   */
  async endConsentGrants(
    author: Author,
    businessId: string,
    consentId: string,
    tx: Transaction,
  ): Promise<number> {
    let revoked = 0;
    for (const grant of await this.grants.liveGrantsOf(businessId, consentId, tx)) {
      revoked += await this.endGrant(author, businessId, grant.id, 'consent_withdrawn', tx);
    }
    return revoked;
  }

  /** Ends a grant and revokes its line; answers how many tokens this call revoked. */
  async endGrant(
    author: Author,
    businessId: string,
    grantId: string,
    reason: GrantEnd,
    tx: Transaction,
  ): Promise<number> {
    const grant = await this.grants.findGrant(businessId, grantId, tx);
    if (!grant) return 0;
    if (!(await this.grants.endGrant(businessId, grantId, reason, new Date(), tx))) return 0;
    const ids = await this.grants.accessTokenIds(businessId, grantId, tx);
    const revoked = await this.revocation.revokeTokensIn(
      author,
      businessId,
      ids,
      REASON_TEXT[reason],
      tx,
    );
    await tx.publish(new GrantEndedEvent(author, grantRef(grant), reason, revoked));
    return revoked;
  }
}
