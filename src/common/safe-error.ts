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

// A token secret (prefix_36 base62), wherever it stands, even run into other characters (a
// secret with junk pasted after it is still the secret), or a 64-hex SHA-256 digest.
const SECRET_PATTERN = /[a-z][a-z0-9]{0,15}_[0-9A-Za-z]{36}|\b[0-9a-f]{64}\b/g;

/** Masks anything shaped like a token secret or a token hash. */
export function redactSecrets(text: string): string {
  return text.replace(SECRET_PATTERN, '[REDACTED]');
}
