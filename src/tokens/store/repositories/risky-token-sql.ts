/**
 * `riskReasonsOf` as a WHERE fragment over `api_tokens`, for its active rows: open in every way
 * at once (no expiry, no networks, no scopes), or last used (never used: made) before
 * `:staleBefore`. The risky list and the home page's count read this one text, so they agree.
 */
export const RISKY_TOKEN_SQL =
  '((expires_at IS NULL AND allowed_cidrs IS NULL AND scopes IS NULL) OR ' +
  'last_used_at < :staleBefore OR (last_used_at IS NULL AND created_at < :staleBefore))';
