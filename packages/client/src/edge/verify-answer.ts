import { discard, readText } from './http';
import type { EdgeTokenClaims } from './results';

/** What a 204 of `GET /auth/verify` says of its token (the `x-latchkey-*` headers). */
export interface VerifiedClaims extends EdgeTokenClaims {
  /** The token has a uses limit, whose count lives in Latchkey: each check spends one. */
  usesLimited: boolean;
  /**
   * Latchkey must be asked on every check: the token has a constraint its status list cannot
   * carry (`X-Latchkey-Check-Online`: networks, a rate limit, uses).
   */
  checkOnline: boolean;
  /** Its place in a status list; null when the answer names none. */
  statusList: { idx: number; uri: string } | null;
}

/** An error body's `code` is all we read of it; the rest is for people. */
const MAX_ERROR_BYTES = 16 * 1024;

/** The claims of a 204, or null when the headers are not a Latchkey answer we can read. */
export function claimsOf(headers: Headers): VerifiedClaims | null {
  const tokenId = headers.get('x-latchkey-token-id');
  const identityId = headers.get('x-latchkey-identity-id');
  const identityType = headers.get('x-latchkey-identity-type');
  const scopes = headers.get('x-latchkey-scopes');
  const expires = headers.get('x-latchkey-expires-at') ?? '';
  if (!tokenId || !identityId || scopes === null) return null;
  if (identityType !== 'user' && identityType !== 'machine') return null;
  const expiresAt = expires === '' ? null : new Date(expires);
  if (expiresAt !== null && Number.isNaN(expiresAt.getTime())) return null;
  const entry = headers.get('x-latchkey-status-list') ?? '';
  const usesLimited = (headers.get('x-latchkey-uses-remaining') ?? '') !== '';
  const checkOnline = headers.get('x-latchkey-check-online');
  const meta = metaOf(headers.get('x-latchkey-meta') ?? '');
  if (meta === undefined) return null;
  return {
    tokenId,
    businessId: headers.get('x-latchkey-business-id') || null,
    identityId,
    identityType,
    scopes: scopes === '*' ? null : Object.freeze(scopes.split(' ').filter((s) => s !== '')),
    expiresAt,
    meta,
    usesLimited,
    // Any word, even one this client does not know, means online; an older Latchkey sends no
    // such header, and only a uses limit was known to need it.
    checkOnline: checkOnline === null ? usesLimited : checkOnline !== '',
    statusList: entry === '' ? null : statusListEntryOf(entry),
  };
}

/** Strict: bytes that are no UTF-8 make the answer unreadable, never text with U+FFFD in it. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Latchkey sends at most 4 KiB of JSON, which is 5,462 characters as base64url. */
const MAX_META_CHARS = 5462;

/**
 * `X-Latchkey-Meta`: the token's meta as base64url of its compact JSON, empty for none. Null for
 * none, undefined when the value is no JSON object (the answer is then not one we can read).
 */
function metaOf(value: string): Readonly<Record<string, unknown>> | null | undefined {
  if (value === '') return null;
  if (value.length > MAX_META_CHARS || !/^[A-Za-z0-9_-]+$/.test(value)) return undefined;
  try {
    const meta: unknown = JSON.parse(UTF8.decode(Buffer.from(value, 'base64url')));
    if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) return undefined;
    return deepFreeze(meta as Record<string, unknown>);
  } catch {
    return undefined;
  }
}

/** Frozen to the leaves: one object is handed to every request the token makes. */
function deepFreeze<T extends object>(value: T): T {
  for (const inner of Object.values(value)) {
    if (typeof inner === 'object' && inner !== null) deepFreeze(inner as object);
  }
  return Object.freeze(value);
}

/**
 * One member of an RFC 8941 dictionary: a key, then `=` and an integer, a string or a token (or
 * nothing, for true), then any parameters, which we skip.
 */
const MEMBER =
  /[ \t]*([a-z*][a-z0-9_.*-]*)(?:=(?:(-?[0-9]{1,15})|"((?:[^"\\]|\\["\\])*)"|[A-Za-z*][^,;]*))?(?:;[^,]*)?[ \t]*(?:,|$)/y;

/** `idx=17, uri="https://…"` (RFC 8941 dictionary) as an entry, or null when it is not one. */
export function statusListEntryOf(value: string): { idx: number; uri: string } | null {
  let idx: number | undefined;
  let uri: string | undefined;
  MEMBER.lastIndex = 0;
  while (MEMBER.lastIndex < value.length) {
    const at = MEMBER.lastIndex;
    const match = MEMBER.exec(value);
    if (match === null || MEMBER.lastIndex === at) return null;
    const [, key, integer, string] = match;
    // RFC 8941 section 4.2.2: a key given twice takes its last value.
    if (key === 'idx') idx = integer === undefined ? undefined : Number(integer);
    if (key === 'uri') uri = string?.replace(/\\(["\\])/g, '$1');
  }
  if (idx === undefined || !Number.isSafeInteger(idx) || idx < 0 || !uri) return null;
  return { idx, uri };
}

/** The `code` of an error answer (`TOKEN_REVOKED`, `INSUFFICIENT_SCOPE` …), or null. */
export async function errorCodeOf(response: Response): Promise<string | null> {
  try {
    const body = JSON.parse(await readText(response, MAX_ERROR_BYTES)) as { code?: unknown };
    return typeof body?.code === 'string' ? body.code : null;
  } catch {
    await discard(response);
    return null;
  }
}

/** `Retry-After` in seconds, when it is given as such (Latchkey always does). */
export function retryAfterOf(response: Response): number | undefined {
  const value = response.headers.get('retry-after');
  return value !== null && /^[0-9]{1,9}$/.test(value) ? Number(value) : undefined;
}
