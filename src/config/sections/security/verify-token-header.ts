/**
 * Headers that already mean something to HTTP, to a proxy or to Latchkey: a token read from one of
 * them would be confused with what it carries, or set by the gateway itself.
 */
const RESERVED = new Set([
  'host',
  'connection',
  'content-length',
  'content-type',
  'transfer-encoding',
  'cookie',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-real-ip',
  'x-request-id',
  'x-business-id',
]);

/** An RFC 9110 field name (`tchar`s), at most 64 characters. */
const FIELD_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/;

/**
 * Whether VERIFY_TOKEN_HEADER may name this header: a field name that is neither reserved nor one
 * of Latchkey's own `X-Latchkey-*` (the gateway's requirements and the verify answer).
 */
export function isTokenHeaderName(name: string): boolean {
  if (!FIELD_NAME.test(name)) return false;
  const lower = name.toLowerCase();
  return !RESERVED.has(lower) && !lower.startsWith('x-latchkey-');
}
