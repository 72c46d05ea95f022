import { useBusiness } from '../../session';
import { bizKey, useBusinessMutation, type OnDone } from '../../api/cache';
import { unwrap } from '../../api/call';
import type { LatchkeyClient } from '../../api/client';
import { useWholeList } from '../../api/pages';
import type { NewTrustRule, TrustRule } from '../../api/types';

export const trustRuleKeys = {
  of: (businessId: string, identityId: string) =>
    [...bizKey(businessId), 'machines', identityId, 'trust-rules'] as const,
};

/** A machine identity's trust-rule routes, typed. */
export const trustRuleCalls = (api: LatchkeyClient, identityId: string) => ({
  page: (cursor: string | undefined, limit: number) =>
    unwrap(
      api.GET('/api/v1/machine-identities/{identity_id}/trust-rules', {
        params: { path: { identity_id: identityId }, query: { limit, cursor } },
      }),
    ),
  create: (body: NewTrustRule) =>
    unwrap(
      api.POST('/api/v1/machine-identities/{identity_id}/trust-rules', {
        params: { path: { identity_id: identityId } },
        body,
      }),
    ),
  remove: (id: string) =>
    unwrap(
      api.DELETE('/api/v1/machine-identities/{identity_id}/trust-rules/{rule_id}', {
        params: { path: { identity_id: identityId, rule_id: id } },
      }),
    ),
});

/** Every trust rule of the machine identity (at most 20). */
export function useTrustRules(identityId: string) {
  const { api, business } = useBusiness();
  return useWholeList(
    trustRuleKeys.of(business.id, identityId),
    trustRuleCalls(api, identityId).page,
  );
}

export const useCreateTrustRule = (identityId: string, onDone?: OnDone<TrustRule, NewTrustRule>) =>
  useBusinessMutation(
    (api, body: NewTrustRule) => trustRuleCalls(api, identityId).create(body),
    onDone,
  );

export const useDeleteTrustRule = (identityId: string, onDone?: OnDone<TrustRule, TrustRule>) =>
  useBusinessMutation((api, r: TrustRule) => trustRuleCalls(api, identityId).remove(r.id), onDone);
