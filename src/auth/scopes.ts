import { ROLES, type Role, roleAtLeast } from './roles';

/** Free-form scope syntax: `segment(:segment)*`, where `*` as a later segment is a wildcard. */
export const SCOPE_PATTERN = /^[a-z0-9_.-]+(:[a-z0-9_.*-]+)*$/;

/**
 * The built-in scopes, each with the least role that may hold it: the actions it gates need that
 * role as well, so a token of a lower role could hold it in name only, and never does. Every
 * other scope is the business's own, and any role may hold it.
 */
export const BUILT_IN_SCOPES: Readonly<Record<string, Role>> = Object.freeze({
  'tokens:admin': 'admin',
  'members:read': 'admin',
  'members:write': 'admin',
  'audit:read': 'admin',
  'webhooks:read': 'admin',
  'webhooks:write': 'admin',
  'ssf:manage': 'admin',
  // Members read the registered resources: they are who will consent to those scopes.
  'resources:read': 'member',
  'resources:write': 'admin',
  introspect: 'member',
});

/** Built-in scopes that a broader built-in one implies: writing members includes reading them. */
const IMPLIED_BY: Readonly<Record<string, readonly string[]>> = {
  'members:read': ['members:write'],
  'webhooks:read': ['webhooks:write'],
  'resources:read': ['resources:write'],
};
const IMPLIES_NOTHING: readonly string[] = Object.freeze([]);

/** The built-ins each role may not hold, from `BUILT_IN_SCOPES`. */
const BEYOND_ROLE = Object.freeze(
  Object.fromEntries(
    ROLES.map((role) => [
      role,
      Object.freeze(
        Object.keys(BUILT_IN_SCOPES).filter((s) => !roleAtLeast(role, BUILT_IN_SCOPES[s])),
      ),
    ]),
  ) as Record<Role, readonly string[]>,
);

/** Built-in scopes whose actions need the owner or admin role: a member's token never holds them. */
export const ADMIN_SCOPES: readonly string[] = BEYOND_ROLE.member;

/** `granted` equal to `required`, or `a:*` with `required` below `a:`; compared in place. */
function coversLiterally(granted: string, required: string): boolean {
  if (granted === required) return true;
  if (!granted.endsWith(':*')) return false;
  const prefix = granted.length - 1; // up to and with the ':'
  if (required.length < prefix) return false;
  for (let i = 0; i < prefix; i++) {
    if (required.charCodeAt(i) !== granted.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * True when the granted scope covers the required one: equal, `a:*` over any `a:…`, or implied.
 * Loops rather than callbacks: the gateway's check asks it on every request.
 */
export function scopeCovers(granted: string, required: string): boolean {
  if (coversLiterally(granted, required)) return true;
  const broader = IMPLIED_BY[required] ?? IMPLIES_NOTHING;
  for (let i = 0; i < broader.length; i++) if (coversLiterally(granted, broader[i])) return true;
  return false;
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

/**
 * True when `role` may hold `scope`: it covers no built-in beyond the role (`audit:*` covers
 * `audit:read`, so a member may not hold it). Allocates nothing: the gateway asks it per check.
 */
export function roleAllowsScope(role: Role, scope: string): boolean {
  const beyond = BEYOND_ROLE[role];
  for (let i = 0; i < beyond.length; i++) if (scopeCovers(scope, beyond[i])) return false;
  return true;
}

/**
 * Whether a principal holds `scope`: its role allows it, and its token's scopes do (null: every
 * scope the role allows). `role` is null for a platform token, which acts with every role. The
 * one answer for the API's guards and the gateway's check (`RequestContext.allowsScope`).
 */
export function principalHolds(
  role: Role | null,
  scopes: readonly string[] | null,
  scope: string,
): boolean {
  return scopesAllow(scopes, scope) && (role === null || roleAllowsScope(role, scope));
}

/** A scope list within `role`: what the role could never hold is dropped; null stays null. */
export function scopesWithinRole(scopes: readonly string[] | null, role: Role): string[] | null {
  return scopes === null ? null : scopes.filter((s) => roleAllowsScope(role, s));
}

/**
 * A token's scopes bounded by its holder's custom role: what both allow. A scope one list names is
 * kept when the other allows it (`deploy:*` under a role of `deploy:prod` keeps `deploy:prod`), so
 * nothing is kept that either refuses; an unrestricted token takes the role's list. Null `bound`
 * (no custom role) leaves the scopes as they are.
 */
export function scopesUnder(
  scopes: readonly string[] | null,
  bound: readonly string[] | null,
): string[] | null {
  if (bound === null) return scopes === null ? null : [...scopes];
  if (scopes === null) return [...bound];
  const kept = new Set<string>();
  for (const s of scopes) if (scopesAllow(bound, s)) kept.add(s);
  for (const b of bound) if (scopesAllow(scopes, b)) kept.add(b);
  return [...kept];
}

/** True when a scope list reaches an action that only owners and admins may take. */
export function reachesAdminScope(scopes: readonly string[] | null): boolean {
  return scopes !== null && scopes.some((s) => !roleAllowsScope('member', s));
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
  return scopesWithinRole(makerScopes, holderIsAdmin ? 'admin' : 'member');
}
