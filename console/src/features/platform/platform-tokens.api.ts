import { useSession } from '../../session';
import { platformKey, usePlatformMutation } from '../../api/cache';
import { envelope, unwrap } from '../../api/call';
import type { LatchkeyClient } from '../../api/client';
import { PAGE_SIZE, useKeyset } from '../../api/keyset';
import { tokenParams, type TokenQuery } from '../../api/resources/tokens.api';
import { TOKEN_ROW_FIELDS, type Page, type TokenRow } from '../../api/types';

/** A platform token list's filters: a business's filters, and which business. */
export interface PlatformTokenQuery extends TokenQuery {
  business_id?: string;
}

export const platformTokenKeys = {
  all: [...platformKey, 'tokens'] as const,
  list: (query: PlatformTokenQuery) => [...platformTokenKeys.all, 'list', query] as const,
};

/** The platform's token routes, typed. */
export const platformTokenCalls = (platform: LatchkeyClient) => ({
  list: (query: PlatformTokenQuery, cursor?: string, limit = PAGE_SIZE): Promise<Page<TokenRow>> =>
    unwrap(
      platform.GET('/platform/v1/tokens', {
        params: {
          query: {
            ...tokenParams(query),
            ...(query.business_id ? { business_id: query.business_id } : {}),
            fields: [...TOKEN_ROW_FIELDS],
            cursor,
            limit,
          },
        },
      }),
    ),
  revoke: (id: string, reason: string) =>
    envelope(
      platform.POST('/platform/v1/tokens/{token_id}/revoke', {
        params: { path: { token_id: id } },
        body: { reason },
      }),
    ),
  revokeByValue: (token: string, reason: string) =>
    envelope(platform.POST('/platform/v1/tokens/revoke', { body: { token, reason } })),
});

export function usePlatformTokenList(query: PlatformTokenQuery) {
  const { platform } = useSession();
  return useKeyset(platformTokenKeys.list(query), (cursor) =>
    platformTokenCalls(platform).list(query, cursor),
  );
}

export const usePlatformRevoke = () =>
  usePlatformMutation((platform, v: { id: string; reason: string }) =>
    platformTokenCalls(platform).revoke(v.id, v.reason),
  );
export const useRevokeByValue = () =>
  usePlatformMutation((platform, v: { token: string; reason: string }) =>
    platformTokenCalls(platform).revokeByValue(v.token, v.reason),
  );
