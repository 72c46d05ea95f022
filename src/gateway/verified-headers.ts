import type { CallerToken, RequestContext } from '../auth/request-context';
import { scopesWithinRole } from '../auth/scopes';
import { isVerifiedToken } from '../tokens/verify/token-record';

/** The headers of a `GET /auth/verify` 204, which a gateway copies onto the upstream request. */
export const VERIFIED_HEADERS = {
  tokenId: 'x-latchkey-token-id',
  businessId: 'x-latchkey-business-id',
  identityId: 'x-latchkey-identity-id',
  identityType: 'x-latchkey-identity-type',
  scopes: 'x-latchkey-scopes',
  expiresAt: 'x-latchkey-expires-at',
  usesRemaining: 'x-latchkey-uses-remaining',
  statusList: 'x-latchkey-status-list',
  checkOnline: 'x-latchkey-check-online',
  meta: 'x-latchkey-meta',
} as const;

/**
 * The words of `X-Latchkey-Check-Online`: what a token's status list cannot carry, so a relying
 * party that checks it offline would never enforce. `networks`: its `allowed_cidrs`, checked
 * against the address of each request; `rate_limit`: its own limit or its maker's shared window;
 * `uses`: its uses limit, counted here.
 */
export const CHECK_ONLINE = {
  networks: 'networks',
  rateLimit: 'rate_limit',
  uses: 'uses',
} as const;

/**
 * `X-Latchkey-Scopes` of a token unrestricted within its role (scopes null). `*` is no scope
 * (`SCOPE_PATTERN` refuses it), so it cannot be mistaken for one; a token with no scope at all
 * (`[]`) sends an empty value: an empty or missing header means no scope, never "any".
 */
export const UNRESTRICTED_SCOPES = '*';

/**
 * Printable ASCII, spaces only inside, or nothing: a value that can never split a header or a
 * line, whatever a gateway does with it. Ids are uuids, the type an enum, the time ISO 8601 and
 * scopes `SCOPE_PATTERN`'s charset, so this never fails on a row the API wrote; if a row ever
 * held something else, the verify fails (500) rather than hand a gateway a header it could split.
 */
const HEADER_VALUE = /^(?:[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)?$/;

export function isSafeHeaderValue(value: string): boolean {
  return HEADER_VALUE.test(value);
}

/** Built once per verified principal the cache keeps: a warm verify allocates no headers. */
const built = new WeakMap<object, { actor: object; headers: Readonly<Record<string, string>> }>();

/**
 * What a 204 tells the gateway about the token: who holds it, for which business, until when,
 * how many uses it has left (empty: no limit), and what must be checked online each time.
 */
export function verifiedHeaders(ctx: RequestContext): Readonly<Record<string, string>> {
  const known = built.get(ctx.token);
  if (known !== undefined && known.actor === ctx.actor) return known.headers;
  const { token, actor } = ctx;
  // All ten, every time, empty where there is nothing to say (a platform token's business, a
  // token that never expires): a gateway that copies a header the answer lacks may pass on
  // something else in its place (Caddy 2.6's copy_headers passes its own unresolved placeholder).
  const headers: Record<string, string> = {
    [VERIFIED_HEADERS.tokenId]: token.id,
    [VERIFIED_HEADERS.businessId]: token.businessId ?? '',
    [VERIFIED_HEADERS.identityId]: actor.id,
    [VERIFIED_HEADERS.identityType]: actor.kind,
    [VERIFIED_HEADERS.scopes]: scopesHeaderOf(ctx),
    [VERIFIED_HEADERS.expiresAt]: token.expiresAt?.toISOString() ?? '',
    // A limited token's count after this very check: new with each verify, never the cache's.
    [VERIFIED_HEADERS.usesRemaining]: token.uses ? String(token.uses.remaining) : '',
    [VERIFIED_HEADERS.statusList]: token.statusList ? statusListHeaderOf(token.statusList) : '',
    [VERIFIED_HEADERS.checkOnline]: checkOnlineOf(token),
    [VERIFIED_HEADERS.meta]: metaHeaderOf(token),
  };
  for (const [name, value] of Object.entries(headers)) {
    if (!isSafeHeaderValue(value)) throw new Error(`refused to answer an unsafe ${name} value`);
  }
  const frozen = Object.freeze(headers);
  built.set(ctx.token, { actor: ctx.actor, headers: frozen });
  return frozen;
}

/**
 * The verified headers of a check, with `rate_limit` among what to check online when the check
 * counted against a business's shared limit (which the token's own headers cannot know): a relying
 * party that checked offline would count none of its calls.
 */
export function checkAnswerHeaders(
  ctx: RequestContext,
  sharedLimit: boolean,
): Readonly<Record<string, string>> {
  const headers = verifiedHeaders(ctx);
  if (!sharedLimit) return headers;
  let counted = countedHeaders.get(headers);
  if (counted === undefined) {
    const online = headers[VERIFIED_HEADERS.checkOnline];
    const has = online.split(' ').includes(CHECK_ONLINE.rateLimit);
    const words =
      has || !online ? online || CHECK_ONLINE.rateLimit : `${online} ${CHECK_ONLINE.rateLimit}`;
    counted = Object.freeze({ ...headers, [VERIFIED_HEADERS.checkOnline]: words });
    countedHeaders.set(headers, counted);
  }
  return counted;
}

/** The headers of a counted check, built once per verified principal's headers. */
const countedHeaders = new WeakMap<object, Readonly<Record<string, string>>>();

/**
 * The token's `meta` as base64url of its compact JSON (at most 4 KiB, so 5,462 characters), or
 * empty: a relying party's middleware hands it to the app with the holder, and base64url can never
 * split a header whatever the JSON holds.
 */
function metaHeaderOf(token: CallerToken): string {
  const meta = isVerifiedToken(token) ? token.row.meta : null;
  return meta ? Buffer.from(JSON.stringify(meta), 'utf8').toString('base64url') : '';
}

/**
 * The token's status-list entry as an RFC 8941 dictionary, `idx=17, uri="https://…"`: where a
 * relying party checks it offline from now on (draft-ietf-oauth-status-list, section 6.1).
 */
function statusListHeaderOf({ idx, uri }: { idx: number; uri: string }): string {
  return `idx=${idx}, uri="${uri}"`;
}

/**
 * What an offline check of this token would miss, space-separated (empty: nothing, the list
 * says all there is). Every field read is part of the cached principal, and `uses` asks only
 * whether there is a limit, never its count, so the memoized headers stay true. Any sign of a
 * limit is named: naming too much costs a relying party a call, naming too little a hole.
 */
function checkOnlineOf(token: CallerToken): string {
  const words: string[] = [];
  if (token.allowedCidrs != null) words.push(CHECK_ONLINE.networks);
  if (token.rateLimitPerMinute != null || token.sharedLimitId != null) {
    words.push(CHECK_ONLINE.rateLimit);
  }
  if (token.uses != null) words.push(CHECK_ONLINE.uses);
  return words.join(' ');
}

/**
 * The scopes the holder holds: `*` for none named, else the token's list less what its role may
 * not hold (a token made before a demotion keeps `audit:read` in its row, and holds it no more),
 * so an upstream that reads the header is told what `X-Latchkey-Require-Scope` would pass.
 */
function scopesHeaderOf({ token, role, isPlatformToken }: RequestContext): string {
  if (token.scopes === null) return UNRESTRICTED_SCOPES;
  const held = isPlatformToken ? token.scopes : scopesWithinRole(token.scopes, role ?? 'member');
  return held!.join(' ');
}
