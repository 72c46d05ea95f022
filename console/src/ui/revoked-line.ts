import type { RevokedCount } from '../api/types';

/** "Removed; 3 tokens revoked": what a removal that cascades answers (`revoked_tokens`). */
export function revokedLine(verb: string, { revoked_tokens: n }: RevokedCount): string {
  return `${verb}; ${n} ${n === 1 ? 'token' : 'tokens'} revoked`;
}
