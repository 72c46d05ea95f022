import { Injectable } from '@nestjs/common';
import type { DomainEvent } from '../../database/units/domain-event';
import type { Transaction } from '../../database/units/unit-of-work';
import { ndjsonRow, rowOfEntity } from '../codec/audit-codec';
import type { AuditEvent } from '../store/audit-event.entity';

/** An appended event, as features above the log may read it. */
export interface AppendedEvent {
  /** The business whose chain took it; null for the platform chain. */
  businessId: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  /** The event as one NDJSON export line writes it (hashes included), without its newline. */
  exportJson: string;
  /** The domain event it records, which its after-commit subscribers are handed. */
  cause: DomainEvent;
}

/** Runs inside the appending transaction: a failure rolls the change and its event back. */
export type AuditTap = (event: AppendedEvent, tx: Transaction) => Promise<void>;

/**
 * The stored events, as they are appended, for the features that sit above the log and must act
 * in the same transaction (the webhook outbox): what commits is exactly what they saw, and a
 * change that rolls back leaves nothing behind in either.
 */
@Injectable()
export class AuditStream {
  private readonly taps: AuditTap[] = [];

  tap(tap: AuditTap): void {
    this.taps.push(tap);
  }

  /** Called by the listener after each append, with the row as stored. */
  async appended(event: AuditEvent, cause: DomainEvent, tx: Transaction): Promise<void> {
    if (this.taps.length === 0) return;
    const appended: AppendedEvent = {
      businessId: event.businessId,
      action: event.action,
      targetType: event.targetType,
      targetId: event.targetId,
      exportJson: ndjsonRow(rowOfEntity(event), 'event').trimEnd(),
      cause,
    };
    for (const tap of this.taps) await tap(appended, tx);
  }
}
