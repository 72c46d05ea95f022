import { useDeleteWebhook } from './webhooks.api';
import { WEBHOOK_EVENT_TYPES } from '../../../../src/webhooks/webhook-event-types';
import type { Webhook, WebhookEventType } from '../../api/types';
import { useBusiness } from '../../session';
import { ConfirmDialog } from '../../ui/dialogs/ConfirmDialog';
import { Badge } from '../../ui/lists/Table';

/** What an endpoint may subscribe to, as the server declares it (one list, never a copy). */
export const EVENT_TYPES: readonly WebhookEventType[] = WEBHOOK_EVENT_TYPES;

export function WebhookState({ hook }: { hook: Webhook }) {
  if (hook.enabled) return <Badge tone="ok">enabled</Badge>;
  return (
    <Badge tone="bad">
      {hook.disabled_reason ? `disabled (${hook.disabled_reason})` : 'disabled'}
    </Badge>
  );
}

/** Delete's confirmation: the endpoint stops receiving at once, and its queued messages die. */
export function DeleteWebhookDialog({
  hook,
  onClose,
  onDone,
}: {
  hook: Webhook;
  onClose: () => void;
  onDone: (m: string) => void;
}) {
  const { business } = useBusiness();
  const remove = useDeleteWebhook(() => onDone('Deleted the endpoint.'));
  return (
    <ConfirmDialog
      title="Delete the endpoint"
      confirm="Delete endpoint"
      mutation={remove}
      subject={hook}
      onClose={onClose}
    >
      <p>
        <span className="wrap">{hook.url}</span> gets no more events from {business.name}, and what
        is still queued for it is dropped. This cannot be undone; to pause it instead, disable it.
      </p>
    </ConfirmDialog>
  );
}
