import { useSession } from '../../session';
import { platformKey, usePlatformMutation, type OnDone } from '../cache';
import { unwrap } from '../call';
import type { LatchkeyClient } from '../client';
import { useWholeList } from '../pages';
import type { PlatformAdmin } from '../types';

export const platformAdminKeys = {
  all: [...platformKey, 'admins'] as const,
};

/** The platform admin routes, typed. */
export const platformAdminCalls = (platform: LatchkeyClient) => ({
  page: (cursor: string | undefined, limit: number) =>
    unwrap(platform.GET('/platform/v1/admins', { params: { query: { limit, cursor } } })),
  add: (email: string) => unwrap(platform.POST('/platform/v1/admins', { body: { email } })),
  remove: (identityId: string) =>
    unwrap(
      platform.DELETE('/platform/v1/admins/{identity_id}', {
        params: { path: { identity_id: identityId } },
      }),
    ),
});

type Calls = ReturnType<typeof platformAdminCalls>;

export function usePlatformAdmins() {
  const { platform } = useSession();
  return useWholeList(platformAdminKeys.all, platformAdminCalls(platform).page);
}

export const useAddPlatformAdmin = (onDone?: OnDone<Awaited<ReturnType<Calls['add']>>, string>) =>
  usePlatformMutation((platform, email: string) => platformAdminCalls(platform).add(email), onDone);
export const useRemovePlatformAdmin = (
  onDone?: OnDone<Awaited<ReturnType<Calls['remove']>>, PlatformAdmin>,
) =>
  usePlatformMutation(
    (platform, a: PlatformAdmin) => platformAdminCalls(platform).remove(a.identity_id),
    onDone,
  );
