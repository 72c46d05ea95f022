import type { TokenAction } from '../../permissions';

/**
 * A token's state, read once for every screen that shows a token: the badges it wears and the
 * actions its state leaves open (whether the caller may is `mayActOn`'s question). The server's
 * rules (src/tokens/lifecycle/), which test/console/token-states.e2e-spec.ts holds this to:
 * - rotate: only an active token, not paused (409 TOKEN_NOT_ACTIVE: a successor would undo the
 *   pause) and not rotated already (409 TOKEN_ALREADY_ROTATED);
 * - disable, enable: never a revoked token (409 TOKEN_IS_REVOKED); disabling a paused token or
 *   enabling one that is not answers ALREADY_DISABLED / ALREADY_ENABLED and changes nothing;
 * - revoke: revoking again answers ALREADY_REVOKED and changes nothing.
 * An ended token (expired or revoked) is offered nothing: it is refused at every use already.
 */

/** What the console does to a token, each one route of the API. */
export const TOKEN_STATE_ACTIONS = [
  'revoke',
  'rotate',
  'disable',
  'enable',
  'rename',
] as const satisfies readonly TokenAction[];
export type TokenStateAction = (typeof TOKEN_STATE_ACTIONS)[number];

export interface TokenBadge {
  label: string;
  tone: 'ok' | 'warn' | 'bad';
}

export interface TokenState {
  /** What the token is, first what decides whether it works. */
  badges: readonly TokenBadge[];
  /** The actions its state leaves open (the policy may still refuse the caller). */
  offers: ReadonlySet<TokenStateAction>;
}

/**
 * The fields of a token view (TokenViewDto) its state is read from, spelled here rather than
 * imported from api/types.ts, whose client needs the DOM: the specs load this module in Node.
 */
export interface TokenStateFields {
  status: 'active' | 'disabled' | 'expired' | 'revoked';
  disabled_at: string | null;
  /** Its successor once rotated: a retiring token is active, and cannot be rotated again. */
  rotated_to_id: string | null;
}

const NOTHING: ReadonlySet<TokenStateAction> = new Set();
const ACTIVE: ReadonlySet<TokenStateAction> = new Set(['revoke', 'rotate', 'disable', 'rename']);
const PAUSED: ReadonlySet<TokenStateAction> = new Set(['revoke', 'enable', 'rename']);
const RETIRING: ReadonlySet<TokenStateAction> = new Set(['revoke', 'disable', 'rename']);

/** The badges and the actions of a token, from its view. */
export function tokenState(token: TokenStateFields): TokenState {
  switch (token.status) {
    case 'revoked':
      return { badges: [{ label: 'revoked', tone: 'bad' }], offers: NOTHING };
    case 'expired':
      // A pause on an ended token changes nothing: it says "expired" alone.
      return { badges: [{ label: 'expired', tone: 'warn' }], offers: NOTHING };
    case 'disabled':
      return { badges: [{ label: 'disabled', tone: 'warn' }], offers: PAUSED };
    case 'active':
      return {
        badges: [{ label: 'active', tone: 'ok' }],
        offers: token.rotated_to_id ? RETIRING : ACTIVE,
      };
  }
}

/** Whether the token's state leaves `action` open. */
export function stateOffers(token: TokenStateFields, action: TokenStateAction): boolean {
  return tokenState(token).offers.has(action);
}
