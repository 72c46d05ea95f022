import { DomainError } from '../common/errors/domain-error';
import type { ErrorTable } from '../common/errors/error-codes';

/** The algorithms a DPoP proof may be signed with, as a challenge names them (RFC 9449 §7.1). */
export const DPOP_CHALLENGE_ALGS = 'ES256 ES384 ES512 EdDSA PS256 PS384 PS512 RS256 RS384 RS512';

/** Authentication (401) and authorization (403, or 404 for a business a platform token names). */
export const AUTH_ERRORS = {
  INVALID_TOKEN: { status: 401, message: 'Invalid token' },
  TOKEN_EXPIRED: { status: 401, message: 'Token has expired' },
  TOKEN_REVOKED: { status: 401, message: 'Token has been revoked' },
  // Paused by POST /api/v1/tokens/{id}/disable: it speaks again once enabled.
  TOKEN_DISABLED: { status: 401, message: 'Token has been disabled' },
  BUSINESS_MISMATCH: { status: 403, message: 'The token was not issued for this business' },
  BUSINESS_SUSPENDED: { status: 403, message: 'This business is suspended' },
  // The business turned token sign-in off for its people: the console takes SSO sessions alone.
  SSO_REQUIRED: {
    status: 403,
    message: "This business's people sign in to the console with SSO, not with a token",
  },
  INSUFFICIENT_ROLE: { status: 403, message: 'Your role does not allow this' },
  INSUFFICIENT_SCOPE: { status: 403, message: 'This token lacks the scope for this action' },
  PLATFORM_ADMIN_REQUIRED: { status: 403, message: 'Only a platform admin may do this' },
  NOT_TOKEN_HOLDER: {
    status: 403,
    message:
      "A person's token is issued or rotated only by that person, and a platform token never receives a person's secret",
  },
  // A token in its rotation grace period writes nothing but its own revocation.
  TOKEN_RETIRING: {
    status: 403,
    message:
      'This token is in its rotation grace period: use its successor (it may still revoke itself)',
  },
  // A token the RFC 8693 exchange made (origin federation) makes no token and acts on none but itself.
  TOKEN_FEDERATED: {
    status: 403,
    message:
      'This token was made by a token exchange: it makes no token and acts on no token but itself',
  },
  // A token with allowed_cidrs, presented from outside them (the client IP as TRUST_PROXY reads it).
  IP_NOT_ALLOWED: {
    status: 403,
    message: 'This token may not be used from this address',
  },
  // GET /auth/verify with VERIFY_GATEWAY_SECRET set, called without it (or with another).
  GATEWAY_NOT_TRUSTED: {
    status: 403,
    message: 'This route answers only a gateway that sends X-Latchkey-Gateway-Secret',
  },
  BUSINESS_NOT_FOUND: { status: 404, message: 'Business not found' },
  // RFC 9449 §7.1: the DPoP proof of a request is missing, malformed, replayed or not the key's.
  INVALID_DPOP_PROOF: { status: 401, message: 'Invalid DPoP proof' },
  // RFC 9449 §8 and §9, with DPOP_NONCE_REQUIRED: the proof lacks a nonce the server issued
  // lately; the answer's DPoP-Nonce header holds one to retry with.
  USE_DPOP_NONCE: {
    status: 401,
    message: 'The DPoP proof must carry the nonce the server provides',
  },
} as const satisfies ErrorTable;

export type AuthErrorCode = keyof typeof AUTH_ERRORS;
type CodesAnswering<S> = {
  [C in AuthErrorCode]: (typeof AUTH_ERRORS)[C]['status'] extends S ? C : never;
}[AuthErrorCode];
/** The codes a bearer failure answers with (401). */
export type BearerCode = CodesAnswering<401>;
/** The codes a refusal answers with (403). */
export type ForbiddenCode = CodesAnswering<403>;

/** An authentication or authorization failure. */
export class AuthError extends DomainError<AuthErrorCode> {
  private constructor(code: AuthErrorCode, detail?: string, headers?: Record<string, string>) {
    super(code, AUTH_ERRORS[code], detail, headers);
  }

  /** 401 with the RFC 6750 challenge. */
  static bearer(code: BearerCode, detail?: string): AuthError {
    return new AuthError(code, detail, { 'www-authenticate': 'Bearer error="invalid_token"' });
  }

  /**
   * 401 with the RFC 9449 §7.1 challenge: `invalid_dpop_proof` for a proof that does not hold,
   * `invalid_token` for a bound token presented without its key's proof. It names the algorithms
   * a proof may use, and nothing of what failed.
   */
  static dpop(code: 'INVALID_DPOP_PROOF' | 'INVALID_TOKEN', detail?: string): AuthError {
    const error = code === 'INVALID_DPOP_PROOF' ? 'invalid_dpop_proof' : 'invalid_token';
    return new AuthError(code, detail, {
      'www-authenticate': `DPoP error="${error}", algs="${DPOP_CHALLENGE_ALGS}"`,
    });
  }

  /**
   * 401 with the RFC 9449 §9 challenge `use_dpop_nonce`: a proof good but for its nonce. The
   * caller adds the nonce to retry with (`withDpopNonce`).
   */
  static useDpopNonce(): AuthError {
    return new AuthError(
      'USE_DPOP_NONCE',
      "Make a new proof whose nonce claim is this answer's DPoP-Nonce header, and retry",
      {
        'www-authenticate': `DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof", algs="${DPOP_CHALLENGE_ALGS}"`,
      },
    );
  }

  /** The same refusal with a nonce for the client's next proof in `DPoP-Nonce` (RFC 9449 §8). */
  withDpopNonce(nonce: string): AuthError {
    return new AuthError(this.code, this.detail, { ...this.headers, 'dpop-nonce': nonce });
  }

  /** Whether this refusal challenges for DPoP (RFC 9449 §7.1), where a nonce belongs. */
  get challengesDpop(): boolean {
    return this.headers['www-authenticate']?.startsWith('DPoP ') === true;
  }

  /** 403: the caller is known, and may not do this. */
  static forbidden(code: ForbiddenCode, detail?: string): AuthError {
    return new AuthError(code, detail);
  }

  /**
   * 403 INSUFFICIENT_SCOPE with the RFC 6750 §3 challenge naming the scopes needed, for a
   * gateway to pass on. The scopes are held to `SCOPE_PATTERN` before they get here, so none
   * holds a quote, a backslash or a line break.
   */
  static insufficientScope(required: readonly string[], detail?: string): AuthError {
    return new AuthError('INSUFFICIENT_SCOPE', detail, {
      'www-authenticate': `Bearer error="insufficient_scope", scope="${required.join(' ')}"`,
    });
  }

  /** 404 for a business that a platform token names and that does not exist. */
  static businessNotFound(): AuthError {
    return new AuthError('BUSINESS_NOT_FOUND');
  }
}
