import type { RequestContext } from '../../auth/request-context';
import { Role, roleAtLeast } from '../../auth/roles';
import { ApiError } from '../../common/errors/domain-error';
import { AuthError } from '../../auth/auth-error';
import { scopesAllow } from '../../auth/scopes';
import { constraintsOf, TokenConstraints, UNCONSTRAINED } from './token-constraints';
import { TOKEN_POLICY } from './token-policy';
import { CallerClass, DenyCode, TargetClass, TokenAction } from './token-policy-terms';

/** How a caller's question is answered from the table in `token-policy.ts`. */

/** The caller as the policy sees it. */
export interface PolicyCaller {
  class: CallerClass;
  /** The calling token's scopes; null is unrestricted within the role. */
  scopes: readonly string[] | null;
  /** The calling token's expiry, which caps every token it makes; null for none (and the CLI). */
  expiresAt: Date | null;
  /** The calling token's networks and limit, which cap every token it makes; absent: none. */
  constraints?: TokenConstraints;
}

export type Decision =
  | { allowed: true }
  | { allowed: false; status: 404 }
  | { allowed: false; status: 403; code: DenyCode };

const GATE_RANK: Record<CallerClass, Role | 'all'> = {
  owner: 'owner',
  admin: 'admin',
  member: 'member',
  platform: 'all',
  cli: 'all',
  retiring: 'all',
  federated: 'all',
};

/** The one question: may this caller take this action on this target? */
export function decide(action: TokenAction, caller: PolicyCaller, target: TargetClass): Decision {
  const rule = TOKEN_POLICY[action];
  const row = rule.cells[caller.class];
  if (!row) return { allowed: false, status: 403, code: 'INSUFFICIENT_ROLE' };
  // The operator passes every gate; a retiring or federated token is refused by its row whatever
  // it holds.
  if (
    rule.gate &&
    caller.class !== 'cli' &&
    caller.class !== 'retiring' &&
    caller.class !== 'federated'
  ) {
    const rank = GATE_RANK[caller.class];
    if (rank !== 'all' && !roleAtLeast(rank, rule.gate.role)) {
      return { allowed: false, status: 403, code: 'INSUFFICIENT_ROLE' };
    }
    if (!scopesAllow(caller.scopes, rule.gate.scope)) {
      return { allowed: false, status: 403, code: 'INSUFFICIENT_SCOPE' };
    }
  }
  const cell = row[target];
  const verdict =
    typeof cell === 'string'
      ? cell
      : scopesAllow(caller.scopes, cell.scope)
        ? cell.with
        : cell.without;
  if (verdict === 'allow') return { allowed: true };
  if (verdict === 'hide' || verdict === 'none') return { allowed: false, status: 404 };
  return { allowed: false, status: 403, code: verdict };
}

/**
 * `decide`, for an action on an existing token that may be the calling token itself: a token may
 * always revoke itself (a leaked secret's holder needs no more than the secret to kill it), even
 * while it is retiring.
 */
export function decideOnToken(
  action: TokenAction,
  caller: PolicyCaller,
  target: TargetClass,
  isCallingToken: boolean,
): Decision {
  if (isCallingToken && action === 'revoke') return { allowed: true };
  return decide(action, caller, target);
}

/** The operator at a shell, or the app at its first start. */
export const CLI_CALLER: PolicyCaller = {
  class: 'cli',
  scopes: null,
  expiresAt: null,
  constraints: UNCONSTRAINED,
};

/** The caller of a request, as the policy sees it. */
export function policyCallerOf(ctx: RequestContext): PolicyCaller {
  return {
    class: callerClass(
      ctx.isPlatformToken,
      ctx.role,
      ctx.token.retiring,
      ctx.token.origin === 'federation',
    ),
    scopes: ctx.token.scopes,
    expiresAt: ctx.token.expiresAt,
    constraints: constraintsOf(ctx.token),
  };
}

/** Asks the policy whether the caller of a request may take this action on the target. */
export function mayAct(ctx: RequestContext, action: TokenAction, target: TargetClass): Decision {
  return decide(action, policyCallerOf(ctx), target);
}

/**
 * The caller class of a business or platform token; a retiring token is `retiring`, and one the
 * RFC 8693 exchange made is `federated`.
 */
export function callerClass(
  isPlatformToken: boolean,
  role: Role | null,
  retiring: boolean,
  federated = false,
): CallerClass {
  if (retiring) return 'retiring';
  if (federated) return 'federated';
  if (isPlatformToken) return 'platform';
  return role ?? 'member';
}

/** The target class of an identity, as seen from the caller. */
export function targetClass(
  callerIdentityId: string,
  holder: { id: string; kind: 'user' | 'machine'; role: Role | null } | null,
): TargetClass {
  if (!holder) return 'unknown';
  if (holder.id === callerIdentityId) return 'self';
  if (holder.kind === 'machine') return 'machine';
  // A person whose membership has ended holds only revoked tokens, and no role to protect.
  return holder.role ?? 'member';
}

/** Throws the policy's refusal: its 403, or the caller's own 404 for what may not be seen. */
export function enforce(
  decision: Decision,
  notFound: () => Error = () => new ApiError('NOT_FOUND'),
): void {
  if (decision.allowed) return;
  if (decision.status === 404) throw notFound();
  throw AuthError.forbidden(decision.code);
}
