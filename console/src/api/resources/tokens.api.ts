import { useQuery } from '@tanstack/react-query';
import { useBusiness } from '../../session';
import { bizKey, useBusinessMutation, type OnDone } from '../cache';
import { envelope, unwrap } from '../call';
import type { components, LatchkeyClient } from '../client';
import { PAGE_SIZE, useKeyset } from '../keyset';
import {
  TOKEN_ROW_FIELDS,
  type IssuedToken,
  type Page,
  type TokenEdit,
  type TokenRow,
} from '../types';

type Schemas = components['schemas'];
export type CreateTokenBody = Schemas['CreateTokenDto'];
export type BulkRevokeBody = Schemas['BulkRevokeDto'];
export type TokenSort = 'created_at' | '-created_at' | 'last_used_at';
export type TokenStatus = 'active' | 'disabled' | 'expired' | 'revoked';

/** A token list's filters, as the API takes them; empty ones are left out. */
export interface TokenQuery {
  sort: TokenSort;
  status?: TokenStatus;
  identity_id?: string;
  /** Name, preview, or holder's email or machine name (the API's `q`). */
  q?: string;
}

/** The API's query of a token list: only the filters given. */
export function tokenParams(query: TokenQuery) {
  return {
    sort: query.sort,
    ...(query.status ? { status: query.status } : {}),
    ...(query.identity_id ? { identity_id: query.identity_id } : {}),
    ...(query.q ? { q: query.q } : {}),
  };
}

export const tokenKeys = {
  all: (businessId: string) => [...bizKey(businessId), 'tokens'] as const,
  list: (businessId: string, query: TokenQuery) =>
    [...tokenKeys.all(businessId), 'list', query] as const,
  one: (businessId: string, id: string) => [...tokenKeys.all(businessId), 'one', id] as const,
  usage: (businessId: string, id: string) => [...tokenKeys.all(businessId), 'usage', id] as const,
  risky: (businessId: string) => [...tokenKeys.all(businessId), 'risky'] as const,
};

/** The business's token routes, typed. */
export const tokenCalls = (api: LatchkeyClient) => ({
  list: (query: TokenQuery, cursor?: string, limit = PAGE_SIZE): Promise<Page<TokenRow>> =>
    unwrap(
      api.GET('/api/v1/tokens', {
        params: { query: { ...tokenParams(query), fields: [...TOKEN_ROW_FIELDS], cursor, limit } },
      }),
    ),
  get: (id: string) =>
    unwrap(api.GET('/api/v1/tokens/{token_id}', { params: { path: { token_id: id } } })),
  create: (body: CreateTokenBody) => unwrap(api.POST('/api/v1/tokens', { body })),
  revoke: (id: string, reason: string) =>
    envelope(
      api.POST('/api/v1/tokens/{token_id}/revoke', {
        params: { path: { token_id: id } },
        body: { reason },
      }),
    ),
  rotate: (id: string, graceSeconds: number) =>
    unwrap(
      api.POST('/api/v1/tokens/{token_id}/rotate', {
        params: { path: { token_id: id } },
        body: { grace_period_seconds: graceSeconds },
      }),
    ),
  update: (id: string, body: TokenEdit) =>
    unwrap(api.PATCH('/api/v1/tokens/{token_id}', { params: { path: { token_id: id } }, body })),
  disable: (id: string, reason: string, includeChildren = false) =>
    unwrap(
      api.POST('/api/v1/tokens/{token_id}/disable', {
        params: { path: { token_id: id } },
        body: { reason, include_children: includeChildren },
      }),
    ),
  enable: (id: string) =>
    unwrap(api.POST('/api/v1/tokens/{token_id}/enable', { params: { path: { token_id: id } } })),
  bulkRevoke: (body: BulkRevokeBody) => unwrap(api.POST('/api/v1/tokens/bulk-revoke', { body })),
  usage: (id: string, window?: { from: string; to: string }) =>
    unwrap(
      api.GET('/api/v1/tokens/{token_id}/usage', {
        params: { path: { token_id: id }, query: window ?? {} },
      }),
    ),
  risky: (cursor?: string, limit = PAGE_SIZE) =>
    unwrap(api.GET('/api/v1/tokens/risky', { params: { query: { limit, cursor } } })),
});

export function useTokenList(query: TokenQuery) {
  const { api, business } = useBusiness();
  return useKeyset(tokenKeys.list(business.id, query), (cursor) =>
    tokenCalls(api).list(query, cursor),
  );
}

export function useToken(id: string, enabled = true) {
  const { api, business } = useBusiness();
  return useQuery({
    queryKey: tokenKeys.one(business.id, id),
    queryFn: () => tokenCalls(api).get(id),
    enabled,
  });
}

export function useTokenUsage(id: string) {
  const { api, business } = useBusiness();
  return useQuery({
    queryKey: tokenKeys.usage(business.id, id),
    queryFn: () => tokenCalls(api).usage(id),
  });
}

export function useRiskyTokens() {
  const { api, business } = useBusiness();
  return useKeyset(tokenKeys.risky(business.id), (cursor) => tokenCalls(api).risky(cursor));
}

export const useCreateToken = (onDone?: OnDone<IssuedToken, CreateTokenBody>) =>
  useBusinessMutation((api, body: CreateTokenBody) => tokenCalls(api).create(body), onDone);
export const useRevokeToken = () =>
  useBusinessMutation((api, v: { id: string; reason: string }) =>
    tokenCalls(api).revoke(v.id, v.reason),
  );
export const useRotateToken = () =>
  useBusinessMutation((api, v: { id: string; graceSeconds: number }) =>
    tokenCalls(api).rotate(v.id, v.graceSeconds),
  );
/** Bulk revoke, a dry run (`dry_run: true`) or for real. */
export const useBulkRevoke = () =>
  useBusinessMutation((api, body: BulkRevokeBody) => tokenCalls(api).bulkRevoke(body));
/** A PATCH: a rename, meta, or a narrowing (a widening is 403 WIDENING_NOT_ALLOWED). */
export const useUpdateToken = () =>
  useBusinessMutation((api, v: { id: string; body: TokenEdit }) =>
    tokenCalls(api).update(v.id, v.body),
  );
/** Pauses a token: refused (401 TOKEN_DISABLED) until enabled, not revoked. */
export const useDisableToken = () =>
  useBusinessMutation((api, v: { id: string; reason: string; includeChildren: boolean }) =>
    tokenCalls(api).disable(v.id, v.reason, v.includeChildren),
  );
export const useEnableToken = () =>
  useBusinessMutation((api, id: string) => tokenCalls(api).enable(id));
