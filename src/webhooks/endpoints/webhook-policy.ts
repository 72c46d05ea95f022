import type { Role } from '../../auth/roles';

/**
 * Who may do what to webhook endpoints: the one table the routes and the service ask.
 * docs/security.md prints it (`npm run docs:policy`; `test/docs/docs.e2e-spec.ts` holds the two
 * equal), and `test/webhooks/webhook-policy.e2e-spec.ts` runs every cell on both chains.
 *
 * An endpoint receiving `audit.event` (or `*`), or typed events that carry who acted and from
 * where (`webhook-personal-data.ts`), is a copy of the audit log sent where its URL says. So
 * whoever points it, resends from it, reads its messages or signs for it needs `audit:read`, as
 * the log's own routes do. Reads of the endpoint itself hold no audit data: `webhooks:read`.
 */

/** What the caller does; each action is one route, under `/api/v1` and `/platform/v1`. */
export const WEBHOOK_ACTIONS = [
  'list',
  'get',
  'deliveries',
  'message',
  'create',
  'update',
  'delete',
  'rotate_secret',
  'redeliver',
  'recover',
  'test',
] as const;
export type WebhookAction = (typeof WEBHOOK_ACTIONS)[number];

/** The scope of audit data: what `GET /api/v1/audit-events` needs. */
export const AUDIT_SCOPE = 'audit:read';

/** The role every business webhook route needs; a platform token has every role. */
export const WEBHOOK_ROLE: Role = 'admin';

export interface WebhookRule {
  /** The route, below `/api/v1` and `/platform/v1`. */
  route: string;
  /** What the route needs of every caller, with the role. */
  scope: 'webhooks:read' | 'webhooks:write';
  /** What it needs as well when the action touches audit data (`AUDIT_DATA_WHEN` says when). */
  onAudit: typeof AUDIT_SCOPE | null;
}

const write = (route: string): WebhookRule => ({
  route,
  scope: 'webhooks:write',
  onAudit: AUDIT_SCOPE,
});
const read = (route: string): WebhookRule => ({ route, scope: 'webhooks:read', onAudit: null });

/** The table. */
export const WEBHOOK_POLICY: Record<WebhookAction, WebhookRule> = {
  list: read('GET /webhooks'),
  get: read('GET /webhooks/{webhook_id}'),
  deliveries: read('GET /webhooks/{webhook_id}/deliveries'),
  message: {
    route: 'GET /webhooks/{webhook_id}/deliveries/{message_id}',
    scope: 'webhooks:read',
    onAudit: AUDIT_SCOPE,
  },
  create: write('POST /webhooks'),
  update: write('PATCH /webhooks/{webhook_id}'),
  delete: write('DELETE /webhooks/{webhook_id}'),
  rotate_secret: write('POST /webhooks/{webhook_id}/rotate-secret'),
  redeliver: write('POST /webhooks/{webhook_id}/deliveries/{message_id}/redeliver'),
  recover: write('POST /webhooks/{webhook_id}/recover'),
  test: write('POST /webhooks/{webhook_id}/test'),
};

/**
 * When an action touches audit data, printed under the table. Each clause is one check of
 * `WebhooksService`.
 */
export const AUDIT_DATA_WHEN =
  'An action touches audit data when the endpoint receives `audit.event` (its event types hold ' +
  '`audit.event` or `*`) or is sent who acted and from where in its typed events (whoever set ' +
  'its URL, or subscribed it to `audit.event`, could read the audit log: see "Who acted, and ' +
  'from where" below), before the change or after it; when `redeliver` or `message` names an ' +
  '`audit.event` message; when `recover` would resend one; and when a new `url` would receive ' +
  'one that is still waiting to be delivered. Changing such an endpoint in any way (its URL, ' +
  'its types, its description, enabling, disabling or deleting it) needs `audit:read`: moving ' +
  'or silencing a SIEM feed is as much a matter of the audit log as reading it. The 403 comes ' +
  "after the body's 422 and the endpoint's 404, as a policy's 403 on a named target does.";

/** Said of every route that `onAudit` narrows, in the OpenAPI document. */
export const ON_AUDIT =
  'On an endpoint that is sent audit data (it receives `audit.event` or `*`, before or after the ' +
  'change, or its typed events carry who acted and from where: its URL was set by a caller who ' +
  'reads the audit log), or for an `audit.event` message, the token needs `audit:read` as well ' +
  '(403 INSUFFICIENT_SCOPE).';

/** The event type that carries every audit event of a chain, for a SIEM. */
export const AUDIT_EVENT_TYPE = 'audit.event';

/** True when an endpoint with these event types receives every audit event of its chain. */
export function receivesAudit(eventTypes: readonly string[]): boolean {
  return eventTypes.includes(AUDIT_EVENT_TYPE) || eventTypes.includes('*');
}

/** The scopes `action` needs: the route's, then `audit:read` when it touches audit data. */
export function scopesNeeded(action: WebhookAction, auditData: boolean): string[] {
  const rule = WEBHOOK_POLICY[action];
  return auditData && rule.onAudit ? [rule.scope, rule.onAudit] : [rule.scope];
}
