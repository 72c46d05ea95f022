import { useQuery } from '@tanstack/react-query';
import { useBusiness } from '../../session';
import { bizKey, useBusinessMutation, type OnDone } from '../cache';
import { unwrap } from '../call';
import type { LatchkeyClient } from '../client';
import { PAGE_SIZE, useKeyset } from '../keyset';
import type { NewTokenPolicy, TokenPolicy } from '../types';

export const policyKeys = {
  all: (businessId: string) => [...bizKey(businessId), 'token-policy'] as const,
  violations: (businessId: string) => [...policyKeys.all(businessId), 'violations'] as const,
};

/** The business's token policy routes, typed. */
export const policyCalls = (api: LatchkeyClient) => ({
  get: () => unwrap(api.GET('/api/v1/token-policy')),
  put: (body: NewTokenPolicy) => unwrap(api.PUT('/api/v1/token-policy', { body })),
  violations: (cursor?: string, limit = PAGE_SIZE) =>
    unwrap(api.GET('/api/v1/token-policy/violations', { params: { query: { limit, cursor } } })),
});

export function useTokenPolicy() {
  const { api, business } = useBusiness();
  return useQuery({ queryKey: policyKeys.all(business.id), queryFn: () => policyCalls(api).get() });
}

/** The active tokens that break the policy now, oldest first. */
export function usePolicyViolations() {
  const { api, business } = useBusiness();
  return useKeyset(policyKeys.violations(business.id), (cursor) =>
    policyCalls(api).violations(cursor),
  );
}

/** Replaces the whole policy (owners with tokens:admin). */
export const usePutTokenPolicy = (onDone?: OnDone<TokenPolicy, NewTokenPolicy>) =>
  useBusinessMutation((api, body: NewTokenPolicy) => policyCalls(api).put(body), onDone);
