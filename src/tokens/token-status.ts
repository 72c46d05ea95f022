export type TokenStatus = 'active' | 'expired' | 'revoked';

/** Status is derived, never stored, so it cannot disagree with the timestamps. */
export function tokenStatus(
  token: { revokedAt: Date | null; expiresAt: Date | null },
  now = new Date(),
): TokenStatus {
  if (token.revokedAt) return 'revoked';
  if (token.expiresAt && token.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'active';
}
