import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { useSession } from '../../session';
import { platformKey } from '../cache';
import { unwrap } from '../call';
import type { components } from '../client';

export type IdentityName = components['schemas']['IdentityNameDto'];

export const identityNameKeys = {
  of: (ids: readonly string[]) => [...platformKey, 'identity-names', ids] as const,
};

/**
 * Who the identities of a platform screen are (GET /platform/v1/identities, 200 at a time):
 * id → email or machine name. Ids it does not know stay absent.
 */
export function useIdentityNames(ids: readonly string[]): Map<string, IdentityName> {
  const { platform } = useSession();
  const wanted = useMemo(() => [...new Set(ids)].sort().slice(0, 200), [ids]);
  const names = useQuery({
    queryKey: identityNameKeys.of(wanted),
    queryFn: () =>
      unwrap(platform.GET('/platform/v1/identities', { params: { query: { id: wanted } } })),
    enabled: wanted.length > 0,
    staleTime: 60_000,
    placeholderData: keepPreviousData,
  });
  return useMemo(() => new Map((names.data?.items ?? []).map((n) => [n.id, n])), [names.data]);
}
