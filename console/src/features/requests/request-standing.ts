import type { TokenPolicy } from '../../api/types';
import type { TokenRequest } from './requests.api';

const DAY_MS = 86_400_000;

/** One line of how a request stands against the policy: `ok` within it, or why not. */
export interface Standing {
  rule: string;
  ok: boolean;
  says: string;
}

/** `granted` covers `required`: equal, or `a:*` over any `a:…` (the server's scope rule). */
export function scopeCovers(granted: string, required: string): boolean {
  if (granted === required) return true;
  return granted.endsWith(':*') && required.startsWith(granted.slice(0, -1));
}

/** A scope and a pattern overlap: either covers the other (`deploy:*` reaches `deploy:prod`). */
const reaches = (scope: string, pattern: string) =>
  scopeCovers(scope, pattern) || scopeCovers(pattern, scope);

/** The days the token asked for would live, from when it is made: null for no expiry. */
export function lifetimeDays(r: TokenRequest, now = Date.now()): number | null {
  if (r.expires_in_days !== null) return r.expires_in_days;
  if (r.expires_at !== null)
    return Math.max(0, Math.ceil((Date.parse(r.expires_at) - now) / DAY_MS));
  return null;
}

/** "5 days", "1 day", or "no expiry". */
export function lifetimeText(r: TokenRequest, now = Date.now()): string {
  const days = lifetimeDays(r, now);
  if (days === null) return 'no expiry';
  return `${days} ${days === 1 ? 'day' : 'days'}`;
}

const list = (items: readonly string[]) => items.join(', ');

/**
 * How a request stands against the business's token policy, rule by rule, as an approver weighs
 * it: its scopes against the allowed ones, its lifetime against the maximum and the required
 * expiry, and what in it the policy holds for an approver (`forMachine`: the token is for a
 * machine identity). Mirrors the server's checks, which
 * still decide on collection; a rule the policy does not set is left out.
 */
export function standingOf(
  r: TokenRequest,
  policy: TokenPolicy,
  forMachine: boolean,
  now = Date.now(),
): Standing[] {
  const out: Standing[] = [];
  const allowed = policy.allowed_scopes;
  if (allowed !== null) {
    if (r.scopes === null) {
      out.push({
        rule: 'Allowed scopes',
        ok: false,
        says: `Unrestricted, where the policy allows only ${list(allowed)}`,
      });
    } else {
      const outside = r.scopes.filter((s) => !allowed.some((a) => scopeCovers(a, s)));
      out.push({
        rule: 'Allowed scopes',
        ok: outside.length === 0,
        says:
          outside.length === 0
            ? `Within the allowed scopes (${list(allowed)})`
            : `${list(outside)} ${outside.length === 1 ? 'is' : 'are'} outside the allowed scopes (${list(allowed)})`,
      });
    }
  }
  const days = lifetimeDays(r, now);
  const max = policy.max_lifetime_days;
  if (max !== null) {
    out.push({
      rule: 'Maximum lifetime',
      ok: days !== null && days <= max,
      says:
        days === null
          ? `No expiry asked for: the token gets the ${max}-day maximum`
          : days <= max
            ? `${days} of at most ${max} days`
            : `${days} days, past the ${max}-day maximum`,
    });
  } else if (policy.require_expiry) {
    out.push({
      rule: 'Expiry',
      ok: days !== null,
      says:
        days === null ? 'No expiry, where the policy requires one' : 'Has an expiry, as required',
    });
  }
  const approval = policy.approval_required;
  if (approval) {
    const why: string[] = [];
    if (approval.scopes && approval.scopes.length > 0) {
      const hit =
        r.scopes === null
          ? ['(unrestricted)']
          : r.scopes.filter((s) => approval.scopes!.some((p) => reaches(s, p)));
      if (hit.length > 0) why.push(`its scopes (${list(hit)}) reach ${list(approval.scopes)}`);
    }
    const over = approval.lifetime_days_over;
    if (over !== null && (days === null || days > over)) {
      why.push(days === null ? `it never expires` : `it lives longer than ${over} days`);
    }
    if (approval.machine_tokens && forMachine) {
      why.push('it is for a machine identity');
    }
    out.push({
      rule: 'Needs an approver',
      ok: true,
      says: why.length > 0 ? `Because ${why.join('; ')}` : 'Nothing in it needs one now',
    });
  }
  return out;
}
