import { useBusiness } from '../../session';
import { bizKey, useBusinessMutation, type OnDone } from '../cache';
import { unwrap } from '../call';
import type { LatchkeyClient } from '../client';
import { useWholeList } from '../pages';
import type { Member, Role } from '../types';

export const memberKeys = {
  all: (businessId: string) => [...bizKey(businessId), 'members'] as const,
};

/** The business's member routes, typed. */
export const memberCalls = (api: LatchkeyClient) => ({
  page: (cursor: string | undefined, limit: number) =>
    unwrap(api.GET('/api/v1/members', { params: { query: { limit, cursor } } })),
  add: (email: string, role: Role) =>
    unwrap(api.POST('/api/v1/members', { body: { email, role } })),
  changeRole: (identityId: string, role: Role) =>
    unwrap(
      api.PATCH('/api/v1/members/{identity_id}', {
        params: { path: { identity_id: identityId } },
        body: { role },
      }),
    ),
  reissueFirstToken: (identityId: string) =>
    unwrap(
      api.POST('/api/v1/members/{identity_id}/token', {
        params: { path: { identity_id: identityId } },
        body: {},
      }),
    ),
  remove: (identityId: string) =>
    unwrap(
      api.DELETE('/api/v1/members/{identity_id}', {
        params: { path: { identity_id: identityId } },
      }),
    ),
});

/** Every member of the business (up to WHOLE_LIST_MAX), when the token may list them. */
export function useMembers(enabled = true) {
  const { api, business } = useBusiness();
  return useWholeList(memberKeys.all(business.id), memberCalls(api).page, enabled);
}

type Reissued = Awaited<ReturnType<ReturnType<typeof memberCalls>['reissueFirstToken']>>;
type Added = Awaited<ReturnType<ReturnType<typeof memberCalls>['add']>>;
type Removed = Awaited<ReturnType<ReturnType<typeof memberCalls>['remove']>>;

export const useAddMember = (onDone?: OnDone<Added, { email: string; role: Role }>) =>
  useBusinessMutation(
    (api, v: { email: string; role: Role }) => memberCalls(api).add(v.email, v.role),
    onDone,
  );
export const useChangeRole = (onDone?: OnDone<Member, { member: Member; role: Role }>) =>
  useBusinessMutation(
    (api, v: { member: Member; role: Role }) =>
      memberCalls(api).changeRole(v.member.identity_id, v.role),
    onDone,
  );
export const useReissueFirstToken = (onDone?: OnDone<Reissued, Member>) =>
  useBusinessMutation(
    (api, m: Member) => memberCalls(api).reissueFirstToken(m.identity_id),
    onDone,
  );
export const useRemoveMember = (onDone?: OnDone<Removed, Member>) =>
  useBusinessMutation((api, m: Member) => memberCalls(api).remove(m.identity_id), onDone);
