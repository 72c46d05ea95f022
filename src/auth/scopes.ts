/** Free-form scope syntax: `segment(:segment)*`, where `*` as a later segment is a wildcard. */
export const SCOPE_PATTERN = /^[a-z0-9_.-]+(:[a-z0-9_.*-]+)*$/;

/** Built-in scopes that a broader built-in one implies: writing members includes reading them. */
const IMPLIED_BY: Readonly<Record<string, readonly string[]>> = {
  'members:read': ['members:write'],
  'webhooks:read': ['webhooks:write'],
};

/** Built-in scopes whose actions need the owner or admin role: a member's token never holds them. */
export const ADMIN_SCOPES = [
  'tokens:admin',
  'members:read',
  'members:write',
  'audit:read',
  'webhooks:read',
  'webhooks:write',
];

function coversLiterally(granted: string, required: string): boolean {
  if (granted === required) return true;
  if (!granted.endsWith(':*')) return false;
  return required.startsWith(granted.slice(0, -1));
}

/** True when the granted scope covers the required one: equal, `a:*` over any `a:…`, or implied. */
export function scopeCovers(granted: string, required: string): boolean {
  if (coversLiterally(granted, required)) return true;
  return (IMPLIED_BY[required] ?? []).some((broader) => coversLiterally(granted, broader));
}

/** Null scopes are unrestricted within the role; a list allows only what it covers. */
export function scopesAllow(scopes: readonly string[] | null, required: string): boolean {
  return scopes === null || scopes.some((granted) => scopeCovers(granted, required));
}

/**
 * True when every scope of `requested` is within `held`. An unrestricted holder may grant
 * anything; a restricted one may not grant an unrestricted token.
 */
export function scopesWithin(
  requested: readonly string[] | null,
  held: readonly string[] | null,
): boolean {
  if (held === null) return true;
  if (requested === null) return false;
  return requested.every((scope) => scopesAllow(held, scope));
}

/** True when a scope list reaches an action that only owners and admins may take. */
export function reachesAdminScope(scopes: readonly string[] | null): boolean {
  return scopes !== null && ADMIN_SCOPES.some((s) => scopesAllow(scopes, s));
}

/**
 * The scopes of a first token (a new member's, a re-issued one): unrestricted when its maker is,
 * else the maker's own scopes, less those the new holder's role could never use. Power never
 * grows through a first token.
 */
export function firstTokenScopes(
  makerScopes: readonly string[] | null,
  holderIsAdmin: boolean,
): string[] | null {
  if (makerScopes === null) return null;
  return holderIsAdmin ? [...makerScopes] : makerScopes.filter((s) => !reachesAdminScope([s]));
}
