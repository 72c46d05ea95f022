import { useBusiness } from '../../session';
import { bizKey, useBusinessMutation, type OnDone } from '../../api/cache';
import { unwrap } from '../../api/call';
import type { components, LatchkeyClient } from '../../api/client';
import { useWholeList } from '../../api/pages';
import type { IssuedToken } from '../../api/types';

export type TokenRequest = components['schemas']['TokenRequestViewDto'];
export type NewTokenRequest = components['schemas']['CreateTokenRequestDto'];
export type RequestStatus = TokenRequest['status'];

const path = (id: string) => ({ params: { path: { token_request_id: id } } });

/** The business's token-request routes, typed. */
export const requestCalls = (api: LatchkeyClient) => ({
  page: (status: RequestStatus | undefined) => (cursor: string | undefined, limit: number) =>
    unwrap(api.GET('/api/v1/token-requests', { params: { query: { limit, cursor, status } } })),
  create: (body: NewTokenRequest) => unwrap(api.POST('/api/v1/token-requests', { body })),
  approve: (id: string, reason?: string) =>
    unwrap(
      api.POST('/api/v1/token-requests/{token_request_id}/approve', {
        ...path(id),
        body: reason ? { reason } : {},
      }),
    ),
  deny: (id: string, reason: string) =>
    unwrap(
      api.POST('/api/v1/token-requests/{token_request_id}/deny', { ...path(id), body: { reason } }),
    ),
  withdraw: (id: string) =>
    unwrap(api.POST('/api/v1/token-requests/{token_request_id}/withdraw', path(id))),
  collect: (id: string) =>
    unwrap(api.POST('/api/v1/token-requests/{token_request_id}/collect', path(id))),
});

/**
 * The token requests the caller sees (an owner or admin the business's, anyone else their own),
 * oldest first; `status` narrows them, and '' is every status.
 */
export function useTokenRequests(status: RequestStatus | '') {
  const { api, business } = useBusiness();
  return useWholeList(
    [...bizKey(business.id), 'token-requests', status],
    requestCalls(api).page(status || undefined),
  );
}

export const useRequestToken = (onDone?: OnDone<TokenRequest, NewTokenRequest>) =>
  useBusinessMutation((api, body: NewTokenRequest) => requestCalls(api).create(body), onDone);
export const useApproveRequest = (
  onDone?: OnDone<TokenRequest, { request: TokenRequest; reason?: string }>,
) =>
  useBusinessMutation(
    (api, v: { request: TokenRequest; reason?: string }) =>
      requestCalls(api).approve(v.request.id, v.reason),
    onDone,
  );
export const useDenyRequest = (
  onDone?: OnDone<TokenRequest, { request: TokenRequest; reason: string }>,
) =>
  useBusinessMutation(
    (api, v: { request: TokenRequest; reason: string }) =>
      requestCalls(api).deny(v.request.id, v.reason),
    onDone,
  );
export const useWithdrawRequest = (onDone?: OnDone<TokenRequest, TokenRequest>) =>
  useBusinessMutation((api, r: TokenRequest) => requestCalls(api).withdraw(r.id), onDone);
export const useCollectRequest = (onDone?: OnDone<IssuedToken, TokenRequest>) =>
  useBusinessMutation((api, r: TokenRequest) => requestCalls(api).collect(r.id), onDone);
