import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { bizKey } from './cache';
import { unwrap } from './call';
import type { Holder } from '../permissions';
import { useBusiness } from '../session';
import { useBusinesses } from './resources/businesses.api';
import { useMachines } from './resources/machines.api';
import { useMembers } from './resources/members.api';
import type { Machine, Member } from './types';

/** A person or machine of the business, as the console names it. */
export interface Named extends Holder {
  /** An email for a person, a name for a machine. */
  label: string;
}

export interface Directory {
  /** identity id → who it is, for the people and machines the caller may list. */
  byId: Map<string, Named>;
  members: Member[];
  machines: Machine[];
}

/**
 * The business's people and machines (when the token may list them), to name holders, actors and
 * targets by email or name, to pick them in filters, and to read the token policy's target class.
 */
export function useDirectory(): Directory {
  const { caps } = useBusiness();
  const members = useMembers(caps.membersRead);
  const machines = useMachines(caps.membersRead);
  const former = useFormerHolders(caps.membersRead);
  return useMemo(() => {
    const byId = new Map<string, Named>();
    // Who held tokens and is no member now: named still, and said to be gone.
    for (const f of former.data?.items ?? []) {
      const gone = f.kind === 'machine' ? 'deleted' : 'former member';
      byId.set(f.id, { id: f.id, kind: f.kind, role: null, label: `${f.label} (${gone})` });
    }
    for (const m of members.data?.items ?? []) {
      const label = m.email ?? m.name ?? m.identity_id;
      byId.set(m.identity_id, { id: m.identity_id, kind: 'user', role: m.role, label });
    }
    for (const m of machines.data?.items ?? []) {
      byId.set(m.id, { id: m.id, kind: 'machine', role: m.role ?? null, label: m.name });
    }
    return {
      byId,
      members: members.data?.items ?? [],
      machines: machines.data?.items ?? [],
    };
  }, [members.data, machines.data, former.data]);
}

/** GET /api/v1/former-holders: the holders of old tokens who are members no more. */
function useFormerHolders(enabled: boolean) {
  const { api, business } = useBusiness();
  return useQuery({
    queryKey: [...bizKey(business.id), 'former-holders'],
    queryFn: () => unwrap(api.GET('/api/v1/former-holders')),
    enabled,
    staleTime: 60_000,
  });
}

/** business id → name, for the platform screens (every business, up to WHOLE_LIST_MAX). */
export function useBusinessNames(enabled = true): Map<string, string> {
  const businesses = useBusinesses(enabled);
  return useMemo(
    () => new Map((businesses.data?.items ?? []).map((b) => [b.id, b.name])),
    [businesses.data],
  );
}
