import type { ApiToken } from '../store/entities/api-token.entity';

const DAY_MS = 24 * 60 * 60 * 1000;

/** A token unused this long (or never used, and this old) is stale. */
export const UNUSED_DAYS = 90;

export const RISK_REASONS = [
  'no_expiry',
  'no_network_binding',
  'unrestricted_scopes',
  'unused_90_days',
] as const;
export type RiskReason = (typeof RISK_REASONS)[number];

/** The instant before which a last use (or, for a never used token, its creation) is stale. */
export function staleBefore(now: Date): Date {
  return new Date(now.getTime() - UNUSED_DAYS * DAY_MS);
}

type RiskFields = Pick<
  ApiToken,
  'expiresAt' | 'allowedCidrs' | 'scopes' | 'lastUsedAt' | 'createdAt'
>;

/**
 * Every reason that applies to a token, in `RISK_REASONS` order. A token is listed as risky when
 * it is open in every way at once (no expiry, no network, every scope of its role), or unused
 * for 90 days: one open side alone is a choice, all three together a standing credential.
 * `RISKY_TOKEN_SQL` selects by that rule in SQL (the risky list, the counts); the e2e table checks
 * that the two agree.
 */
export function riskReasonsOf(token: RiskFields, now: Date): RiskReason[] {
  const cutoff = staleBefore(now).getTime();
  const reasons: RiskReason[] = [];
  if (token.expiresAt === null) reasons.push('no_expiry');
  if (token.allowedCidrs === null) reasons.push('no_network_binding');
  if (token.scopes === null) reasons.push('unrestricted_scopes');
  if ((token.lastUsedAt ?? token.createdAt).getTime() < cutoff) reasons.push('unused_90_days');
  return reasons;
}
