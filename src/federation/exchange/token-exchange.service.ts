import { Injectable } from '@nestjs/common';
import { reachesAdminScope, scopesWithin } from '../../auth/scopes';
import { containsSecret } from '../../common/secrets/secret-shape';
import type { Author, RequestOrigin } from '../../database/units/domain-event';
import { UnitOfWork } from '../../database/units/unit-of-work';
import { identityLabel } from '../../tenancy/identity-label';
import { TenancyDirectory } from '../../tenancy/tenancy-directory';
import { TokenIssuanceService } from '../../tokens/lifecycle/issuance/token-issuance.service';
import { tokenRef } from '../../tokens/tokens.events';
import { UNCONSTRAINED } from '../../tokens/policy/token-constraints';
import { ACCESS_TOKEN_TYPE, ExchangeParams } from './exchange-params';
import { ExchangeLimits } from './exchange-limits';
import { TokenExchangedEvent } from '../federation.events';
import { JwksKeys } from './jwks-keys';
import { CLOCK_SKEW_SECONDS, peekGrant, VerifiedGrant, verifyGrant } from './jwt-grant';
import { OAuthError } from '../../common/errors/oauth-error';
import { asOAuthRefusal } from '../../governance/governance-error';
import { subjectMatches } from '../rules/subject-glob';
import { claimsMatch } from '../rules/trust-rule-checks';
import { TrustRule } from '../store/trust-rule.entity';
import { TrustRulesRepository } from '../store/trust-rules.repository';
import { TrustRuleBook } from './trust-rule-book';

/** RFC 8693 §2.2.1's answer. */
export interface ExchangedToken {
  access_token: string;
  issued_token_type: typeof ACCESS_TOKEN_TYPE;
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  scope: string;
}

const NO_RULE = 'No trust rule of this business accepts the subject token';
/** Used JWT ids are forgotten this long after their JWT expired (skew included). */
const FORGET_AFTER_MS = CLOCK_SKEW_SECONDS * 1000;
const FORGET_EVERY_MS = 60_000;

/**
 * The token exchange (RFC 8693): a workload's signed JWT, matched to a trust rule of the named
 * business and verified with the rule's keys, becomes an ordinary Latchkey token of the rule's
 * machine identity, issued through `TokenIssuanceService.issue` like every other (the active-token
 * cap, `token.created`, webhooks, the bus), with `origin: federation`, and recorded as
 * `token.exchanged`. Each JWT is accepted once (its `jti`, across instances), and a replay is
 * refused before any budget is spent.
 */
@Injectable()
export class TokenExchangeService {
  private lastForget = 0;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly rules: TrustRulesRepository,
    private readonly keys: JwksKeys,
    private readonly limits: ExchangeLimits,
    private readonly tenancy: TenancyDirectory,
    private readonly issuance: TokenIssuanceService,
    private readonly book: TrustRuleBook,
  ) {}

  /** `dpopJkt`: the key the request proved (RFC 9449 §5), which the token is bound to; null: none. */
  async exchange(
    origin: RequestOrigin,
    params: ExchangeParams,
    dpopJkt: string | null,
  ): Promise<ExchangedToken> {
    const { issuer, payload } = peekGrant(params.subjectToken);
    const business = await this.tenancy.findBusiness(params.businessId);
    // An unknown or suspended business reads as one with no rule, so its existence is not told.
    if (!business || business.status !== 'active') throw new OAuthError('invalid_grant', NO_RULE);
    const candidates = (await this.book.ofIssuer(business.id, issuer)).filter((rule) =>
      mayMatch(rule, payload),
    );
    if (candidates.length === 0) throw new OAuthError('invalid_grant', NO_RULE);
    if (new Set(candidates.map((r) => r.identityId)).size > 1) {
      throw new OAuthError(
        'invalid_grant',
        'The subject token matches trust rules of more than one machine identity',
      );
    }
    const now = new Date();
    const { rule, grant } = await this.verifyAgainst(candidates, params.subjectToken, now);
    if (rule.requireDpop && dpopJkt === null) {
      throw new OAuthError(
        'invalid_dpop_proof',
        'This trust rule binds its tokens to a key: send a DPoP proof in the DPoP header',
      );
    }
    const texts = storedTexts(issuer, grant);
    const scopes = params.scopes ?? rule.scopes;
    if (!scopesWithin(scopes, rule.scopes)) {
      throw new OAuthError('invalid_scope', 'The scope asked for is beyond the trust rule');
    }
    const jwtExpiry = grant.payload.exp * 1000;
    const expiresAt = new Date(Math.min(now.getTime() + rule.maxTtlSeconds * 1000, jwtExpiry));
    if (expiresAt.getTime() - now.getTime() < 1000) {
      throw new OAuthError('invalid_grant', 'The subject token has expired');
    }
    const issued = await this.uow.run(async (tx) => {
      const fresh = await this.rules.claimJti(
        issuer,
        grant.payload.jti,
        new Date(jwtExpiry + FORGET_AFTER_MS),
        tx,
      );
      if (!fresh) throw new OAuthError('invalid_grant', 'The subject token was already exchanged');
      // The budgets are spent only now, by a verified JWT that won its claim: a replay (a spent JWT
      // seen in a CI log) costs the machine and the issuer nothing, even sent in parallel (a second
      // claim waits for the first to commit). A 429 rolls the claim back, so the JWT stays usable.
      // The machine's first: one over its own budget leaves the business's issuer budget alone.
      await this.limits.spendIdentity(rule.identityId);
      await this.limits.spendIssuer(business.id, issuer);
      // Under the membership's issuance lock, as every issuer takes it (`TokenAccess`): a machine
      // being deleted gets no token from an exchange under way.
      const member = (await this.tenancy.membersUnderLock(business.id, [rule.identityId], tx)).get(
        rule.identityId,
      );
      const machine = member
        ? await this.tenancy.findMachine(business.id, rule.identityId, tx)
        : null;
      if (!member || !machine) throw new OAuthError('invalid_grant', NO_RULE);
      if (member.role !== 'admin' && reachesAdminScope(scopes)) {
        throw new OAuthError('invalid_scope', "The scope asked for is beyond the identity's role");
      }
      const author: Author = {
        actor: { id: machine.id, type: 'machine', label: identityLabel(machine) },
        origin,
      };
      const { secret, token } = await this.issuance
        .issue(
          author,
          {
            businessId: business.id,
            identityId: machine.id,
            name: texts.name,
            scopes,
            expiresAt,
            origin: 'federation',
            dpopJkt,
            constraints: { ...UNCONSTRAINED, audiences: params.audiences },
          },
          tx,
        )
        .catch(asOAuthRefusal);
      await tx.publish(
        new TokenExchangedEvent(
          author,
          tokenRef(token),
          rule.id,
          texts.issuer,
          texts.subject,
          texts.jti,
          scopes,
          expiresAt.toISOString(),
        ),
      );
      return { secret, token };
    });
    this.forgetOldJtis();
    return {
      access_token: issued.secret,
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: dpopJkt === null ? 'Bearer' : 'DPoP',
      expires_in: Math.floor((expiresAt.getTime() - now.getTime()) / 1000),
      scope: scopes.join(' '),
    };
  }

  /** The first candidate whose keys verify the token; else the first candidate's refusal. */
  private async verifyAgainst(
    candidates: TrustRule[],
    token: string,
    now: Date,
  ): Promise<{ rule: TrustRule; grant: VerifiedGrant }> {
    let firstError: unknown;
    for (const rule of candidates) {
      try {
        const grant = await verifyGrant(token, rule, this.keys.resolverFor(rule), now);
        // The signed claims must match the rule too, not only the ones read before verifying.
        if (!mayMatch(rule, grant.payload)) throw new OAuthError('invalid_grant', NO_RULE);
        return { rule, grant };
      } catch (e) {
        firstError ??= e;
      }
    }
    throw firstError;
  }

  /** Once a minute at most: forget JWT ids whose JWTs can no longer be presented. */
  private forgetOldJtis(): void {
    const now = Date.now();
    if (now - this.lastForget < FORGET_EVERY_MS) return;
    this.lastForget = now;
    void this.uow
      .run((tx) => this.rules.forgetJtisBefore(new Date(now), tx))
      .catch(() => undefined);
  }
}

/** Whether the token's audience, subject and claims fit the rule (its issuer already does). */
function mayMatch(rule: TrustRule, payload: Record<string, unknown>): boolean {
  const aud = payload.aud;
  const audiences = Array.isArray(aud) ? aud : [aud];
  return (
    audiences.includes(rule.audience) &&
    typeof payload.sub === 'string' &&
    subjectMatches(rule.subject, payload.sub) &&
    claimsMatch(rule.claims, payload)
  );
}

/**
 * Every text the exchange stores that the JWT chose: the token's name (in its row, `token.created`
 * and webhooks) and the issuer, subject and `jti` of `token.exchanged`. Each is held to the check
 * a caller's typed text gets (`NoSecret`): a claim that holds a Latchkey token (a branch named
 * after one) is refused, never stored, as a name holding one is 422 `SECRET_IN_TEXT`. The name is
 * checked as clipped too, since cutting a longer run short can leave a token at its end.
 */
function storedTexts(issuer: string, grant: VerifiedGrant) {
  const { sub, jti } = grant.payload;
  const texts = {
    name: [...`federation ${sub}`].slice(0, 100).join(''),
    issuer,
    subject: sub,
    jti,
  };
  if (Object.values(texts).some(containsSecret)) {
    throw new OAuthError(
      'invalid_grant',
      'A claim of the subject token (iss, sub or jti) holds a Latchkey token: nothing was stored. ' +
        'Revoke that token if it is real',
    );
  }
  return texts;
}
