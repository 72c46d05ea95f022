import { Injectable } from '@nestjs/common';
import type { CallerToken } from '../auth/request-context';
import type { PolicyCaller } from '../auth/token-policy';
import type { IssuedTokenDto, TokenViewDto } from '../auth/token-view.dto';
import type { Author } from '../database/domain-event';
import type { Transaction } from '../database/unit-of-work';
import { CascadeReason, TenancyTokens } from '../tenancy/tenancy-tokens';
import { TokenIssuanceService } from './token-issuance.service';
import { TokenQueriesService } from './token-queries.service';
import { TokenRevocationService } from './token-revocation.service';

/** Tenancy's port onto the three token services. */
@Injectable()
export class TenancyTokensAdapter implements TenancyTokens {
  constructor(
    private readonly issuance: TokenIssuanceService,
    private readonly revocation: TokenRevocationService,
    private readonly queries: TokenQueriesService,
  ) {}

  issueFirstToken(
    tx: Transaction,
    author: Author,
    maker: PolicyCaller,
    holder: { businessId: string; identityId: string; isAdmin: boolean },
    expiresInDays?: number,
  ): Promise<IssuedTokenDto> {
    return this.issuance.issueFirstToken(tx, author, maker, holder, expiresInDays);
  }

  issuePlatformToken(
    tx: Transaction,
    author: Author,
    maker: PolicyCaller,
    holder: { identityId: string; name: string; expiresInDays?: number },
  ): Promise<IssuedTokenDto> {
    return this.issuance.issuePlatformToken(tx, author, maker, holder);
  }

  cascadeTargets(tx: Transaction, businessId: string | null, identityId: string) {
    return this.revocation.cascadeTargets(tx, businessId, identityId);
  }

  finishCascade(
    author: Author,
    businessId: string | null,
    identityId: string,
    reason: CascadeReason,
  ): Promise<number> {
    return this.revocation.finishCascade(author, businessId, identityId, reason);
  }

  callerTokenView(caller: CallerToken): Promise<TokenViewDto> {
    return this.queries.callerTokenView(caller);
  }
}
