import { timingSafeEqual } from 'node:crypto';
import { hashSecret } from '../tokens/token-secret';
import type { SsoLogin } from './store/sso-login.entity';

/** The shape of a hand-off: 32 random bytes, base64url. Anything else is looked up nowhere. */
export const HANDOFF = /^[A-Za-z0-9_-]{43}$/;

/** Whether the cookie the request carries is the one the sign-in's start set. */
export function sameBrowser(login: SsoLogin, browserSecret: string | undefined): boolean {
  if (!browserSecret || browserSecret.length > 100) return false;
  const presented = Buffer.from(hashSecret(browserSecret));
  const kept = Buffer.from(login.browserHash);
  return presented.length === kept.length && timingSafeEqual(presented, kept);
}
