import { useQuery } from '@tanstack/react-query';
import { unwrap } from '../../api/call';
import type { components } from '../../api/client';
import { platformKey } from '../../api/cache';
import { useBusiness, useSession } from '../../session';
import { auditApi } from '../../api/resources/audit.api';
import { tokenCalls, tokenKeys } from '../../api/resources/tokens.api';

export type TokenSummary = components['schemas']['TokenSummaryDto'];

/** The rows each list of the home page shows; each links to the whole list. */
export const HOME_ROWS = 5;

/**
 * The counts of the business's tokens that ask for attention. Kept under the tokens' key, so
 * every change to a token (which invalidates the business's cache) counts again.
 */
export function useTokenSummary() {
  const { api, business } = useBusiness();
  return useQuery({
    queryKey: [...tokenKeys.all(business.id), 'summary'] as const,
    queryFn: () => unwrap(api.GET('/api/v1/tokens/summary')),
  });
}

/** The caller's own newest tokens: what a member sees in place of the audit log. */
export function useRecentOwnTokens(enabled: boolean) {
  const { api, business, whoami } = useBusiness();
  const query = { sort: '-created_at', identity_id: whoami.identity.id } as const;
  return useQuery({
    queryKey: [...tokenKeys.list(business.id, query), 'home'] as const,
    queryFn: () => tokenCalls(api).list(query, undefined, HOME_ROWS),
    enabled,
  });
}

/** The newest events of the business's audit log (or the platform's), for those who may read it. */
export function useRecentAudit(scope: 'business' | 'platform', enabled: boolean) {
  const session = useSession();
  const audit = enabled ? auditApi(session, scope) : null;
  return useQuery({
    queryKey: [...(audit?.key ?? [...platformKey, 'none']), 'home'] as const,
    queryFn: () => audit!.list({}, undefined, HOME_ROWS),
    enabled: audit !== null,
  });
}
