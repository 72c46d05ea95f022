import { createHash, randomBytes } from 'node:crypto';

/** A refresh token: a prefix and 32 random bytes, base64url (256 bits, never guessed). */
const REFRESH_FORMAT = /^lkr_[A-Za-z0-9_-]{43}$/;

/** Whether `token` has a refresh token's shape (no lookup). */
export const isRefreshToken = (token: string): boolean => REFRESH_FORMAT.test(token);

/** A new refresh token, shown once to its client and stored only as `refreshHashOf` it. */
export const mintRefreshToken = (): string => `lkr_${randomBytes(32).toString('base64url')}`;

/** The SHA-256 of a presented refresh token, hex; null for text that is none, never looked up. */
export function refreshHashOf(token: unknown): string | null {
  if (typeof token !== 'string' || !REFRESH_FORMAT.test(token)) return null;
  return createHash('sha256').update(token).digest('hex');
}
