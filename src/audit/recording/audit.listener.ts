import { Injectable } from '@nestjs/common';
import {
  auditedAs,
  auditedEventClasses,
  type AuditedAs,
  DomainEvent,
} from '../../database/units/domain-event';
import { DomainEvents } from '../../database/units/domain-events';
import type { Transaction } from '../../database/units/unit-of-work';
import { Metrics } from '../../metrics/metrics';
import { AuditAppender } from './audit-appender';
import { AuditStream } from '../query/audit-stream';

/**
 * Writes one audit event for each audited domain event, with the emitting transaction: the
 * change and its record commit together or not at all. How an event reads as an entry is
 * declared on its class (`@Audited`, beside the event in its feature's `*.events.ts`); this
 * gathers those declarations. Errors propagate (a required handler), so a failed write rolls the
 * change back and the caller gets 503. Events carry refs, never a secret or a hash, and only
 * those refs reach the log.
 */
@Injectable()
export class AuditListener {
  /**
   * Registers in the constructor, not at init: the first start's bootstrap writes before the
   * app's lifecycle hooks run, and must be audited too. Every audited class loaded by now (the
   * modules' imports load them all) gets the one handler.
   */
  constructor(
    private readonly audit: AuditAppender,
    events: DomainEvents,
    private readonly metrics: Metrics,
    private readonly stream: AuditStream,
  ) {
    for (const type of auditedEventClasses()) {
      events.handle(type, (e, tx) => this.write(e, auditedAs(e), tx), { audits: true });
    }
  }

  private async write(event: DomainEvent, as: AuditedAs, tx: Transaction): Promise<void> {
    const { businessId, target, metadata, outcome = 'success' } = as;
    try {
      const { event: stored, writes } = await this.audit.appending(
        {
          businessId,
          action: event.name,
          outcome,
          actor: event.author.actor,
          target,
          origin: event.author.origin,
          // The caller's own request id, beside the server's `request_id`, when it sent one.
          metadata: event.author.origin.clientRequestId
            ? { ...metadata, client_request_id: event.author.origin.clientRequestId }
            : metadata,
        },
        tx,
      );
      // The outbox's insert goes with the append's own writes: one round trip when pipelined.
      await tx.together([...writes, () => this.stream.appended(stored, event, tx)]);
    } catch (e) {
      this.metrics.auditAppendFailed(event.name);
      throw e;
    }
    this.metrics.auditAppended(event.name);
  }
}
