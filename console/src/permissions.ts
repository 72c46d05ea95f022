import { roleAtLeast, type Role } from '../../src/auth/roles';
import { scopesAllow } from '../../src/auth/scopes';
import { TOKEN_POLICY } from '../../src/tokens/policy/token-policy';
import type {
  CallerClass,
  TargetClass,
  TokenAction,
} from '../../src/tokens/policy/token-policy-terms';

/**
 * What the signed-in token may do, so the console offers only that. The rules are the server's
 * own, imported (not copied): the scope rules of src/auth/scopes.ts, and the token policy's
 * table (src/tokens/policy/token-policy.ts), read here as src/tokens/policy/policy-decision.ts `decide` reads
 * it. test/console/console-permissions.e2e-spec.ts holds the two readings equal, cell by cell.
 */

export type { TokenAction };

/** What of GET /api/v1/whoami decides what the console offers (no DOM here: the specs load it). */
interface Signedin {
  is_platform_token: boolean;
  token: { scopes: string[] | null; origin?: string | null };
}

/** The caller as the token policy sees it. */
export interface PolicyCaller {
  class: CallerClass;
  scopes: readonly string[] | null;
}

/** Who holds a token or is acted on: an identity, with its role in the business if it has one. */
export interface Holder {
  id: string;
  kind: 'user' | 'machine';
  role: Role | null;
}

/** The target class of a holder, as seen from the caller (`targetClass` on the server). */
export function targetOf(callerId: string, holder: Holder | null): TargetClass {
  if (!holder) return 'unknown';
  if (holder.id === callerId) return 'self';
  if (holder.kind === 'machine') return 'machine';
  return holder.role ?? 'member';
}

/** Whether the token policy allows `action` on `target`: `decide(…).allowed` on the server. */
export function policyAllows(
  caller: PolicyCaller,
  action: TokenAction,
  target: TargetClass,
): boolean {
  const rule = TOKEN_POLICY[action];
  const row = rule.cells[caller.class];
  if (!row) return false;
  if (
    rule.gate &&
    caller.class !== 'cli' &&
    caller.class !== 'retiring' &&
    caller.class !== 'federated'
  ) {
    const role = caller.class === 'platform' ? null : caller.class;
    if (role !== null && !roleAtLeast(role, rule.gate.role)) return false;
    if (!scopesAllow(caller.scopes, rule.gate.scope)) return false;
  }
  const cell = row[target];
  const verdict =
    typeof cell === 'string'
      ? cell
      : scopesAllow(caller.scopes, cell.scope)
        ? cell.with
        : cell.without;
  return verdict === 'allow';
}

/** Every class a holder the console cannot see may be, besides the caller themselves. */
const ANY_OTHER: readonly TargetClass[] = ['machine', 'owner', 'admin', 'member'];

/**
 * Whether the caller may take `action` on a token of `holder` (undefined: a holder the console
 * could not look up, for whom the action is offered only when every class of holder allows it,
 * so that nothing offered can fail).
 */
export function mayActOn(
  caller: PolicyCaller,
  callerId: string,
  action: TokenAction,
  holderId: string,
  holder: Holder | undefined,
): boolean {
  if (holderId === callerId) return policyAllows(caller, action, 'self');
  if (!holder) return ANY_OTHER.every((target) => policyAllows(caller, action, target));
  return policyAllows(caller, action, targetOf(callerId, holder));
}

export interface Caps {
  /** A platform admin's platform token: the platform screens. */
  platform: boolean;
  /** Owner or admin in the business (a platform token acts as one). */
  admin: boolean;
  tokensAdmin: boolean;
  /** Owner (or a platform token) with tokens:admin: may replace the business's token policy. */
  policyWrite: boolean;
  membersRead: boolean;
  membersWrite: boolean;
  auditRead: boolean;
  webhooksRead: boolean;
  webhooksWrite: boolean;
  /** The caller as the token policy sees it, in the business open now. */
  caller: PolicyCaller;
}

/** `role` is the caller's in the business open now; null for a platform token, or for none. */
export function capsOf(whoami: Signedin, role: Role | null): Caps {
  const scopes = whoami.token.scopes;
  const platform = whoami.is_platform_token;
  const admin = platform || role === 'owner' || role === 'admin';
  const can = (scope: string) => admin && scopesAllow(scopes, scope);
  return {
    platform,
    admin,
    tokensAdmin: can('tokens:admin'),
    policyWrite: (platform || role === 'owner') && scopesAllow(scopes, 'tokens:admin'),
    membersRead: can('members:read'),
    membersWrite: can('members:write'),
    auditRead: can('audit:read'),
    webhooksRead: can('webhooks:read'),
    webhooksWrite: can('webhooks:write'),
    caller: {
      // A token the exchange made is refused every token action but revoking itself.
      class:
        whoami.token.origin === 'federation'
          ? 'federated'
          : platform
            ? 'platform'
            : (role ?? 'member'),
      scopes,
    },
  };
}
