import { useQuery } from '@tanstack/react-query';
import { useBusiness } from '../../session';
import { bizKey, useBusinessMutation, type OnDone } from '../cache';
import { unwrap } from '../call';
import type { components, LatchkeyClient } from '../client';
import type { WholeList } from '../pages';
import type { Member, Role } from '../types';

export type CustomRole = components['schemas']['CustomRoleViewDto'];
export type NewCustomRole = components['schemas']['CreateCustomRoleDto'];
export type GroupRule = components['schemas']['GroupRoleViewDto'];
type Assignment = components['schemas']['CustomRoleAssignmentDto'];

export const roleKeys = {
  custom: (businessId: string) => [...bizKey(businessId), 'custom-roles'] as const,
  groups: (businessId: string) => [...bizKey(businessId), 'sso-group-roles'] as const,
};

const rolePath = (id: string) => ({ params: { path: { role_id: id } } });

/** The business's custom-role and group-rule routes, typed. */
export const roleCalls = (api: LatchkeyClient) => ({
  list: () => unwrap(api.GET('/api/v1/custom-roles')),
  create: (body: NewCustomRole) => unwrap(api.POST('/api/v1/custom-roles', { body })),
  setScopes: (id: string, scopes: string[]) =>
    unwrap(api.PATCH('/api/v1/custom-roles/{role_id}', { ...rolePath(id), body: { scopes } })),
  remove: (id: string) => unwrap(api.DELETE('/api/v1/custom-roles/{role_id}', rolePath(id))),
  assign: (identityId: string, customRoleId: string | null) =>
    unwrap(
      api.PUT('/api/v1/custom-roles/holders/{identity_id}', {
        params: { path: { identity_id: identityId } },
        body: { custom_role_id: customRoleId },
      }),
    ),
  groups: () => unwrap(api.GET('/api/v1/sso/group-roles')),
  setGroup: (group: string, role: Role) =>
    unwrap(api.PUT('/api/v1/sso/group-roles', { body: { group, role } })),
  removeGroup: (id: string) =>
    unwrap(api.DELETE('/api/v1/sso/group-roles/{rule_id}', { params: { path: { rule_id: id } } })),
});

/** A list the API answers in one page (it holds a small bound), as a whole list. */
const whole = async <T>(page: Promise<{ items: T[] }>): Promise<WholeList<T>> => ({
  items: (await page).items,
  truncated: false,
});

/** The business's custom roles (at most 50, so one unpaged answer). */
export function useCustomRoles(enabled = true) {
  const { api, business } = useBusiness();
  return useQuery({
    queryKey: roleKeys.custom(business.id),
    queryFn: () => whole(roleCalls(api).list()),
    enabled,
  });
}

/** The business's SSO group rules (at most 100). */
export function useGroupRules() {
  const { api, business } = useBusiness();
  return useQuery({
    queryKey: roleKeys.groups(business.id),
    queryFn: () => whole(roleCalls(api).groups()),
  });
}

export const useCreateCustomRole = (onDone?: OnDone<CustomRole, NewCustomRole>) =>
  useBusinessMutation((api, body: NewCustomRole) => roleCalls(api).create(body), onDone);
export const useSetRoleScopes = (
  onDone?: OnDone<CustomRole, { role: CustomRole; scopes: string[] }>,
) =>
  useBusinessMutation(
    (api, v: { role: CustomRole; scopes: string[] }) =>
      roleCalls(api).setScopes(v.role.id, v.scopes),
    onDone,
  );
export const useDeleteCustomRole = (onDone?: OnDone<CustomRole, CustomRole>) =>
  useBusinessMutation((api, r: CustomRole) => roleCalls(api).remove(r.id), onDone);
export const useAssignCustomRole = (
  onDone?: OnDone<Assignment, { member: Member; role: CustomRole | null }>,
) =>
  useBusinessMutation(
    (api, v: { member: Member; role: CustomRole | null }) =>
      roleCalls(api).assign(v.member.identity_id, v.role?.id ?? null),
    onDone,
  );
export const useSetGroupRule = (onDone?: OnDone<GroupRule, { group: string; role: Role }>) =>
  useBusinessMutation(
    (api, v: { group: string; role: Role }) => roleCalls(api).setGroup(v.group, v.role),
    onDone,
  );
export const useRemoveGroupRule = (onDone?: OnDone<GroupRule, GroupRule>) =>
  useBusinessMutation((api, r: GroupRule) => roleCalls(api).removeGroup(r.id), onDone);
