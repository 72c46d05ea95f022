import type { JWK } from 'jose';
import type { ValidationIssue } from '../../common/errors/domain-error';
import { containsSecret } from '../../common/secrets/secret-shape';
import type { JwksDocument } from '../store/trust-rule.entity';

/**
 * The only algorithms a workload's JWT may be signed with: asymmetric, so the keys a rule holds
 * are public and cannot sign. `none` and every HS* are refused (algorithm confusion: an HMAC
 * "signed" with the issuer's public key).
 */
export const JWT_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;

/** Claims the exchange checks itself; a rule's `claims` may not name them. */
export const RESERVED_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti'] as const;

export const MAX_CLAIMS = 20;
export const MAX_CLAIM_VALUE = 256;
export const MAX_JWKS_KEYS = 20;
const CLAIM_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** Private or symmetric key material: a rule holds public keys only. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/**
 * Why a JWK cannot verify an accepted algorithm, or null when it can: an RSA key, an EC key on
 * P-256 (ES256), or an OKP key on Ed25519 or Ed448 (EdDSA); public only; for signatures.
 */
export function jwkProblem(jwk: unknown): string | null {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk))
    return 'a key must be an object';
  const key = jwk as Record<string, unknown>;
  if (PRIVATE_MEMBERS.some((m) => m in key)) {
    return 'a key must be public: no private or symmetric key material';
  }
  const strings = ['kty', 'kid', 'alg', 'use', 'crv', 'n', 'e', 'x', 'y'];
  if (strings.some((m) => m in key && typeof key[m] !== 'string')) {
    return `a key's ${strings.find((m) => m in key && typeof key[m] !== 'string')} must be a string`;
  }
  if (key.use !== undefined && key.use !== 'sig') return 'a key must be for signatures (use: sig)';
  if (key.alg !== undefined && !(JWT_ALGORITHMS as readonly unknown[]).includes(key.alg)) {
    return `a key's alg must be one of ${JWT_ALGORITHMS.join(', ')}`;
  }
  switch (key.kty) {
    case 'RSA':
      return typeof key.n === 'string' && typeof key.e === 'string'
        ? null
        : 'an RSA key needs n and e';
    case 'EC':
      if (key.crv !== 'P-256') return 'an EC key must be on P-256 (ES256)';
      return typeof key.x === 'string' && typeof key.y === 'string'
        ? null
        : 'an EC key needs x and y';
    case 'OKP':
      if (key.crv !== 'Ed25519' && key.crv !== 'Ed448')
        return 'an OKP key must be Ed25519 or Ed448';
      return typeof key.x === 'string' ? null : 'an OKP key needs x';
    default:
      return 'a key must be RSA, EC or OKP';
  }
}

/** The keys of a fetched key set that can verify an accepted algorithm; the rest are dropped. */
export function usableKeys(document: unknown): JWK[] {
  const keys = (document as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) return [];
  return keys.filter((k) => jwkProblem(k) === null) as JWK[];
}

/** What is wrong with an inline key set, each at its place in the body. */
export function jwksIssues(jwks: JwksDocument): ValidationIssue[] {
  const at = (loc: (string | number)[], msg: string): ValidationIssue => ({
    loc: ['body', 'jwks', ...loc],
    msg,
    type: 'value_error',
  });
  const keys = (jwks as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0)
    return [at(['keys'], 'jwks needs a non-empty keys array')];
  if (keys.length > MAX_JWKS_KEYS)
    return [at(['keys'], `jwks holds at most ${MAX_JWKS_KEYS} keys`)];
  const extra = Object.keys(jwks).filter((k) => k !== 'keys');
  if (extra.length > 0) return [at([], 'jwks holds only keys')];
  if (JSON.stringify(jwks).length > 64 * 1024) return [at([], 'jwks is at most 64 KB')];
  return keys.flatMap((key, i) => {
    const problem = jwkProblem(key);
    return problem === null ? [] : [at(['keys', i], problem)];
  });
}

/** What is wrong with a rule's `claims`, each at its place in the body. */
export function claimsIssues(claims: Record<string, unknown>): ValidationIssue[] {
  const at = (name: string | null, msg: string): ValidationIssue => ({
    loc: name === null ? ['body', 'claims'] : ['body', 'claims', name],
    msg,
    type: 'value_error',
  });
  const names = Object.keys(claims);
  if (names.length > MAX_CLAIMS) return [at(null, `claims holds at most ${MAX_CLAIMS} entries`)];
  // Names and values are stored in the rule and its audit entries, as typed text is: a token in
  // either is refused as `NoSecret` refuses it, and never echoed (the name is no loc of its own).
  const secret = (loc: string[]): ValidationIssue => ({
    loc: ['body', 'claims', ...loc],
    msg: 'a claim must not contain a token: nothing was stored',
    type: 'secret_in_text',
  });
  return names.flatMap((name) => {
    if (containsSecret(name)) return [secret([])];
    if (!CLAIM_NAME.test(name)) {
      return [at(null, 'a claim name is 1 to 64 letters, digits, _, . or -')];
    }
    if ((RESERVED_CLAIMS as readonly string[]).includes(name)) {
      return [at(name, `${name} is checked by the rule's own fields, not by claims`)];
    }
    const value = claims[name];
    if (typeof value !== 'string' || value.length === 0 || value.length > MAX_CLAIM_VALUE) {
      return [at(name, `a claim's value is a string of 1 to ${MAX_CLAIM_VALUE} characters`)];
    }
    return containsSecret(value) ? [secret([name])] : [];
  });
}

/** True when every claim the rule names is in the payload with exactly that value. */
export function claimsMatch(
  required: Record<string, string> | null,
  payload: Record<string, unknown>,
): boolean {
  if (!required) return true;
  return Object.entries(required).every(([name, value]) => {
    const actual = Object.prototype.hasOwnProperty.call(payload, name) ? payload[name] : undefined;
    return typeof actual === 'string' && actual === value;
  });
}
