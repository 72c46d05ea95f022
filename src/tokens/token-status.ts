/** Whether a token can ever speak again: what rotation and the verifier's rules ask. */
export type TokenLife = 'active' | 'expired' | 'revoked';

/**
 * What a token view, a list's `status` filter and the console say: its life, with `disabled` for
 * a live token that is paused (refused with 401 TOKEN_DISABLED until enabled). An ended token
 * says only that it ended, paused or not.
 */
export type TokenStatus = TokenLife | 'disabled';

export const TOKEN_STATUSES: readonly TokenStatus[] = ['active', 'disabled', 'expired', 'revoked'];

/** Life is derived, never stored, so it cannot disagree with the timestamps. */
export function tokenLife(
  token: { revokedAt: Date | null; expiresAt: Date | null },
  now = new Date(),
): TokenLife {
  if (token.revokedAt) return 'revoked';
  if (token.expiresAt && token.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'active';
}

/** The status a view shows, derived from the same timestamps and `disabled_at`. */
export function tokenStatus(
  token: { revokedAt: Date | null; expiresAt: Date | null; disabledAt?: Date | null },
  now = new Date(),
): TokenStatus {
  const life = tokenLife(token, now);
  return life === 'active' && token.disabledAt ? 'disabled' : life;
}
