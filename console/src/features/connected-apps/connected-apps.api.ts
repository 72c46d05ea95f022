import { bizKey, useBusinessMutation, type OnDone } from '../../api/cache';
import { unwrap } from '../../api/call';
import type { components, LatchkeyClient } from '../../api/client';
import { PAGE_SIZE, useKeyset } from '../../api/keyset';
import { useBusiness } from '../../session';

export type ConnectedApp = components['schemas']['ConnectedAppDto'];
export type WithdrawnApp = components['schemas']['WithdrawnAppDto'];
export type AppRequest = components['schemas']['ConsentRequestViewDto'];
export type AppRequestStatus = AppRequest['status'];

const connectedAppKeys = {
  list: (businessId: string) => [...bizKey(businessId), 'connected-apps'] as const,
  requests: (businessId: string, status: AppRequestStatus | undefined) =>
    [...bizKey(businessId), 'connected-app-requests', status ?? 'any'] as const,
};

const requestPath = (id: string) => ({ params: { path: { request_id: id } } });

const connectedAppCalls = (api: LatchkeyClient) => ({
  page: (cursor: string | undefined, limit = PAGE_SIZE) =>
    unwrap(api.GET('/api/v1/connected-apps', { params: { query: { limit, cursor } } })),
  withdraw: (id: string) =>
    unwrap(
      api.DELETE('/api/v1/connected-apps/{consent_id}', { params: { path: { consent_id: id } } }),
    ),
  requests: (status: AppRequestStatus | undefined, cursor: string | undefined) =>
    unwrap(
      api.GET('/api/v1/connected-apps/requests', {
        params: { query: { limit: PAGE_SIZE, cursor, status } },
      }),
    ),
  approve: (id: string) =>
    unwrap(
      api.POST('/api/v1/connected-apps/requests/{request_id}/approve', {
        ...requestPath(id),
        body: {},
      }),
    ),
  deny: (id: string, reason: string) =>
    unwrap(
      api.POST('/api/v1/connected-apps/requests/{request_id}/deny', {
        ...requestPath(id),
        body: { reason },
      }),
    ),
});

/** The signed-in person's own connected apps in the business. */
export function useConnectedApps() {
  const { api, business } = useBusiness();
  return useKeyset(connectedAppKeys.list(business.id), (cursor) =>
    connectedAppCalls(api).page(cursor),
  );
}

/**
 * Requests for scopes the business keeps for approvers: an approver (owner or admin with
 * tokens:admin) reads the business's, anyone else their own; `status` narrows them.
 */
export function useAppRequests(status?: AppRequestStatus) {
  const { api, business } = useBusiness();
  return useKeyset(connectedAppKeys.requests(business.id, status), (cursor) =>
    connectedAppCalls(api).requests(status, cursor),
  );
}

export const useApproveAppRequest = (onDone?: OnDone<AppRequest, AppRequest>) =>
  useBusinessMutation((api, r: AppRequest) => connectedAppCalls(api).approve(r.id), onDone);

/** A denial's call, for ReasonDialog: the reason is the asker's to read. */
export const denyAppRequest = (api: LatchkeyClient, r: AppRequest, reason: string) =>
  connectedAppCalls(api).deny(r.id, reason);

export const useWithdrawApp = (onDone?: OnDone<WithdrawnApp, ConnectedApp>) =>
  useBusinessMutation((api, app: ConnectedApp) => connectedAppCalls(api).withdraw(app.id), onDone);

/** An app as its metadata names it: checked by nobody, so always shown as unverified. */
export const appName = (app: { client_name: string | null; client_id: string }) =>
  app.client_name ?? app.client_id;
