import { cidrsWithin } from '../common/validation/cidr';
import { scopesAllow, scopesWithin } from '../auth/scopes';
import type { ApprovalRule } from './approval-rule';
import type { RequireDpop } from './store/business-policy.entity';

// The values the policy's column holds are declared with it; its readers know them from here.
export { REQUIRE_DPOP, type RequireDpop } from './store/business-policy.entity';

const DAY_MS = 86_400_000;

/** A business's rules for its tokens; null (false) for a rule it does not set. */
export interface BusinessPolicyRules {
  readonly maxLifetimeDays: number | null;
  readonly requireExpiry: boolean;
  readonly allowedScopes: readonly string[] | null;
  readonly requiredCidrs: readonly string[] | null;
  readonly inactivityRevokeDays: number | null;
  readonly requireDpop: RequireDpop | null;
  /** What a token made by `POST /tokens` needs an approver for (`approval-rule.ts`). */
  readonly approvalRequired: ApprovalRule | null;
}

/** What a business without a policy has: no rule at all. */
export const NO_POLICY: BusinessPolicyRules = {
  maxLifetimeDays: null,
  requireExpiry: false,
  allowedScopes: null,
  requiredCidrs: null,
  inactivityRevokeDays: null,
  requireDpop: null,
  approvalRequired: null,
};

/** The rules, by their fields' names in the policy. */
export const POLICY_RULES = [
  'max_lifetime_days',
  'require_expiry',
  'allowed_scopes',
  'required_cidrs',
  'inactivity_revoke_days',
  'require_dpop',
] as const;
export type PolicyRule = (typeof POLICY_RULES)[number];

/** The token's fields that a rule is about. */
export const GOVERNED_FIELDS = [
  'expires_at',
  'scopes',
  'allowed_cidrs',
  'last_used_at',
  'dpop_jkt',
] as const;
export type GovernedField = (typeof GOVERNED_FIELDS)[number];

/** One rule a token breaks, and why, in words a caller can act on. */
export interface PolicyBreach {
  readonly rule: PolicyRule;
  readonly field: GovernedField;
  readonly msg: string;
}

/** The governed terms of a token: what issuance sets, and what the policy bounds. */
export interface TokenTerms {
  readonly scopes: readonly string[] | null;
  readonly allowedCidrs: readonly string[] | null;
  readonly expiresAt: Date | null;
  /** The thumbprint of the key it is bound to (RFC 9449); null: a bearer token. */
  readonly dpopJkt: string | null;
  /** Its holder is a machine identity (what `require_dpop: machines` binds). */
  readonly machine: boolean;
}

/** The terms a new token asks for; `expiryAsked` is false for a default (a first token's 7 days). */
export interface IssueTerms extends TokenTerms {
  readonly expiryAsked: boolean;
}

/** The latest expiry the policy allows a token made at `at`, or null for no bound. */
export function latestExpiry(policy: BusinessPolicyRules, at: Date): Date | null {
  const days = policy.maxLifetimeDays;
  return days === null ? null : new Date(at.getTime() + days * DAY_MS);
}

/**
 * The terms a new token made at `now` gets under `policy`, or the rules it breaks. What was not
 * asked for takes the policy's bound rather than being refused: no expiry (or a default one past
 * the maximum) gets the maximum, unrestricted scopes get `allowed_scopes`, and anywhere gets
 * `required_cidrs`. The one exception is `require_expiry`, which refuses a token with no expiry.
 * What was asked for beyond a bound is refused, so nobody gets less than they asked unawares.
 */
export function governIssue(
  policy: BusinessPolicyRules,
  asked: IssueTerms,
  now: Date,
): { terms: TokenTerms; breaches: PolicyBreach[] } {
  const latest = latestExpiry(policy, now);
  let expiresAt = asked.expiresAt;
  if (expiresAt === null && !policy.requireExpiry) expiresAt = latest;
  if (expiresAt !== null && latest !== null && expiresAt > latest && !asked.expiryAsked) {
    expiresAt = latest;
  }
  const terms: TokenTerms = {
    expiresAt,
    scopes: asked.scopes ?? policy.allowedScopes,
    allowedCidrs: asked.allowedCidrs ?? policy.requiredCidrs,
    dpopJkt: asked.dpopJkt,
    machine: asked.machine,
  };
  return { terms, breaches: termBreaches(policy, terms, latest) };
}

/** The rules an existing token breaks at `now`: what `GET /token-policy/violations` lists. */
export function tokenBreaches(
  policy: BusinessPolicyRules,
  token: TokenTerms & { createdAt: Date; lastUsedAt: Date | null },
  now: Date,
): PolicyBreach[] {
  const breaches = termBreaches(policy, token, latestExpiry(policy, token.createdAt));
  const idleDays = policy.inactivityRevokeDays;
  const idleSince = token.lastUsedAt ?? token.createdAt;
  if (idleDays !== null && idleSince.getTime() < now.getTime() - idleDays * DAY_MS) {
    breaches.push({
      rule: 'inactivity_revoke_days',
      field: 'last_used_at',
      msg: `Unused since ${idleSince.toISOString()}, longer than the ${idleDays} days the business allows: it will be revoked as inactive`,
    });
  }
  return breaches;
}

/** The breaches of terms against the policy, with `latest` the latest expiry it allows them. */
function termBreaches(
  policy: BusinessPolicyRules,
  terms: TokenTerms,
  latest: Date | null,
): PolicyBreach[] {
  const breaches: PolicyBreach[] = [];
  if (terms.expiresAt === null && policy.requireExpiry) {
    breaches.push({
      rule: 'require_expiry',
      field: 'expires_at',
      msg: 'The business requires every token to expire: give expires_at or expires_in_days',
    });
  } else if (latest !== null && (terms.expiresAt === null || terms.expiresAt > latest)) {
    breaches.push({
      rule: 'max_lifetime_days',
      field: 'expires_at',
      msg: `A token of this business lives at most ${policy.maxLifetimeDays} days: expire it by ${latest.toISOString()}`,
    });
  }
  const allowed = policy.allowedScopes;
  if (allowed !== null && !scopesWithin(terms.scopes, allowed)) {
    const outside = terms.scopes?.filter((s) => !scopesAllow(allowed, s)) ?? ['(unrestricted)'];
    breaches.push({
      rule: 'allowed_scopes',
      field: 'scopes',
      msg: `The business allows only scopes within ${allowed.join(', ')}; outside them: ${outside.join(', ')}`,
    });
  }
  const required = policy.requiredCidrs;
  if (required !== null && !cidrsWithin(terms.allowedCidrs, required)) {
    breaches.push({
      rule: 'required_cidrs',
      field: 'allowed_cidrs',
      msg: `The business's tokens are used only from within ${required.join(', ')}`,
    });
  }
  if (terms.dpopJkt === null && mustBeBound(policy, terms.machine)) {
    breaches.push({
      rule: 'require_dpop',
      field: 'dpop_jkt',
      msg:
        policy.requireDpop === 'all'
          ? "The business's tokens are bound to a key: give dpop_jkt, or a DPoP proof of the key"
          : "The business's machine tokens are bound to a key: give dpop_jkt, or a DPoP proof of the key",
    });
  }
  return breaches;
}

/** Whether `require_dpop` binds a token of this holder: the rule's one place. */
export function mustBeBound(
  policy: Pick<BusinessPolicyRules, 'requireDpop'>,
  machine: boolean,
): boolean {
  return policy.requireDpop === 'all' || (policy.requireDpop === 'machines' && machine);
}
