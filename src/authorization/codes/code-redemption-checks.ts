import { canonicalResource } from '../../common/validation/resource-uri';
import type { CodePresentation } from './dto/authorization-code.dto';
import type { CodeRefusal } from './authorization-codes.events';
import { verifierMatches } from './pkce';
import type { AuthorizationCode } from './store/authorization-code.entity';

interface RedemptionCheck {
  reason: CodeRefusal;
  /** Where the rule is written. */
  source: string;
  refuses: (code: AuthorizationCode, presented: CodePresentation, now: Date) => boolean;
}

/**
 * What a presentation of a known, unredeemed code must hold to, in the order of RFC 6749
 * §4.1.3, RFC 7636 §4.6, RFC 8707 §2.2 and RFC 9449 §10; the first that refuses answers. A
 * refusal leaves the code as it was: the client it was issued to may still redeem it.
 */
export const REDEMPTION_CHECKS: readonly RedemptionCheck[] = [
  {
    reason: 'expired',
    source: 'RFC 6749 §4.1.2, §4.1.3',
    refuses: (code, _, now) => code.expiresAt.getTime() <= now.getTime(),
  },
  {
    reason: 'client_mismatch',
    source: 'RFC 6749 §4.1.3',
    refuses: (code, presented) => presented.clientId !== code.clientId,
  },
  {
    reason: 'redirect_uri_mismatch',
    source: 'RFC 6749 §4.1.3',
    refuses: (code, presented) => presented.redirectUri !== code.redirectUri,
  },
  {
    reason: 'verifier_missing',
    source: 'RFC 7636 §4.5, §4.6',
    refuses: (_, presented) =>
      typeof presented.codeVerifier !== 'string' || presented.codeVerifier === '',
  },
  {
    // S256 only: a verifier equal to the challenge (`plain`) does not match.
    reason: 'verifier_mismatch',
    source: 'RFC 7636 §4.6',
    refuses: (code, presented) => !verifierMatches(presented.codeVerifier, code.codeChallenge),
  },
  {
    reason: 'resource_mismatch',
    source: 'RFC 8707 §2.2',
    refuses: (code, presented) => canonicalResource(presented.resource) !== code.resource,
  },
  {
    reason: 'dpop_key_mismatch',
    source: 'RFC 9449 §10',
    refuses: (code, presented) => code.dpopJkt !== null && presented.dpopJkt !== code.dpopJkt,
  },
];

/** Why `presented` may not redeem `code` at `now`, or null when it may. */
export function redemptionRefusal(
  code: AuthorizationCode,
  presented: CodePresentation,
  now: Date,
): CodeRefusal | null {
  return REDEMPTION_CHECKS.find((c) => c.refuses(code, presented, now))?.reason ?? null;
}
