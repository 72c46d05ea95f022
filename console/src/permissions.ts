import type { Role, Whoami } from './api/types';

/**
 * What the signed-in token may do, so the console shows only that. Mirrors the server's
 * src/auth/scopes.ts: null scopes are unrestricted within the role, `a:*` covers every `a:…`,
 * and members:write covers members:read (webhooks:write covers webhooks:read).
 */
const IMPLIED_BY: Readonly<Record<string, readonly string[]>> = {
  'members:read': ['members:write'],
  'webhooks:read': ['webhooks:write'],
};

function coversLiterally(granted: string, required: string): boolean {
  if (granted === required) return true;
  return granted.endsWith(':*') && required.startsWith(granted.slice(0, -1));
}

export function scopeCovers(granted: string, required: string): boolean {
  if (coversLiterally(granted, required)) return true;
  return (IMPLIED_BY[required] ?? []).some((broader) => coversLiterally(granted, broader));
}

export function scopesAllow(scopes: readonly string[] | null, required: string): boolean {
  return scopes === null || scopes.some((granted) => scopeCovers(granted, required));
}

export interface Caps {
  /** A platform admin's platform token: the platform screens. */
  platform: boolean;
  /** Owner or admin in the business (a platform token acts as one). */
  admin: boolean;
  tokensAdmin: boolean;
  membersRead: boolean;
  membersWrite: boolean;
  auditRead: boolean;
  webhooksRead: boolean;
  webhooksWrite: boolean;
}

/** `role` is the caller's in the business open now; null for a platform token, or for none. */
export function capsOf(whoami: Whoami, role: Role | null): Caps {
  const scopes = whoami.token.scopes;
  const platform = whoami.is_platform_token;
  const admin = platform || role === 'owner' || role === 'admin';
  const can = (scope: string) => admin && scopesAllow(scopes, scope);
  return {
    platform,
    admin,
    tokensAdmin: can('tokens:admin'),
    membersRead: can('members:read'),
    membersWrite: can('members:write'),
    auditRead: can('audit:read'),
    webhooksRead: can('webhooks:read'),
    webhooksWrite: can('webhooks:write'),
  };
}
