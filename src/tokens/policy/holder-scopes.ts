import { roleAtLeast } from '../../auth/roles';
import { ADMIN_SCOPES, reachesAdminScope, scopesWithinRole } from '../../auth/scopes';
import type { Transaction } from '../../database/units/unit-of-work';
import type { TenancyDirectory } from '../../tenancy/tenancy-directory';
import { TokenError } from '../token-error';

/** What `scopesWithinHolderRole` is told of the token being made. */
export interface HolderScopesInput {
  /** Null for a platform token, which has no role to hold it to. */
  readonly businessId: string | null;
  readonly identityId: string;
  /** The caller asked for these scopes (a create's body, the CLI's), rather than deriving them. */
  readonly scopesAsked?: boolean;
}

/**
 * A new token's scopes within its holder's role, whichever path made the list: a member's token
 * never holds an admin built-in (`BUILT_IN_SCOPES`). A list derived for the holder (the business
 * policy's `allowed_scopes` given to a token that asked for none, a maker's scopes passed to a
 * first token, a rotated token's) loses what the role could never use; a list the caller asked
 * for is refused, 403 SCOPE_ESCALATION, so nobody gets less than they asked unawares.
 *
 * The holder's role is read in the issuing transaction, and only when the list reaches a built-in
 * beyond the member role: every other list (null, or the business's own scopes) needs no role.
 */
export async function scopesWithinHolderRole(
  tenancy: TenancyDirectory,
  input: HolderScopesInput,
  scopes: readonly string[] | null,
  tx: Transaction,
): Promise<readonly string[] | null> {
  if (input.businessId === null || !reachesAdminScope(scopes)) return scopes;
  const holder = (await tenancy.membersOf(input.businessId, [input.identityId], tx)).get(
    input.identityId,
  );
  // A holder who is no member gets no token (its issuer refuses it); held to the lowest role.
  if (holder && roleAtLeast(holder.role, 'admin')) return scopes;
  if (input.scopesAsked) {
    throw new TokenError(
      'SCOPE_ESCALATION',
      `A member's token never holds ${ADMIN_SCOPES.join(', ')}, nor a scope that covers one`,
    );
  }
  return scopesWithinRole(scopes, 'member');
}
