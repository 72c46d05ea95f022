import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { unwrap } from '../api/call';
import type { Machine, Member } from '../api/types';
import type { Holder } from '../permissions';
import { useBusiness } from '../session';

/** `value`, once it has stopped changing for `ms`. */
export function useDebounced<T>(value: T, ms = 300): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A datetime-local value (the viewer's local time) as an RFC 3339 instant, or undefined. */
export function localToIso(value: string): string | undefined {
  if (!value) return undefined;
  const t = new Date(value);
  return Number.isNaN(t.getTime()) ? undefined : t.toISOString();
}

/** Everything cached for the business open now is stale after a change. */
export function useInvalidateBusiness(): () => Promise<void> {
  const queryClient = useQueryClient();
  const { business } = useBusiness();
  return useCallback(
    () => queryClient.invalidateQueries({ queryKey: ['biz', business.id] }),
    [queryClient, business.id],
  );
}

export interface Holders {
  /** identity id → email or machine name, for the people and machines the caller may list. */
  labels: Map<string, string>;
  /** identity id → kind and role, for the token policy (see `mayActOn`). */
  byId: Map<string, Holder>;
  machines: Machine[];
  members: Member[];
}

/** The business's members and machines (first 200 of each), when the token may read them. */
export function useHolders(): Holders {
  const { api, business, caps } = useBusiness();
  const members = useQuery({
    queryKey: ['biz', business.id, 'members', 'first-200'],
    queryFn: () => unwrap(api.GET('/api/v1/members', { params: { query: { limit: 200 } } })),
    enabled: caps.membersRead,
  });
  const machines = useQuery({
    queryKey: ['biz', business.id, 'machines', 'first-200'],
    queryFn: () =>
      unwrap(api.GET('/api/v1/machine-identities', { params: { query: { limit: 200 } } })),
    enabled: caps.membersRead,
  });
  return useMemo(() => {
    const labels = new Map<string, string>();
    const byId = new Map<string, Holder>();
    for (const m of members.data?.items ?? []) {
      labels.set(m.identity_id, m.email ?? m.name ?? m.identity_id);
      byId.set(m.identity_id, { id: m.identity_id, kind: 'user', role: m.role });
    }
    for (const m of machines.data?.items ?? []) {
      labels.set(m.id, `machine:${m.name}`);
      byId.set(m.id, { id: m.id, kind: 'machine', role: m.role ?? null });
    }
    return {
      labels,
      byId,
      machines: machines.data?.items ?? [],
      members: members.data?.items ?? [],
    };
  }, [members.data, machines.data]);
}
