/** Free-form scope syntax: `segment(:segment)*`, where `*` as a later segment is a wildcard. */
export const SCOPE_PATTERN = /^[a-z0-9_.-]+(:[a-z0-9_.*-]+)*$/;

/** True when the granted scope covers the required one: equal, or `a:*` over any `a:…`. */
export function scopeCovers(granted: string, required: string): boolean {
  if (granted === required) return true;
  if (!granted.endsWith(':*')) return false;
  return required.startsWith(granted.slice(0, -1));
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
