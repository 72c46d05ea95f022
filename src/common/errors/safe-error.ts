import { redactTokens } from '../secrets/secret-shape';

/**
 * What of an unexpected error may be logged. A QueryFailedError carries the statement's
 * parameters and the driver's detail, which can hold token hashes, so only the name, code,
 * message and stack are kept.
 */
export function loggableError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err };
  const code = (err as { code?: unknown }).code;
  return {
    type: err.name,
    message: redactSecrets(err.message),
    ...(typeof code === 'string' ? { code } : {}),
    stack: err.stack ? redactSecrets(err.stack) : undefined,
  };
}

/** A 64-hex SHA-256 digest: a token's hash. */
const HASH_PATTERN = /\b[0-9a-f]{64}\b/g;

/**
 * Masks anything shaped like a token secret, wherever it stands, even run into other characters
 * (a secret with junk pasted after it is still the secret), and in the encodings it takes by
 * accident (percent-encoded, `\u`-escaped, base64: `redactTokens`); and any token hash.
 */
export function redactSecrets(text: string): string {
  return redactTokens(text, { shapes: true }).replace(HASH_PATTERN, '[REDACTED]');
}

/** Query parameters whose value is a credential, whatever it looks like. */
const SECRET_PARAMS = new Set([
  'access_token',
  'token',
  'refresh_token',
  'id_token',
  'client_secret',
  'secret',
  'password',
  'api_key',
  'apikey',
  // An OAuth authorization code (the identity provider's return to /auth/sso/callback).
  'code',
  'code_verifier',
]);

/**
 * A URL (a path with its query, or a full URL) fit for a log line or a span: the values of
 * credential parameters (`access_token`, `token`, …) masked, and then anything shaped like a
 * token or a token hash, anywhere in it. The one redaction of URLs, for logs and spans alike.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return redactSecrets(url);
  const hashAt = url.indexOf('#', q);
  const query = url.slice(q + 1, hashAt < 0 ? undefined : hashAt);
  const masked = query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      return eq >= 0 && SECRET_PARAMS.has(decodedName(name)) ? `${name}=[REDACTED]` : pair;
    })
    .join('&');
  return redactSecrets(`${url.slice(0, q + 1)}${masked}${hashAt < 0 ? '' : url.slice(hashAt)}`);
}

function decodedName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' ')).toLowerCase();
  } catch {
    return name.toLowerCase();
  }
}
