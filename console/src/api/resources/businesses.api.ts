import { useSession } from '../../session';
import { platformKey, usePlatformMutation, type OnDone } from '../cache';
import { unwrap } from '../call';
import type { LatchkeyClient } from '../client';
import { useWholeList } from '../pages';
import type { Business } from '../types';

export const businessKeys = {
  all: [...platformKey, 'businesses'] as const,
};

/** The platform's business routes, typed. */
export const businessCalls = (platform: LatchkeyClient) => ({
  page: (cursor: string | undefined, limit: number) =>
    unwrap(platform.GET('/platform/v1/businesses', { params: { query: { limit, cursor } } })),
  create: (name: string, ownerEmail: string) =>
    unwrap(platform.POST('/platform/v1/businesses', { body: { name, owner_email: ownerEmail } })),
  setStatus: (b: Business, status: Business['status']) =>
    status === 'suspended'
      ? unwrap(
          platform.POST('/platform/v1/businesses/{business_id}/suspend', {
            params: { path: { business_id: b.id } },
          }),
        )
      : unwrap(
          platform.POST('/platform/v1/businesses/{business_id}/resume', {
            params: { path: { business_id: b.id } },
          }),
        ),
});

type Created = Awaited<ReturnType<ReturnType<typeof businessCalls>['create']>>;

/** Every business (up to WHOLE_LIST_MAX): the platform's list, pickers and names. */
export function useBusinesses(enabled = true) {
  const { platform } = useSession();
  return useWholeList(businessKeys.all, businessCalls(platform).page, enabled);
}

export const useCreateBusiness = (onDone?: OnDone<Created, { name: string; owner: string }>) =>
  usePlatformMutation(
    (platform, v: { name: string; owner: string }) =>
      businessCalls(platform).create(v.name, v.owner),
    onDone,
  );
/** Suspends an active business, or resumes a suspended one. */
export const useToggleBusiness = (onDone?: OnDone<Business, Business>) =>
  usePlatformMutation(
    (platform, b: Business) =>
      businessCalls(platform).setStatus(b, b.status === 'active' ? 'suspended' : 'active'),
    onDone,
  );
