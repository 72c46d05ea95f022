import type { RequestContext } from '../../auth/request-context';
import { AUDIT_SCOPE, receivesAudit, WEBHOOK_ROLE } from './webhook-policy';

/**
 * Who acted, and from where, in the audit line a typed event carries (`token.revoked`,
 * `member.added`, …): the email or machine name of the actor and of whoever issued the token
 * they acted with, their address and their user agent. A typed endpoint needs only
 * `webhooks:write`, where reading these in the audit log needs the owner or admin role and
 * `audit:read`; so an endpoint is sent them only when whoever set its URL could read them there
 * (`personalData`), and otherwise they are null. docs/api.md and docs/security.md say it;
 * test/webhooks/webhook-personal-data.e2e-spec.ts runs every role × scopes × field.
 */
export const PERSONAL_FIELDS = ['actor.label', 'actor.issued_by.label', 'ip', 'user_agent'];

/**
 * The chain's links are withheld with them: a hash over the whole line confirms a guess of what
 * it hides (an IPv4 address, a common user agent, a member's email).
 */
export const LINK_FIELDS = ['prev_hash', 'hash'];

/**
 * Whether the caller reads the audit log, as `GET /api/v1/audit-events` asks: the owner or admin
 * role (a platform token has every role) and a token that allows `audit:read`.
 */
export function readsAuditLog(ctx: RequestContext): boolean {
  return ctx.hasRole(WEBHOOK_ROLE) && ctx.allowsScope(AUDIT_SCOPE);
}

/**
 * Whether an endpoint is sent audit data: every audit event (`audit.event` or `*`), or the
 * actors and addresses of its typed events. Whoever changes, resends from, reads the messages of
 * or holds the secret of such an endpoint reads the log (`WEBHOOK_POLICY`).
 */
export function holdsAuditData(endpoint: {
  eventTypes: readonly string[];
  personalData: boolean;
}): boolean {
  return endpoint.personalData || receivesAudit(endpoint.eventTypes);
}

/** An audit export line as an endpoint without `personalData` is sent it in a typed event. */
export function withheldView(exportJson: string): string {
  const entry = JSON.parse(exportJson) as Record<string, unknown>;
  for (const path of [...PERSONAL_FIELDS, ...LINK_FIELDS]) {
    const keys = path.split('.');
    const last = keys.pop()!;
    let at: unknown = entry;
    for (const key of keys) at = (at as Record<string, unknown> | null)?.[key];
    // `actor.issued_by` is null or absent for the system and the CLI: nothing to withhold.
    if (at !== null && typeof at === 'object' && last in at) {
      (at as Record<string, unknown>)[last] = null;
    }
  }
  return JSON.stringify(entry);
}

/** Whether a message's payload is a line of the audit log as stored: its hash is there. */
export function isAuditLine(payload: string): boolean {
  const body = JSON.parse(payload) as { data?: { hash?: unknown } | null };
  return typeof body.data?.hash === 'string';
}
