import { bizKey, useBusinessMutation, type OnDone } from '../../api/cache';
import { unwrap } from '../../api/call';
import type { components, LatchkeyClient } from '../../api/client';
import { PAGE_SIZE, useKeyset } from '../../api/keyset';
import { useBusiness } from '../../session';

export type ConnectedApp = components['schemas']['ConnectedAppDto'];
export type WithdrawnApp = components['schemas']['WithdrawnAppDto'];

const connectedAppKeys = {
  list: (businessId: string) => [...bizKey(businessId), 'connected-apps'] as const,
};

const connectedAppCalls = (api: LatchkeyClient) => ({
  page: (cursor: string | undefined, limit = PAGE_SIZE) =>
    unwrap(api.GET('/api/v1/connected-apps', { params: { query: { limit, cursor } } })),
  withdraw: (id: string) =>
    unwrap(
      api.DELETE('/api/v1/connected-apps/{consent_id}', { params: { path: { consent_id: id } } }),
    ),
});

/** The signed-in person's own connected apps in the business. */
export function useConnectedApps() {
  const { api, business } = useBusiness();
  return useKeyset(connectedAppKeys.list(business.id), (cursor) =>
    connectedAppCalls(api).page(cursor),
  );
}

export const useWithdrawApp = (onDone?: OnDone<WithdrawnApp, ConnectedApp>) =>
  useBusinessMutation((api, app: ConnectedApp) => connectedAppCalls(api).withdraw(app.id), onDone);

/** An app as its metadata names it: checked by nobody, so always shown as unverified. */
export const appName = (app: { client_name: string | null; client_id: string }) =>
  app.client_name ?? app.client_id;
