import type { Identity } from './store/identity.entity';

/** How an identity is named in `revoked_by`, `created_by` and audit entries. */
export function identityLabel(identity: Pick<Identity, 'kind' | 'email' | 'name'>): string {
  return identity.kind === 'user' ? (identity.email ?? '') : `machine:${identity.name ?? ''}`;
}
