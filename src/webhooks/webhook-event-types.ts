/**
 * The event types an endpoint may ask for. All but `audit.event` and `webhook.*` are audit
 * actions of the same name; `audit.event` is every event of the chain, for a SIEM.
 */
export const WEBHOOK_EVENT_TYPES = [
  'token.created',
  'token.revoked',
  'token.rotated',
  'token.expiring',
  'token.expired',
  'token.inactive_soon',
  'token.rejected',
  'token.leaked',
  'token.disabled',
  'token.enabled',
  'token.exchanged',
  'member.added',
  'member.removed',
  'business.suspended',
  'business.resumed',
  'webhook.disabled',
  'audit.event',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Sent by `POST …/test` alone, whatever the endpoint asked for. */
export const TEST_EVENT_TYPE = 'webhook.test';

/** What an endpoint's `event_types` may hold: the types above, or `*` for all of them. */
export const SUBSCRIBABLE = [...WEBHOOK_EVENT_TYPES, '*'] as const;

const TYPED = new Set<string>(WEBHOOK_EVENT_TYPES.filter((t) => t !== 'audit.event'));

/** The types an appended audit event is sent as, to the endpoints of its own chain. */
export function typesOfAction(action: string): string[] {
  return TYPED.has(action) ? [action, 'audit.event'] : ['audit.event'];
}

/**
 * The body every attempt sends, as Standard Webhooks shapes it: `{type, timestamp, data}`.
 * `data` is written in as given (an audit event's export line), so its bytes are the export's.
 */
export function payloadOf(type: string, at: Date, dataJson: string): string {
  return `{"type":${JSON.stringify(type)},"timestamp":${JSON.stringify(at.toISOString())},"data":${dataJson}}`;
}
