import type { EventActor, EventOrigin } from '../database/units/domain-event';
import { rowOfEntity, viewOfRow } from './codec/audit-codec';
import type { AuditEvent } from './store/audit-event.entity';
import type { AuditOutcome } from './codec/audit-fields';

export type { AuditEventView } from './codec/audit-fields';
// The platform's chain, by the id other features key their own rows with (webhooks' platform
// endpoints), so they need not reach into the log's tables.
export { PLATFORM_CHAIN } from './store/audit-event.entity';

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

/**
 * The stored row as the API shows it. `origin` and the actor's `token_id` and `issued_by` appear
 * only when stored: rows written before they were kept hashed without them, and still verify.
 */
export function auditView(e: AuditEvent) {
  return viewOfRow(rowOfEntity(e), 'event');
}
