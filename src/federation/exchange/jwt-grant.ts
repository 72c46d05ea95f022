import {
  decodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { JwksUnavailable } from './jwks-fetch';
import { OAuthError } from '../../common/errors/oauth-error';
import { JWT_ALGORITHMS } from '../rules/trust-rule-checks';

/** The clock skew allowed on `exp`, `nbf` and `iat`. */
export const CLOCK_SKEW_SECONDS = 60;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** The longest subject token read; a CI provider's is 1 to 2 KB. */
export const MAX_SUBJECT_TOKEN_LENGTH = 16 * 1024;

/** What a JWT says before anything is verified: enough to find the rules it could match. */
export interface UnverifiedGrant {
  issuer: string;
  payload: JWTPayload;
}

/**
 * Reads the JWT's claims without trusting them, only to find the trust rules it might match; the
 * signature and every claim are checked by `verifyGrant` against the rule's keys. A token that is
 * not a JWT is `invalid_request`; one whose header names an algorithm other than the four
 * accepted (`none`, HS256, …) is refused here, before any key is looked up or fetched.
 */
export function peekGrant(token: string): UnverifiedGrant {
  let payload: JWTPayload;
  let alg: unknown;
  try {
    payload = decodeJwt(token);
    alg = decodeProtectedHeader(token).alg;
  } catch {
    throw new OAuthError('invalid_request', 'The subject_token is not a JWT');
  }
  if (!(JWT_ALGORITHMS as readonly unknown[]).includes(alg)) {
    throw new OAuthError(
      'invalid_grant',
      `The subject token must be signed with ${JWT_ALGORITHMS.join(', ')}`,
    );
  }
  if (typeof payload.iss !== 'string' || payload.iss === '') {
    throw new OAuthError('invalid_grant', 'The subject token names no issuer');
  }
  return { issuer: payload.iss, payload };
}

/** A verified JWT: the claims the exchange uses, every one present. */
export interface VerifiedGrant {
  payload: JWTPayload & { sub: string; jti: string; exp: number; iat: number };
}

/**
 * Verifies the JWT with jose against one rule's issuer, audience and keys: an accepted
 * asymmetric algorithm only, `exp`, `nbf` and `iat` within CLOCK_SKEW_SECONDS, and `sub`, `jti`,
 * `exp` and `iat` present. Each refusal is `invalid_grant` with a fixed phrase.
 */
export async function verifyGrant(
  token: string,
  rule: { issuer: string; audience: string },
  keys: JWTVerifyGetKey,
  now: Date,
): Promise<VerifiedGrant> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keys, {
      issuer: rule.issuer,
      audience: rule.audience,
      algorithms: [...JWT_ALGORITHMS],
      clockTolerance: CLOCK_SKEW_SECONDS,
      requiredClaims: ['exp', 'iat', 'jti', 'sub'],
      currentDate: now,
    }));
  } catch (e) {
    throw new OAuthError('invalid_grant', refusal(e));
  }
  const { sub, jti, iat } = payload;
  if (
    typeof sub !== 'string' ||
    typeof jti !== 'string' ||
    jti === '' ||
    jti.length > 256 ||
    sub.length > 1024 ||
    CONTROL.test(sub) ||
    CONTROL.test(jti)
  ) {
    throw new OAuthError(
      'invalid_grant',
      'The subject token needs a sub and a jti of plain text (at most 1024 and 256 characters)',
    );
  }
  // jose checks that iat is a number; one in the future is a token from a skewed or forged clock.
  if ((iat as number) > now.getTime() / 1000 + CLOCK_SKEW_SECONDS) {
    throw new OAuthError('invalid_grant', 'The subject token was issued in the future (iat)');
  }
  return { payload: payload as VerifiedGrant['payload'] };
}

/** A fixed phrase for each way verification fails: never the token, a key or a claim's value. */
function refusal(e: unknown): string {
  if (e instanceof JwksUnavailable) return "The issuer's keys could not be fetched";
  if (e instanceof errors.JWTExpired) return 'The subject token has expired';
  if (e instanceof errors.JWTClaimValidationFailed) {
    switch (e.claim) {
      case 'iss':
        return 'The subject token is from another issuer';
      case 'aud':
        return 'The subject token is for another audience';
      case 'nbf':
        return 'The subject token is not valid yet (nbf)';
      case 'iat':
        return 'The subject token has no valid iat';
      default:
        return 'The subject token lacks a required claim (sub, jti, exp, iat) or has one malformed';
    }
  }
  if (e instanceof errors.JOSEAlgNotAllowed) {
    return `The subject token must be signed with ${JWT_ALGORITHMS.join(', ')}`;
  }
  if (e instanceof errors.JWKSNoMatchingKey) return "No key of the issuer matches the token's kid";
  if (e instanceof errors.JWKSMultipleMatchingKeys) {
    return 'Several keys of the issuer match the token: it must name one by kid';
  }
  if (e instanceof errors.JWSSignatureVerificationFailed) {
    return "The subject token's signature does not verify";
  }
  return 'The subject token is not a valid signed JWT';
}
