import { randomBytes } from 'node:crypto';
import type { RequestContext } from '../auth/request-context';
import { hashSecret } from '../tokens/token-secret';
import { PolicyCaller, policyCallerOf } from '../tokens/policy/policy-decision';
import type { TokenConstraints } from '../tokens/policy/token-constraints';
import { CALLERS, CallerClass } from '../tokens/policy/token-policy-terms';

/**
 * The inviting token as the token policy saw it, kept with the invitation: the invitee's first
 * token is made at acceptance, when the inviter is not there, and is capped by this as a first
 * token handed over is capped by its maker (scopes, expiry, networks).
 */
export interface InvitationMaker {
  caller: PolicyCaller;
  /** Whether the inviter is a platform admin, who alone may add a platform admin to a business. */
  platformAdmin: boolean;
}

interface StoredMaker {
  class: CallerClass;
  scopes: string[] | null;
  expires_at: string | null;
  constraints: TokenConstraints | null;
  platform_admin: boolean;
}

/** The maker of an invitation made by this request. */
export function makerOf(ctx: RequestContext): InvitationMaker {
  return { caller: policyCallerOf(ctx), platformAdmin: ctx.actor.isPlatformAdmin };
}

export function storeMaker(maker: InvitationMaker): string {
  const { caller } = maker;
  const stored: StoredMaker = {
    class: caller.class,
    scopes: caller.scopes === null ? null : [...caller.scopes],
    expires_at: caller.expiresAt?.toISOString() ?? null,
    constraints: caller.constraints ?? null,
    platform_admin: maker.platformAdmin,
  };
  return JSON.stringify(stored);
}

/** The stored maker; one that does not read back is the narrowest caller (no scopes, a member). */
export function loadMaker(text: string): InvitationMaker {
  const s = JSON.parse(text) as StoredMaker;
  const known = CALLERS.includes(s.class);
  return {
    caller: {
      class: known ? s.class : 'member',
      scopes: known ? s.scopes : [],
      expiresAt: s.expires_at === null ? null : new Date(s.expires_at),
      ...(s.constraints ? { constraints: s.constraints } : {}),
    },
    platformAdmin: s.platform_admin === true,
  };
}

const LINK_PREFIX = 'inv_';

/** A link's secret: 32 random bytes, base64url, behind a prefix that says what it is. */
export function mintLinkSecret(): { secret: string; hash: string } {
  const secret = LINK_PREFIX + randomBytes(32).toString('base64url');
  return { secret, hash: hashSecret(secret) };
}

/** The hash a presented link is looked up by; null for text no link could be. */
export function linkHashOf(presented: string): string | null {
  return /^inv_[A-Za-z0-9_-]{43}$/.test(presented) ? hashSecret(presented) : null;
}
