import { scopesUnder } from '../../auth/scopes';
import { AddressSet } from '../../common/validation/cidr';
import { mustBeBound } from '../../governance/business-policy';
import { identityLabel } from '../../tenancy/identity-label';
import { ApiToken } from '../store/entities/api-token.entity';
import type { VerifierRow } from '../store/repositories/tokens.repository';
import type { StatusListReferences } from '../status/status-list-references';
import { usesOfRow } from '../usage/uses/token-uses';
import type { TokenSnapshot } from './verifier-cache';

/** Freezes what one query read into the snapshot the cache keeps and requests share. */
export function snapshotOf(
  { token, identity, membership, business, requireDpop, customRole, consoleSsoOnly }: VerifierRow,
  statusLists: StatusListReferences,
): TokenSnapshot {
  const role = token.businessId === null ? null : (membership?.role ?? null);
  // What the token may do here: its scopes within its holder's custom role, if they hold one.
  const heldRole = token.businessId === null ? null : customRole;
  const scopes = scopesUnder(token.scopes, heldRole?.scopes ?? null);
  const principal: TokenSnapshot['principal'] = Object.freeze({
    actor: Object.freeze({
      id: identity.id,
      kind: identity.kind,
      label: identityLabel(identity),
      isPlatformAdmin: identity.isPlatformAdmin,
      email: identity.email,
      name: identity.name,
    }),
    token: Object.freeze({
      id: token.id,
      jti: token.jti,
      businessId: token.businessId,
      scopes: scopes === null ? null : (Object.freeze(scopes) as string[]),
      createdAt: token.createdAt,
      expiresAt: token.expiresAt,
      createdById: token.createdById,
      createdBy: token.createdBy,
      // Only an active token reaches a caller, so a successor means the grace period.
      retiring: token.rotatedToId !== null,
      // What a request context tells apart: a federated token, which acts on no other, and a
      // console session, which a business that takes SSO alone in the console admits there.
      origin: token.origin === 'federation' || token.origin === 'console-sso' ? token.origin : null,
      consoleSsoOnly,
      customRole: heldRole && Object.freeze({ id: heldRole.id, name: heldRole.name }),
      dpopJkt: token.dpopJkt ?? null,
      allowedCidrs: token.allowedCidrs ? Object.freeze([...token.allowedCidrs]) : null,
      audiences: token.audiences ? Object.freeze([...token.audiences]) : null,
      rateLimitPerMinute: token.rateLimitPerMinute,
      sharedLimitId: token.sharedLimitId,
      sharedLimitPerMinute: token.sharedLimitPerMinute,
      uses: Object.freeze(usesOfRow(token)),
      business: business ? Object.freeze({ ...business }) : null,
      statusList: frozen(statusLists.referenceOf(token)),
      row: Object.freeze(Object.assign(new ApiToken(), token)),
    }),
    role,
  });
  return Object.freeze({
    ref: Object.freeze({
      id: token.id,
      jti: token.jti,
      name: token.name,
      businessId: token.businessId,
      identityId: token.identityId,
    }),
    expiresAt: token.expiresAt,
    revokedAt: token.revokedAt,
    disabledAt: token.disabledAt,
    identityDeleted: identity.deletedAt !== null,
    isPlatformAdmin: identity.isPlatformAdmin,
    role,
    predatesMembership: membership !== null && token.createdAt < membership.createdAt,
    addresses: token.allowedCidrs ? new AddressSet(token.allowedCidrs) : null,
    keyRequired: mustBeBound({ requireDpop }, identity.kind === 'machine'),
    principal,
  });
}

const frozen = <T extends object>(value: T | null): Readonly<T> | null =>
  value && Object.freeze(value);
