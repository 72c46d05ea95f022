import type { CallerToken } from '../auth/request-context';
import type { PolicyCaller } from '../auth/token-policy';
import type { IssuedTokenDto, TokenViewDto } from '../auth/token-view.dto';
import type { Author } from '../database/domain-event';
import type { Transaction } from '../database/unit-of-work';

/**
 * The reason each cascade records on the tokens it revokes. A closed set, so that tokens can
 * count cascades by kind (the metrics) without reading free text.
 */
export type CascadeReason =
  'member removed from business' | 'machine identity deleted' | 'platform admin removed';

/**
 * What tenancy needs from tokens, stated here so that tenancy imports nothing of tokens (tokens
 * sits above tenancy, and asks it who a caller is). The tokens module provides it.
 */
export abstract class TenancyTokens {
  /**
   * A first token (a business owner's, a new member's, a re-issued one) inside the caller's
   * transaction, capped by `maker`'s scopes; the caller has asked the token policy first.
   */
  abstract issueFirstToken(
    tx: Transaction,
    author: Author,
    maker: PolicyCaller,
    holder: { businessId: string; identityId: string; isAdmin: boolean },
    expiresInDays?: number,
  ): Promise<IssuedTokenDto>;

  /** A platform token for a platform admin, capped by `maker`'s scopes. */
  abstract issuePlatformToken(
    tx: Transaction,
    author: Author,
    maker: PolicyCaller,
    holder: { identityId: string; name: string; expiresInDays?: number },
  ): Promise<IssuedTokenDto>;

  /**
   * The ids of every unrevoked token of the identity in the business (null: its platform
   * tokens), read in the transaction that ends the holder's standing: what the cascade revokes.
   */
  abstract cascadeTargets(
    tx: Transaction,
    businessId: string | null,
    identityId: string,
  ): Promise<string[]>;

  /**
   * Once that transaction has committed: revokes those tokens in short batches, each with its
   * audit events. Returns how many it revoked.
   */
  abstract finishCascade(
    author: Author,
    businessId: string | null,
    identityId: string,
    reason: CascadeReason,
  ): Promise<number>;

  /** The view of the token making the call. */
  abstract callerTokenView(caller: CallerToken): Promise<TokenViewDto>;
}
