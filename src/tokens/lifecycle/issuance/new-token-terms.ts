import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../../config/app-config';
import { activeTokensKey, readUnderKeyLocks } from '../../../database/units/key-lock';
import type { Transaction } from '../../../database/units/unit-of-work';
import { governIssue, TokenTerms } from '../../../governance/business-policy';
import { BusinessPolicyService } from '../../../governance/business-policy.service';
import { approvalNeeded } from '../../../governance/approval-rule';
import { approvalRequired, policyViolation } from '../../../governance/governance-error';
import { TenancyDirectory } from '../../../tenancy/tenancy-directory';
import { scopesWithinHolderRole } from '../../policy/holder-scopes';
import { TokensRepository } from '../../store/repositories/tokens.repository';
import { TokenError } from '../../token-error';
import type { IssueTokenInput } from './issue-token-input';

/**
 * What holds a new token back before it is minted, on every path that issues one
 * (`TokenIssuanceService.issueAdmitted`): its identity's cap of active tokens, and the terms its
 * business's token policy gives it.
 */
@Injectable()
export class NewTokenTerms {
  constructor(
    private readonly config: AppConfig,
    private readonly tokens: TokensRepository,
    private readonly tenancy: TenancyDirectory,
    private readonly policy: BusinessPolicyService,
  ) {}

  /**
   * An identity holds at most MAX_ACTIVE_TOKENS_PER_IDENTITY active tokens. The count and the
   * insert run under one exclusive key lock per identity, so parallel creates cannot both pass
   * it on PostgreSQL (SQLite runs one unit of work at a time). A rotation with no grace period
   * replaces its token in the same transaction, so that one is not counted; with a grace period
   * both stay active, so both count, or rotating over and over would collect tokens.
   */
  async assertBelowCap(input: IssueTokenInput, tx: Transaction): Promise<void> {
    const cap = this.config.MAX_ACTIVE_TOKENS_PER_IDENTITY;
    if (cap === 0) return;
    const { businessId, identityId } = input;
    const active = await readUnderKeyLocks(
      [activeTokensKey(businessId, identityId)],
      'exclusive',
      () =>
        this.tokens.countActiveOfIdentity(
          businessId,
          identityId,
          new Date(),
          input.replaces ?? null,
          tx,
        ),
      tx,
    );
    if (active >= cap) {
      throw new TokenError(
        'TOKEN_LIMIT_REACHED',
        `This identity holds ${active} active tokens, the most allowed (${cap}): revoke one first`,
      );
    }
  }

  /**
   * The terms the business's token policy gives a token made at `now`, or its 422 at the fields
   * it breaks, with the maker's breaches (`input.makerBreaches`) among them. A platform token has
   * no business, so no policy.
   */
  async governed(input: IssueTokenInput, now: Date, tx: Transaction): Promise<TokenTerms> {
    const asked = {
      scopes: input.scopes,
      allowedCidrs: input.constraints?.allowedCidrs ?? null,
      expiresAt: input.expiresAt,
      expiryAsked: Boolean(input.expiryAskedAt),
      dpopJkt: input.dpopJkt ?? null,
      machine: false,
    };
    const makerBreaches = input.makerBreaches ?? [];
    if (input.businessId === null) {
      if (makerBreaches.length > 0) throw makerBreaches[0];
      return asked;
    }
    const rules = await this.policy.rulesFor(input.businessId, tx);
    // The holder's kind is read only where a rule turns on it: an unbound token, under
    // `require_dpop: machines`, and a gated create under `approval_required.machine_tokens`.
    const gate = input.approvalGated === true ? rules.approvalRequired : null;
    if (
      (asked.dpopJkt === null && rules.requireDpop === 'machines') ||
      gate?.machineTokens === true
    ) {
      const holder = await this.tenancy.membersOf(input.businessId, [input.identityId], tx);
      asked.machine = holder.get(input.identityId)?.kind === 'machine';
    }
    // What the policy gives a token that asked for no scopes is held to the holder's role too.
    const scopes = input.scopes ?? rules.allowedScopes;
    const held = await scopesWithinHolderRole(this.tenancy, input, scopes, tx);
    const { terms, breaches } = governIssue(rules, { ...asked, scopes: held }, now);
    // One 422 names every rule broken: the policy's, then the maker's. A maker's breach alone
    // keeps its own code (the first, when several), as it was answered before the policy was.
    if (breaches.length > 0) {
      throw policyViolation(
        breaches,
        (field) =>
          field === 'expires_at' && input.expiryAskedAt ? input.expiryAskedAt : ['body', field],
        makerBreaches.flatMap((b) => b.issues ?? []),
      );
    }
    if (makerBreaches.length > 0) throw makerBreaches[0];
    // Last: a token the policy would refuse anyway is told so, not sent to an approver.
    const needed = approvalNeeded(gate, terms, now);
    if (needed.length > 0) throw approvalRequired(needed);
    return terms;
  }
}
