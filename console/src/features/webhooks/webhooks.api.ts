import { useQuery } from '@tanstack/react-query';
import { useBusiness } from '../../session';
import { bizKey, useBusinessMutation, type OnDone } from '../../api/cache';
import { unwrap } from '../../api/call';
import type { components, LatchkeyClient } from '../../api/client';
import { PAGE_SIZE, useKeyset } from '../../api/keyset';
import { useWholeList } from '../../api/pages';
import type { Webhook } from '../../api/types';

export type CreateWebhookBody = components['schemas']['CreateWebhookDto'];

export const webhookKeys = {
  all: (businessId: string) => [...bizKey(businessId), 'webhooks'] as const,
  list: (businessId: string) => [...webhookKeys.all(businessId), 'list'] as const,
  one: (businessId: string, id: string) => [...webhookKeys.all(businessId), 'one', id] as const,
  deliveries: (businessId: string, id: string) =>
    [...webhookKeys.all(businessId), 'deliveries', id] as const,
  message: (businessId: string, id: string, messageId: string) =>
    [...webhookKeys.all(businessId), 'message', id, messageId] as const,
};

const path = (id: string) => ({ params: { path: { webhook_id: id } } });

/** The business's webhook routes, typed. */
export const webhookCalls = (api: LatchkeyClient) => ({
  page: (cursor: string | undefined, limit: number) =>
    unwrap(api.GET('/api/v1/webhooks', { params: { query: { limit, cursor } } })),
  get: (id: string) => unwrap(api.GET('/api/v1/webhooks/{webhook_id}', path(id))),
  create: (body: CreateWebhookBody) => unwrap(api.POST('/api/v1/webhooks', { body })),
  setEnabled: (id: string, enabled: boolean) =>
    unwrap(api.PATCH('/api/v1/webhooks/{webhook_id}', { ...path(id), body: { enabled } })),
  remove: (id: string) => unwrap(api.DELETE('/api/v1/webhooks/{webhook_id}', path(id))),
  test: (id: string) => unwrap(api.POST('/api/v1/webhooks/{webhook_id}/test', path(id))),
  rotateSecret: (id: string) =>
    unwrap(api.POST('/api/v1/webhooks/{webhook_id}/rotate-secret', path(id))),
  deliveries: (id: string, cursor?: string, limit = PAGE_SIZE) =>
    unwrap(
      api.GET('/api/v1/webhooks/{webhook_id}/deliveries', {
        params: { path: { webhook_id: id }, query: { limit, cursor } },
      }),
    ),
  message: (id: string, messageId: string) =>
    unwrap(
      api.GET('/api/v1/webhooks/{webhook_id}/deliveries/{message_id}', {
        params: { path: { webhook_id: id, message_id: messageId } },
      }),
    ),
  redeliver: (id: string, messageId: string) =>
    unwrap(
      api.POST('/api/v1/webhooks/{webhook_id}/deliveries/{message_id}/redeliver', {
        params: { path: { webhook_id: id, message_id: messageId } },
      }),
    ),
});

type Calls = ReturnType<typeof webhookCalls>;
type Answer<K extends keyof Calls> = Awaited<ReturnType<Calls[K]>>;

/** Every endpoint of the business (up to WHOLE_LIST_MAX). */
export function useWebhooks() {
  const { api, business } = useBusiness();
  return useWholeList(webhookKeys.list(business.id), webhookCalls(api).page);
}

export function useWebhook(id: string, enabled = true) {
  const { api, business } = useBusiness();
  return useQuery({
    queryKey: webhookKeys.one(business.id, id),
    queryFn: () => webhookCalls(api).get(id),
    enabled,
  });
}

export function useDeliveries(id: string) {
  const { api, business } = useBusiness();
  return useKeyset(webhookKeys.deliveries(business.id, id), (cursor) =>
    webhookCalls(api).deliveries(id, cursor),
  );
}

/** One delivered message: its payload as it was sent. */
export function useWebhookMessage(id: string, messageId: string) {
  const { api, business } = useBusiness();
  return useQuery({
    queryKey: webhookKeys.message(business.id, id, messageId),
    queryFn: () => webhookCalls(api).message(id, messageId),
    staleTime: Infinity,
  });
}

export const useCreateWebhook = (onDone?: OnDone<Answer<'create'>, CreateWebhookBody>) =>
  useBusinessMutation((api, body: CreateWebhookBody) => webhookCalls(api).create(body), onDone);
/** Enables a disabled endpoint, or disables an enabled one. */
export const useToggleWebhook = (onDone?: OnDone<Answer<'setEnabled'>, Webhook>) =>
  useBusinessMutation((api, h: Webhook) => webhookCalls(api).setEnabled(h.id, !h.enabled), onDone);
export const useDeleteWebhook = (onDone?: OnDone<Answer<'remove'>, Webhook>) =>
  useBusinessMutation((api, h: Webhook) => webhookCalls(api).remove(h.id), onDone);
export const useTestWebhook = (onDone?: OnDone<Answer<'test'>, string>) =>
  useBusinessMutation((api, id: string) => webhookCalls(api).test(id), onDone);
export const useRotateWebhookSecret = () =>
  useBusinessMutation((api, id: string) => webhookCalls(api).rotateSecret(id));
export const useRedeliver = (
  onDone?: OnDone<Answer<'redeliver'>, { id: string; messageId: string }>,
) =>
  useBusinessMutation(
    (api, v: { id: string; messageId: string }) => webhookCalls(api).redeliver(v.id, v.messageId),
    onDone,
  );
