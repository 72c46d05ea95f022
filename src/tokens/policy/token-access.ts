import { Injectable } from '@nestjs/common';
import type { Author } from '../../database/units/domain-event';
import type { Reader } from '../../database/units/reader';
import { Transaction } from '../../database/units/unit-of-work';
import { AuthError } from '../../auth/auth-error';
import type { RequestContext } from '../../auth/request-context';
import { reachesAdminScope, scopesWithin, scopesWithinRole } from '../../auth/scopes';
import { TargetClass, TokenAction } from './token-policy-terms';
import {
  decide,
  decideOnToken,
  enforce,
  mayAct,
  PolicyCaller,
  policyCallerOf,
  targetClass,
} from './policy-decision';
import { TenancyDirectory } from '../../tenancy/tenancy-directory';
import { TenancyError } from '../../tenancy/tenancy-error';
import { ApiToken } from '../store/entities/api-token.entity';
import { TokenError, tokenNotFound } from '../token-error';
import { TokensRepository } from '../store/repositories/tokens.repository';

/**
 * Who acts on a business's existing token, and how the token is found for them under the token
 * policy: a request's caller (`actingFor`), or the operator at a shell (`operatorIn`). Pause,
 * resume and edit take one, so HTTP and the CLI run the same rules and write the same events.
 */
export interface TokenActing {
  readonly author: Author;
  find(action: TokenAction, tokenId: string, tx: Transaction): Promise<ApiToken>;
  /** Those of `tokens` (of the business) that the policy lets this actor take `action` on. */
  permitted(action: TokenAction, tokens: ApiToken[], tx: Transaction): Promise<ApiToken[]>;
}

export const identityNotFound = () => new TenancyError('IDENTITY_NOT_FOUND');

/** How `holderTarget` reads the holder. */
export interface HolderRule {
  /** A holder who is no member of the business is `unknown` (nothing is issued to them). */
  nonMemberIsUnknown?: boolean;
  /** Take the membership's issuance lock (shared) while reading: the action issues a token. */
  lockForIssue?: boolean;
  /** The caller acts on their own token as a member, and must still be one under the lock. */
  callerMustBeMember?: boolean;
}

/**
 * Who may reach which token: the token policy applied to a token or an identity of the business
 * (reading its holder, under the issuance lock when the action issues a token), and what a caller
 * may grant. Every answer is the token, its target class, or the policy's refusal.
 */
@Injectable()
export class TokenAccess {
  constructor(
    private readonly tokens: TokensRepository,
    private readonly tenancy: TenancyDirectory,
  ) {}

  /** A token of the business the caller may see; anything else is 404, never 403. */
  async findVisible(ctx: RequestContext, tokenId: string, db: Reader) {
    const token = await this.tokens.findById(ctx.businessId, tokenId, db);
    if (!token || (token.identityId !== ctx.actor.id && !this.managesAll(ctx)))
      throw tokenNotFound();
    return token;
  }

  /**
   * A token of the business that the token policy lets the caller act on, or its refusal.
   * `lock` when the action issues a token for the holder (rotation): see `holderTarget`.
   */
  async findFor(
    ctx: RequestContext,
    action: TokenAction,
    tokenId: string,
    options: { lock?: boolean },
    tx: Transaction,
  ): Promise<ApiToken> {
    const token = await this.tokens.findById(ctx.businessId, tokenId, tx);
    if (!token) throw tokenNotFound();
    const rule = { lockForIssue: options.lock, callerMustBeMember: !ctx.isPlatformToken };
    const target = await this.holderTarget(
      ctx.businessId,
      ctx.actor.id,
      token.identityId,
      rule,
      tx,
    );
    enforce(
      decideOnToken(action, policyCallerOf(ctx), target, token.id === ctx.token.id),
      tokenNotFound,
    );
    return token;
  }

  /** A request's caller, acting on the tokens of the request's business. */
  actingFor(ctx: RequestContext): TokenActing {
    const caller = { policy: policyCallerOf(ctx), id: ctx.actor.id, tokenId: ctx.token.id };
    return {
      author: ctx.author,
      find: (action, tokenId, tx) => this.findFor(ctx, action, tokenId, {}, tx),
      permitted: (action, tokens, tx) =>
        this.permittedTo(caller, ctx.businessId, action, tokens, tx),
    };
  }

  /** The operator (`CLI_CALLER`), acting on the tokens of one business as `author`. */
  operatorIn(caller: PolicyCaller, author: Author, businessId: string): TokenActing {
    return {
      author,
      find: (action, tokenId, tx) => this.findForCaller(caller, businessId, action, tokenId, tx),
      permitted: (action, tokens, tx) =>
        this.permittedTo({ policy: caller, id: '', tokenId: null }, businessId, action, tokens, tx),
    };
  }

  /**
   * Those of `tokens` that the policy lets `caller` (its class, identity and calling token) take
   * `action` on, their holders read at once; a holder who is no member counts as a member, as in
   * `holderTarget`. Pausing with children skips the rest, as bulk revoke does.
   */
  private async permittedTo(
    caller: { policy: PolicyCaller; id: string; tokenId: string | null },
    businessId: string,
    action: TokenAction,
    tokens: ApiToken[],
    tx: Transaction,
  ): Promise<ApiToken[]> {
    if (tokens.length === 0) return [];
    const holders = await this.tenancy.membersOf(
      businessId,
      tokens.map((t) => t.identityId),
      tx,
    );
    return tokens.filter((t) => {
      const holder = holders.get(t.identityId) ?? { id: t.identityId, kind: 'user', role: null };
      const target = targetClass(caller.id, holder);
      return decideOnToken(action, caller.policy, target, t.id === caller.tokenId).allowed;
    });
  }

  /**
   * A token of the business that the token policy lets a caller from outside it act on (the
   * operator at a shell: `CLI_CALLER`). Another business's token, or one the policy hides, is 404.
   */
  async findForCaller(
    caller: PolicyCaller,
    businessId: string,
    action: TokenAction,
    tokenId: string,
    tx: Transaction,
  ): Promise<ApiToken> {
    const token = await this.tokens.findById(businessId, tokenId, tx);
    if (!token) throw tokenNotFound();
    const target = await this.holderTarget(businessId, '', token.identityId, {}, tx);
    enforce(decide(action, caller, target), tokenNotFound);
    return token;
  }

  /**
   * Classes a token's holder for the policy. A holder who is no longer a member holds only revoked
   * tokens and no role to protect, so counts as a member; with `members: true` (issuance) a
   * non-member is `unknown` instead, for nothing is issued to them.
   *
   * `lock` is the issuance rule for everything that issues a token in a business: **a token is
   * issued only under the membership's issuance lock, held shared until the transaction ends**
   * (`key-lock.ts`). Ending a membership takes it exclusively before deleting the row, so it waits
   * for issuers under way and revokes their tokens too, and a later issuer finds no membership:
   * once a removal returns, that identity has no active token there, and none can be made. (SQLite
   * runs one unit of work at a time, so the same read inside the transaction is enough there.)
   */
  async holderTarget(
    businessId: string,
    callerId: string,
    identityId: string,
    rule: HolderRule,
    db: Reader,
  ): Promise<TargetClass> {
    const mustRead = rule.lockForIssue || identityId !== callerId;
    const holder = mustRead
      ? (await this.holders(businessId, [identityId], rule.lockForIssue === true, db)).get(
          identityId,
        )
      : undefined;
    if (identityId === callerId) {
      // The caller was removed while this request ran: their token speaks for no one now.
      if (rule.lockForIssue && rule.callerMustBeMember && !holder) {
        throw AuthError.bearer('INVALID_TOKEN');
      }
      return 'self';
    }
    if (!holder && rule.nonMemberIsUnknown) return 'unknown';
    return targetClass(callerId, holder ?? { id: identityId, kind: 'user', role: null });
  }

  /** The target of a new token (the caller, or an identity that must be a member), locked. */
  memberTarget(ctx: RequestContext, identityId: string, tx: Transaction): Promise<TargetClass> {
    const rule = {
      nonMemberIsUnknown: true,
      lockForIssue: true,
      callerMustBeMember: !ctx.isPlatformToken,
    };
    return this.holderTarget(ctx.businessId, ctx.actor.id, identityId, rule, tx);
  }

  /** The holders among `identityIds`, under their issuance locks when `lock` (a transaction's). */
  private holders(businessId: string, identityIds: string[], lock: boolean, db: Reader) {
    if (!lock) return this.tenancy.membersOf(businessId, identityIds, db);
    if (!(db instanceof Transaction)) {
      throw new Error('holderTarget: the issuance lock is held only inside a transaction');
    }
    return this.tenancy.membersUnderLock(businessId, identityIds, db);
  }

  /** Those of `candidates` the token policy lets the caller revoke: bulk revoke skips the rest. */
  async revocableBy(
    ctx: RequestContext,
    candidates: ApiToken[],
    tx: Transaction,
  ): Promise<ApiToken[]> {
    const holders = await this.tenancy.membersOf(
      ctx.businessId,
      candidates.map((t) => t.identityId),
      tx,
    );
    return candidates.filter((t) => {
      const holder = holders.get(t.identityId) ?? { id: t.identityId, kind: 'user', role: null };
      return mayAct(ctx, 'revoke', targetClass(ctx.actor.id, holder)).allowed;
    });
  }

  /** Owners and admins whose token allows `tokens:admin` see every token of the business. */
  managesAll(ctx: RequestContext): boolean {
    return ctx.hasRole('admin') && ctx.allowsScope('tokens:admin');
  }

  /**
   * A successor's scopes, which its caller carries over rather than asks for: what the caller's
   * role could never hold is dropped (issuance drops it from the successor too, by its holder's
   * role), and the rest must lie within the calling token. So a demoted member may still rotate
   * a token made while they were an admin, into one within their role.
   */
  assertMayRenew(ctx: RequestContext, scopes: string[] | null): void {
    this.assertMayGrant(ctx, ctx.hasRole('admin') ? scopes : scopesWithinRole(scopes, 'member'));
  }

  /** A new token never holds more than the token that makes it, nor more than the role. */
  assertMayGrant(ctx: RequestContext, scopes: string[] | null): void {
    const beyondToken = !scopesWithin(scopes, ctx.token.scopes);
    const beyondRole = !ctx.hasRole('admin') && reachesAdminScope(scopes);
    if (beyondToken || beyondRole) {
      throw new TokenError('SCOPE_ESCALATION');
    }
  }
}
