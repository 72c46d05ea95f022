import { useQuery } from '@tanstack/react-query';
import { useBusiness } from '../../session';
import { unwrap } from '../call';
import type { components, LatchkeyClient } from '../client';
import { useWholeList } from '../pages';
import { tokenCalls, tokenKeys } from './tokens.api';

export type UsageWindow = '24h' | '7d' | '30d';
export type UsageSummary = components['schemas']['TokenUsageSummaryDto'];

export const usageKeys = {
  summary: (businessId: string, window: UsageWindow) =>
    [...tokenKeys.all(businessId), 'usage-summary', window] as const,
  unused: (businessId: string) => [...tokenKeys.risky(businessId), 'whole'] as const,
};

export const usageCalls = (api: LatchkeyClient) => ({
  summary: (window: UsageWindow) =>
    unwrap(api.GET('/api/v1/tokens/usage', { params: { query: { window } } })),
});

/** Usage across the business's tokens the caller may read, over one window. */
export function useUsageSummary(window: UsageWindow) {
  const { api, business } = useBusiness();
  return useQuery({
    queryKey: usageKeys.summary(business.id, window),
    queryFn: () => usageCalls(api).summary(window),
  });
}

/** Every risky token (up to WHOLE_LIST_MAX), for those unused for 90 days. */
export function useRiskyWhole() {
  const { api, business } = useBusiness();
  return useWholeList(usageKeys.unused(business.id), (cursor, limit) =>
    tokenCalls(api).risky(cursor, limit),
  );
}
