import { keepPreviousData, useQueries, useQuery } from '@tanstack/react-query';
import { bizKey, platformKey } from '../cache';
import { body, unwrap } from '../call';
import type { components } from '../client';
import type { TokenView } from '../types';
import { useSession, type Session } from '../../session';
import { tokenKeys } from './tokens.api';

export type Answer = components['schemas']['VerificationAnalyticsDto'];
export type Count = components['schemas']['VerificationCountDto'];
export type Granularity = Answer['granularity'];
export type GroupKey = 'outcome' | 'tag' | 'identity' | 'token';
export type AnalyticsScope = 'business' | 'platform';
export type WindowKey = '1h' | '24h' | '7d' | '30d';
/**
 * Whose calls a read counts: the API's (every caller but the console), or the console's own,
 * which it marks (`X-Latchkey-Client: console`) and the server counts apart.
 */
export type Client = 'api' | 'console';

/** What each client's counts are, as a screen says it beside them. */
export const CLIENTS: Record<Client, { label: string; says: string }> = {
  api: {
    label: 'API calls',
    says: 'The API’s calls: the console’s own (this screen’s among them) are counted apart.',
  },
  console: {
    label: 'Console’s own',
    says: 'The console’s own calls alone, this screen’s among them: none of the API’s.',
  },
};

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Each window the screen offers, with the bucket that reads it best. */
export const WINDOWS: Record<
  WindowKey,
  { label: string; short: string; span: number; granularity: Granularity }
> = {
  '1h': { label: 'Last hour', short: '1 hour', span: HOUR, granularity: 'minute' },
  '24h': { label: 'Last 24 hours', short: '24 hours', span: DAY, granularity: 'hour' },
  '7d': { label: 'Last 7 days', short: '7 days', span: 7 * DAY, granularity: 'day' },
  '30d': { label: 'Last 30 days', short: '30 days', span: 30 * DAY, granularity: 'day' },
};

export const STEP_MS: Record<Granularity, number> = { minute: 60_000, hour: HOUR, day: DAY };

/** What a read asks: the window (from now) and what each bucket is split by. */
export interface CountQuery {
  window: WindowKey;
  groupBy: GroupKey[];
  /** One token's counts alone (the business route's `token_id`). */
  tokenId?: string;
  /** The API's calls unless said. */
  client?: Client;
}

function params(q: CountQuery) {
  const w = WINDOWS[q.window];
  return {
    granularity: w.granularity,
    from: new Date(Date.now() - w.span).toISOString(),
    group_by: q.groupBy.join(','),
    client: q.client ?? 'api',
  };
}

/** The analytics routes of a scope: the business open now, or the platform (every business). */
function calls(session: Session, scope: AnalyticsScope) {
  const { api, platform, business } = session;
  if (scope === 'platform') {
    return {
      key: [...platformKey, 'analytics'] as const,
      read: (q: CountQuery) =>
        unwrap(
          platform.GET('/platform/v1/analytics/verifications', { params: { query: params(q) } }),
        ),
      exportFile: (q: CountQuery, format: 'csv' | 'ndjson') =>
        body(
          platform.GET('/platform/v1/analytics/verifications/export', {
            params: { query: { ...params(q), format } },
            parseAs: 'blob',
          }),
        ),
    };
  }
  if (!api || !business) throw new Error('no business is open');
  return {
    key: [...bizKey(business.id), 'analytics'] as const,
    read: (q: CountQuery) =>
      unwrap(
        api.GET('/api/v1/analytics/verifications', {
          params: { query: q.tokenId ? { ...params(q), token_id: q.tokenId } : params(q) },
        }),
      ),
    exportFile: (q: CountQuery, format: 'csv' | 'ndjson') =>
      body(
        api.GET('/api/v1/analytics/verifications/export', {
          params: { query: { ...params(q), format } },
          parseAs: 'blob',
        }),
      ),
  };
}

/** Verification counts over a window, as the caller may see them. */
export function useVerifications(scope: AnalyticsScope, q: CountQuery) {
  const session = useSession();
  const c = calls(session, scope);
  return useQuery({
    queryKey: [...c.key, q.window, q.groupBy.join(','), q.tokenId ?? '', q.client ?? 'api'],
    queryFn: () => c.read(q),
    placeholderData: keepPreviousData,
    // Counts are written every 5 s and rolled up every minute: an open screen follows them.
    refetchInterval: 30_000,
  });
}

/** The export of a window's counts, as a Blob to save. */
export function exportVerifications(
  session: Session,
  scope: AnalyticsScope,
  q: CountQuery,
  format: 'csv' | 'ndjson',
): Promise<Blob> {
  return calls(session, scope).exportFile(q, format);
}

/** The token views the queries found, by id. Outside the hook, so TanStack keeps its result. */
function byId(results: { data?: TokenView | TokenView[] }[]): Map<string, TokenView> {
  const out = new Map<string, TokenView>();
  for (const r of results) {
    for (const t of Array.isArray(r.data) ? r.data : r.data ? [r.data] : []) out.set(t.id, t);
  }
  return out;
}

/**
 * The tokens behind the top rows, to name them: in a business each by id (the token page's
 * query); on the platform, where no route reads one token by id, each holder's tokens (200 at
 * most), the ids looked up among them.
 */
export function useTokenViews(
  scope: AnalyticsScope,
  tokens: readonly { id: string; identityId: string | null }[],
): Map<string, TokenView> {
  const { api, platform, business } = useSession();
  const holders = [...new Set(tokens.flatMap((t) => (t.identityId ? [t.identityId] : [])))];
  const queries =
    scope === 'platform'
      ? holders.map((id) => ({
          queryKey: [...platformKey, 'tokens', 'of-holder', id],
          queryFn: async (): Promise<TokenView | TokenView[]> =>
            (
              await unwrap(
                platform.GET('/platform/v1/tokens', {
                  params: { query: { identity_id: id, limit: 200 } },
                }),
              )
            ).items,
          staleTime: 60_000,
        }))
      : tokens.map((t) => ({
          queryKey: tokenKeys.one(business?.id ?? '-', t.id),
          queryFn: (): Promise<TokenView | TokenView[]> =>
            unwrap(api!.GET('/api/v1/tokens/{token_id}', { params: { path: { token_id: t.id } } })),
          staleTime: 60_000,
        }));
  return useQueries({ queries, combine: byId });
}
