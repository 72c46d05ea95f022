import { useBusiness } from '../../session';
import { bizKey, useBusinessMutation, type OnDone } from '../cache';
import { unwrap } from '../call';
import type { LatchkeyClient } from '../client';
import { useWholeList } from '../pages';
import type { Machine } from '../types';

export type MachineRole = 'member' | 'admin';

export const machineKeys = {
  all: (businessId: string) => [...bizKey(businessId), 'machines'] as const,
};

/** The business's machine identity routes, typed. */
export const machineCalls = (api: LatchkeyClient) => ({
  page: (cursor: string | undefined, limit: number) =>
    unwrap(api.GET('/api/v1/machine-identities', { params: { query: { limit, cursor } } })),
  create: (name: string, role: MachineRole) =>
    unwrap(api.POST('/api/v1/machine-identities', { body: { name, role } })),
  remove: (id: string) =>
    unwrap(
      api.DELETE('/api/v1/machine-identities/{identity_id}', {
        params: { path: { identity_id: id } },
      }),
    ),
});

/** Every machine identity of the business (up to WHOLE_LIST_MAX), when the token may list them. */
export function useMachines(enabled = true) {
  const { api, business } = useBusiness();
  return useWholeList(machineKeys.all(business.id), machineCalls(api).page, enabled);
}

type Removed = Awaited<ReturnType<ReturnType<typeof machineCalls>['remove']>>;

export const useCreateMachine = (onDone?: OnDone<Machine, { name: string; role: MachineRole }>) =>
  useBusinessMutation(
    (api, v: { name: string; role: MachineRole }) => machineCalls(api).create(v.name, v.role),
    onDone,
  );
export const useDeleteMachine = (onDone?: OnDone<Removed, Machine>) =>
  useBusinessMutation((api, m: Machine) => machineCalls(api).remove(m.id), onDone);
