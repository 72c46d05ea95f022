import type { EventActor, EventOrigin } from '../database/domain-event';
import type { ChainedEvent } from './audit-chain';
import type { AuditEvent, AuditOutcome } from './audit-event.entity';

/** What a listener asks the log to append; the chain adds id, seq, time and hashes. */
export interface AuditEntry {
  /** The business whose chain takes the event; null for the platform chain. */
  businessId: string | null;
  action: string;
  outcome: AuditOutcome;
  actor: EventActor;
  target: { type: string; id: string | null; label: string | null };
  origin: EventOrigin;
  /** Plain JSON data only (no Date, no secret, no hash). */
  metadata: Record<string, unknown>;
}

/** An event as the API, the NDJSON export and the hash all see it. */
export type AuditEventView = ChainedEvent & { prev_hash: string; hash: string };

/**
 * The stored row as the API shows it. `origin` and the actor's `token_id` and `issued_by` appear
 * only when stored: rows written before they were kept hashed without them, and still verify.
 */
export function auditView(e: AuditEvent): AuditEventView {
  const actor: AuditEventView['actor'] = { id: e.actorId, type: e.actorType, label: e.actorLabel };
  if (e.actorTokenId !== null) {
    actor.token_id = e.actorTokenId;
    actor.issued_by =
      e.actorIssuedByLabel === null ? null : { id: e.actorIssuedById, label: e.actorIssuedByLabel };
  }
  return {
    id: e.id,
    seq: e.seq,
    business_id: e.businessId,
    occurred_at: e.occurredAt.toISOString(),
    ...(e.origin === null ? {} : { origin: e.origin }),
    action: e.action,
    outcome: e.outcome,
    actor,
    target: { type: e.targetType, id: e.targetId, label: e.targetLabel },
    request_id: e.requestId,
    ip: e.ip,
    user_agent: e.userAgent,
    metadata: JSON.parse(e.metadata) as Record<string, unknown>,
    prev_hash: e.prevHash,
    hash: e.hash,
  };
}
