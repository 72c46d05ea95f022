import { Injectable } from '@nestjs/common';
import { firstTokenScopes } from '../../../auth/scopes';
import { Author } from '../../../database/units/domain-event';
import { Transaction } from '../../../database/units/unit-of-work';
import { IssuedTokenDto } from '../../dto/token-view.dto';
import { PolicyCaller } from '../../policy/policy-decision';
import { inheritedConstraints, UNCONSTRAINED } from '../../policy/token-constraints';
import {
  cappedExpiry,
  expiryInDays,
  expiryUnderMaker,
  EXPIRES_IN_DAYS,
  FIRST_TOKEN_DAYS,
  FIRST_TOKEN_NAME,
} from '../../policy/token-lifetime';
import { TokenIssuanceService } from './token-issuance.service';

/** What the maker of a first token asked of it (a body's fields, as the API spells them). */
export interface FirstTokenAsked {
  expires_in_days?: number;
  dpop_jkt?: string;
}

/**
 * Tokens handed to someone other than their maker: a first token (a business owner's, a new
 * member's, a re-issued one) and a platform admin's token. Each is capped by its maker, and its
 * secret goes to the one the workflow above hands it to.
 */
@Injectable()
export class HandedTokenIssuance {
  constructor(private readonly issuance: TokenIssuanceService) {}

  /**
   * The first token of a business owner, a new member, or one re-issued: expiring in 7 days
   * unless told otherwise, and holding no more than its maker's scopes allow within the
   * holder's role (unrestricted when the maker is), nor outliving its maker. Returned with its
   * secret, shown once. The caller has asked the token policy first.
   */
  async issueFirstToken(
    author: Author,
    maker: PolicyCaller,
    holder: { businessId: string; identityId: string; isAdmin: boolean },
    terms: FirstTokenAsked,
    tx: Transaction,
  ): Promise<IssuedTokenDto> {
    const expiresInDays = terms.expires_in_days;
    const asked = expiresInDays === undefined ? null : EXPIRES_IN_DAYS;
    const expiry = expiryUnderMaker(
      expiryInDays(expiresInDays ?? FIRST_TOKEN_DAYS),
      asked,
      maker.expiresAt,
    );
    const { secret, token } = await this.issuance.issue(
      author,
      {
        businessId: holder.businessId,
        identityId: holder.identityId,
        name: FIRST_TOKEN_NAME,
        scopes: firstTokenScopes(maker.scopes, holder.isAdmin),
        constraints: inheritedConstraints(maker.constraints ?? UNCONSTRAINED),
        expiresAt: expiry.expiresAt,
        expiryAskedAt: asked,
        makerBreaches: expiry.breach ? [expiry.breach] : [],
        dpopJkt: terms.dpop_jkt ?? null,
      },
      tx,
    );
    return IssuedTokenDto.issued(secret, token);
  }

  /** A platform token for a platform admin, capped by its maker's scopes and expiry. */
  async issuePlatformToken(
    author: Author,
    maker: PolicyCaller,
    holder: { identityId: string; name: string; expiresInDays?: number },
    tx: Transaction,
  ): Promise<IssuedTokenDto> {
    const { secret, token } = await this.issuance.issue(
      author,
      {
        businessId: null,
        identityId: holder.identityId,
        name: holder.name,
        scopes: maker.scopes === null ? null : [...maker.scopes],
        constraints: inheritedConstraints(maker.constraints ?? UNCONSTRAINED),
        expiresAt: cappedExpiry(
          expiryInDays(holder.expiresInDays),
          holder.expiresInDays === undefined ? null : EXPIRES_IN_DAYS,
          maker.expiresAt,
        ),
      },
      tx,
    );
    return IssuedTokenDto.issued(secret, token);
  }
}
