import { Injectable } from '@nestjs/common';
import type { AppendedEvent } from '../../audit/query/audit-stream';
import type { Transaction } from '../../database/units/unit-of-work';
import { StreamEndpointsService } from '../../webhooks/endpoints/stream-endpoints.service';
import { WebhookOutbox } from '../../webhooks/messages/webhook-outbox';
import { CREDENTIAL_CHANGE, credentialChangeClaims, STREAM_EVENT_TYPES } from './caep-events';

/**
 * Queues a CAEP credential-change for every stream of the token's business that asked for it, in
 * the transaction of the change, beside its webhooks: a revocation commits with its SETs queued,
 * and one that rolls back queues none. The webhook worker pushes them (`WebhookAttempts`).
 */
@Injectable()
export class SsfOutbox {
  constructor(
    outbox: WebhookOutbox,
    private readonly streams: StreamEndpointsService,
  ) {
    outbox.addQueuer((event, now, tx) => this.queue(event, now, tx));
  }

  private queue(event: AppendedEvent, now: Date, tx: Transaction): Promise<number> {
    const told = credentialChangeClaims(event.cause, now, () => auditEntryId(event));
    if (told === null) return Promise.resolve(0);
    const payload = JSON.stringify(told.claims);
    const type = STREAM_EVENT_TYPES[CREDENTIAL_CHANGE];
    return this.streams.queueToAll(told.businessId, { type, payload }, now, tx);
  }
}

/** The id of the audit entry, from its export line. */
function auditEntryId(event: AppendedEvent): string | undefined {
  const { id } = JSON.parse(event.exportJson) as { id?: unknown };
  return typeof id === 'string' ? id : undefined;
}
