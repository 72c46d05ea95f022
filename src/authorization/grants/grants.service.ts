import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { scopesWithinRole } from '../../auth/scopes';
import { OAuthError } from '../../common/errors/oauth-error';
import { AppConfig } from '../../config/app-config';
import type { Author, EventOrigin } from '../../database/units/domain-event';
import { holdDeclaredLocks } from '../../database/units/key-lock';
import type { Reader } from '../../database/units/reader';
import { Transaction, UnitOfWork } from '../../database/units/unit-of-work';
import { scopesNeedingApproval } from '../../governance/approval-rule';
import { BusinessPolicyService } from '../../governance/business-policy.service';
import { asOAuthRefusal } from '../../governance/governance-error';
import { identityLabel } from '../../tenancy/identity-label';
import { TenancyDirectory } from '../../tenancy/tenancy-directory';
import { locksToIssueIn } from '../../tokens/lifecycle/issuance/issuance-locks';
import { TokenIssuanceService } from '../../tokens/lifecycle/issuance/token-issuance.service';
import { UNCONSTRAINED } from '../../tokens/policy/token-constraints';
import { AuthorizationCodesService } from '../codes/authorization-codes.service';
import type { CodePresentation, RedeemedGrant } from '../codes/dto/authorization-code.dto';
import type { GrantTokenResponseDto } from './dto/token-response.dto';
import { clientAuthor, GrantEnds } from './grant-ends.service';
import { grantRef, GrantTokensIssuedEvent, RefreshTokenReusedEvent } from './grants.events';
import { mintRefreshToken, refreshHashOf } from './refresh-tokens';
import { ConsentsRepository } from './store/consents.repository';
import { Grant } from './store/grant.entity';
import { GrantToken } from './store/grant-token.entity';
import { GrantsRepository } from './store/grants.repository';
import { RefreshToken } from './store/refresh-token.entity';

/** What a refresh token request presents (RFC 6749 §6, RFC 8707 §2.2). */
export interface RefreshPresentation {
  refreshToken: string;
  clientId: string;
  /** Narrower scopes, or null for the grant's own. */
  scopes: string[] | null;
  /** The resource asked for, or null; it must be the grant's own. */
  resource: string | null;
  /** The thumbprint of the key of the request's DPoP proof, when it carried one. */
  dpopJkt: string | null;
}

const refusedGrant = (why: string) => new OAuthError('invalid_grant', why);
const NOT_VALID = 'The refresh token is not valid';

type Answer = { tokens: GrantTokenResponseDto } | { refused: OAuthError };

/**
 * The token endpoint's grants (RFC 6749 §4.1.3 and §6): a code for the first access token and
 * refresh token of a grant, and a refresh token, used once, for the next pair. Every access
 * token is an ordinary Latchkey token of the person who consented, issued through
 * `TokenIssuanceService` under the business's policy: audience the resource, scopes those
 * consented within the person's role now, short-lived. A grant lives while its consent stands,
 * the person is a member, and no refresh token of its line has been used twice.
 */
@Injectable()
export class GrantsService {
  /** The time tokens are issued at; a test moves it rather than wait. */
  clock: () => number = Date.now;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly codes: AuthorizationCodesService,
    private readonly consents: ConsentsRepository,
    private readonly grants: GrantsRepository,
    private readonly issuance: TokenIssuanceService,
    private readonly ends: GrantEnds,
    private readonly tenancy: TenancyDirectory,
    private readonly config: AppConfig,
    private readonly policies: BusinessPolicyService,
  ) {}

  /** RFC 6749 §4.1.3: the code, redeemed once, for the grant's first tokens. */
  async exchangeCode(
    origin: EventOrigin,
    businessId: string,
    presented: CodePresentation,
  ): Promise<GrantTokenResponseDto> {
    const author = clientAuthor(origin, presented.clientId);
    const answer = await this.uow.run(async (tx): Promise<Answer> => {
      const redeemed = await this.codes.redeemIn(author, businessId, presented, tx, (code) =>
        holdDeclaredLocks(locksToIssueIn(businessId, code.identityId), tx),
      );
      if ('refused' in redeemed) return redeemed;
      // RFC 9449 §10: a code bound to a key was redeemed with its proof (REDEMPTION_CHECKS); one
      // that was not is bound now to the key the token request proved, if it proved one.
      const dpopJkt = redeemed.grant.dpopJkt ?? presented.dpopJkt ?? null;
      const grant = await this.startGrant({ ...redeemed.grant, dpopJkt }, tx);
      return {
        tokens: await this.issuePair(origin, grant, grant.scopes, 'authorization_code', tx),
      };
    });
    if ('refused' in answer) throw answer.refused;
    return answer.tokens;
  }

  /**
   * RFC 6749 §6: a refresh token for the next pair. Used once: the use is a conditional UPDATE,
   * and a second use (or a lost race) is a reuse, which ends the whole grant and revokes its
   * tokens, committed before the refusal is answered.
   */
  async refresh(
    origin: EventOrigin,
    businessId: string,
    presented: RefreshPresentation,
  ): Promise<GrantTokenResponseDto> {
    const hash = refreshHashOf(presented.refreshToken);
    if (hash === null) throw refusedGrant(NOT_VALID);
    const author = clientAuthor(origin, presented.clientId);
    const answer = await this.uow.run(async (tx): Promise<Answer> => {
      const row = await this.grants.findRefreshByHashAnyBusiness(hash, tx);
      if (!row || row.businessId !== businessId) return { refused: refusedGrant(NOT_VALID) };
      const grant = await this.grants.findGrant(businessId, row.grantId, tx);
      // Another client's refresh token is no token for this one, and ends nothing.
      if (!grant || grant.clientId !== presented.clientId || grant.revokedAt !== null) {
        return { refused: refusedGrant(NOT_VALID) };
      }
      await holdDeclaredLocks(locksToIssueIn(businessId, grant.identityId), tx);
      if (row.usedAt !== null) return this.reused(author, grant, row, tx);
      const now = new Date(this.clock());
      if (row.expiresAt.getTime() <= now.getTime()) return { refused: refusedGrant(NOT_VALID) };
      // RFC 9449 §5.8: a public client's refresh token is bound to the grant's key.
      if (grant.dpopJkt !== null && presented.dpopJkt !== grant.dpopJkt) {
        return {
          refused: new OAuthError('invalid_dpop_proof', 'Prove the key this grant is bound to'),
        };
      }
      if (presented.resource !== null && presented.resource !== grant.resource) {
        return { refused: new OAuthError('invalid_target', 'The grant is for another resource') };
      }
      const scopes = presented.scopes ?? grant.scopes;
      if (!scopes.every((s) => grant.scopes.includes(s))) {
        return { refused: new OAuthError('invalid_scope', 'The scope is beyond the grant') };
      }
      // Checked before it is spent, so a request refused above leaves the token usable; of two
      // uses at once, the one that finds it spent is a reuse.
      if (!(await this.grants.useRefresh(businessId, row.id, now, tx))) {
        return this.reused(author, grant, row, tx);
      }
      return { tokens: await this.issuePair(origin, grant, scopes, 'refresh_token', tx) };
    });
    if ('refused' in answer) throw answer.refused;
    return answer.tokens;
  }

  /** The client each token was issued to, for those a grant gave (analytics' by client). */
  clientsOfTokens(businessId: string | null, tokenIds: readonly string[], db: Reader) {
    return this.grants.clientsOfTokens(businessId, tokenIds, db);
  }

  private async reused(
    author: Author,
    grant: Grant,
    row: RefreshToken,
    tx: Transaction,
  ): Promise<Answer> {
    await tx.publish(new RefreshTokenReusedEvent(author, grantRef(grant), row.id));
    await this.ends.endGrant(author, grant.businessId, grant.id, 'refresh_reused', tx);
    return { refused: refusedGrant(NOT_VALID) };
  }

  /** The grant a redeemed code starts, while the consent it came from still stands. */
  private async startGrant(redeemed: RedeemedGrant, tx: Transaction): Promise<Grant> {
    const consent = await this.consents.findStanding(
      redeemed.businessId,
      redeemed.identityId,
      redeemed.clientId,
      redeemed.resource,
      tx,
    );
    if (!consent || !redeemed.scopes.every((s) => consent.scopes.includes(s))) {
      throw refusedGrant('The consent this code was issued under was withdrawn');
    }
    const grant = Object.assign(new Grant(), {
      id: redeemed.grantId,
      businessId: redeemed.businessId,
      consentId: consent.id,
      identityId: redeemed.identityId,
      clientId: redeemed.clientId,
      resource: redeemed.resource,
      scopes: [...redeemed.scopes],
      dpopJkt: redeemed.dpopJkt,
      createdAt: new Date(this.clock()),
      revokedAt: null,
      revokedReason: null,
    } satisfies Grant);
    await this.grants.insertGrant(grant, tx);
    return grant;
  }

  /**
   * An access token and a refresh token for the grant's person, if they may still hold one: a
   * member of an active business, whose consent stands; scopes narrowed to their role now.
   */
  private async issuePair(
    origin: EventOrigin,
    grant: Grant,
    asked: string[],
    grantType: 'authorization_code' | 'refresh_token',
    tx: Transaction,
  ): Promise<GrantTokenResponseDto> {
    const { businessId, identityId } = grant;
    const business = await this.tenancy.findBusiness(businessId);
    const member = (await this.tenancy.membersUnderLock(businessId, [identityId], tx)).get(
      identityId,
    );
    const person = member && (await this.tenancy.findIdentityAnyBusiness(identityId));
    if (!business || business.status !== 'active' || !member || !person) {
      throw refusedGrant('The person who consented can no longer be issued tokens here');
    }
    const consent = await this.consents.find(businessId, grant.consentId, tx);
    if (!consent || consent.withdrawnAt !== null) {
      throw refusedGrant('The consent this grant was given under was withdrawn');
    }
    // A scope the policy keeps for approvers, and no approver allowed, ends the grant's issuing.
    const { approvalRequired } = await this.policies.rulesFor(businessId, tx);
    const gated = scopesNeedingApproval(approvalRequired, asked);
    if (gated.some((s) => !(consent.approvedScopes ?? []).includes(s))) {
      throw new OAuthError('invalid_scope', 'The business requires an approver for these scopes');
    }
    const scopes = scopesWithinRole(asked, member.role) ?? [];
    if (scopes.length === 0)
      throw new OAuthError('invalid_scope', "No scope is within the person's role");
    const now = new Date(this.clock());
    const expiresAt = new Date(now.getTime() + this.config.OAUTH_ACCESS_TOKEN_MINUTES * 60_000);
    const personAuthor: Author = {
      actor: { id: person.id, type: 'user', label: identityLabel(person) },
      origin,
    };
    const { secret, token } = await this.issuance
      .issue(
        personAuthor,
        {
          businessId,
          identityId,
          name: `${consent.clientName ?? 'OAuth client'} (connected app)`.slice(0, 100),
          scopes,
          expiresAt,
          origin: 'oauth',
          dpopJkt: grant.dpopJkt,
          constraints: { ...UNCONSTRAINED, audiences: [grant.resource] },
        },
        tx,
      )
      .catch(asOAuthRefusal);
    const refreshToken = mintRefreshToken();
    await this.grants.insertRefresh(
      Object.assign(new RefreshToken(), {
        id: randomUUID(),
        businessId,
        grantId: grant.id,
        tokenHash: refreshHashOf(refreshToken)!,
        createdAt: now,
        expiresAt: new Date(now.getTime() + this.config.OAUTH_REFRESH_TOKEN_DAYS * 86_400_000),
        usedAt: null,
      } satisfies RefreshToken),
      tx,
    );
    await this.grants.insertGrantToken(
      Object.assign(new GrantToken(), {
        tokenId: token.id,
        businessId,
        grantId: grant.id,
        clientId: grant.clientId,
        createdAt: now,
      } satisfies GrantToken),
      tx,
    );
    await tx.publish(
      new GrantTokensIssuedEvent(personAuthor, grantRef(grant), grantType, token.id, scopes),
    );
    return {
      access_token: secret,
      token_type: grant.dpopJkt === null ? 'Bearer' : 'DPoP',
      expires_in: Math.floor((expiresAt.getTime() - now.getTime()) / 1000),
      refresh_token: refreshToken,
      scope: scopes.join(' '),
    };
  }
}
