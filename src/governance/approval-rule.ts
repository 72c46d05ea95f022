import { scopeCovers } from '../auth/scopes';
import type { ApprovalRuleSnapshot } from './store/business-policy.entity';

export type { ApprovalRuleSnapshot };

const DAY_MS = 86_400_000;

/**
 * What a business marks as needing an approver before a token is made (`approval_required`):
 * a token whose scopes reach any of `scopes`, one living longer than `lifetimeDaysOver` days (or
 * never expiring), and any token of a machine identity. Null (false) for a part it does not set.
 */
export interface ApprovalRule {
  readonly scopes: readonly string[] | null;
  readonly lifetimeDaysOver: number | null;
  readonly machineTokens: boolean;
}

/** The parts of the rule, by their names in the policy: what a 403 names. */
export type ApprovalPart = 'scopes' | 'lifetime_days_over' | 'machine_tokens';

/** The terms of a new token the rule looks at, once the business policy has shaped them. */
export interface ApprovalTerms {
  readonly scopes: readonly string[] | null;
  readonly expiresAt: Date | null;
  readonly machine: boolean;
}

/** A rule that marks nothing is no rule: null, so a business that clears every part has none. */
export function approvalRuleOf(
  s: { [K in keyof ApprovalRuleSnapshot]?: ApprovalRuleSnapshot[K] | null } | null,
): ApprovalRule | null {
  if (s === null) return null;
  const rule: ApprovalRule = {
    scopes: s.scopes && s.scopes.length > 0 ? [...s.scopes] : null,
    lifetimeDaysOver: s.lifetime_days_over ?? null,
    machineTokens: s.machine_tokens === true,
  };
  const marks = rule.scopes !== null || rule.lifetimeDaysOver !== null || rule.machineTokens;
  return marks ? rule : null;
}

export function approvalSnapshotOf(rule: ApprovalRule | null): ApprovalRuleSnapshot | null {
  return (
    rule && {
      scopes: rule.scopes && [...rule.scopes],
      lifetime_days_over: rule.lifetimeDaysOver,
      machine_tokens: rule.machineTokens,
    }
  );
}

/**
 * Whether a token scope and a rule's pattern overlap: either covers the other, so `deploy:*`
 * reaches `deploy:prod` and `deploy:prod` reaches `deploy:*`.
 */
const reaches = (scope: string, pattern: string) =>
  scopeCovers(scope, pattern) || scopeCovers(pattern, scope);

/**
 * The scopes among `scopes` that reach a pattern of the rule's `scopes` part: what an approver must
 * allow (a connected app's consent asks scope by scope). None for a rule without that part.
 */
export function scopesNeedingApproval(
  rule: ApprovalRule | null,
  scopes: readonly string[],
): string[] {
  const patterns = rule?.scopes;
  if (!patterns) return [];
  return scopes.filter((s) => patterns.some((p) => reaches(s, p)));
}

/**
 * The parts of `rule` that a token with `terms`, made at `now`, meets, each with why, in the
 * order the policy lists them; empty when it needs no approval. An unrestricted (null-scoped)
 * token reaches every scope, and a token that never expires outlives any bound.
 */
export function approvalNeeded(
  rule: ApprovalRule | null,
  terms: ApprovalTerms,
  now: Date,
): { part: ApprovalPart; why: string }[] {
  if (rule === null) return [];
  const needed: { part: ApprovalPart; why: string }[] = [];
  if (rule.scopes !== null) {
    const patterns = rule.scopes;
    const hit =
      terms.scopes === null ? ['(unrestricted)'] : scopesNeedingApproval(rule, terms.scopes);
    if (hit.length > 0) {
      needed.push({
        part: 'scopes',
        why: `its scopes (${hit.join(', ')}) reach ${patterns.join(', ')}`,
      });
    }
  }
  const days = rule.lifetimeDaysOver;
  if (days !== null) {
    const lives = terms.expiresAt && terms.expiresAt.getTime() - now.getTime();
    if (lives === null || lives > days * DAY_MS) {
      const how = lives === null ? 'it never expires' : 'it lives longer';
      needed.push({ part: 'lifetime_days_over', why: `${how} than ${days} days` });
    }
  }
  if (rule.machineTokens && terms.machine) {
    needed.push({ part: 'machine_tokens', why: 'it is for a machine identity' });
  }
  return needed;
}
