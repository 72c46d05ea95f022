import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { PLATFORM_CHAIN } from '../audit/audit-event.entity';
import { AppendedEvent, AuditStream } from '../audit/audit-stream';
import { payloadOf, typesOfAction } from './webhook-event-types';
import { WebhooksRepository } from './webhooks.repository';

/**
 * Fills the outbox from the audit log as it is appended, inside the transaction of the change:
 * no change commits without its deliveries queued, and a change that rolls back queues nothing.
 * Every webhook event is an audit event, so one tap sees them all, with the stored row.
 */
@Injectable()
export class WebhookOutbox {
  constructor(
    stream: AuditStream,
    private readonly repo: WebhooksRepository,
  ) {
    stream.tap((event, em) => this.queue(event, em));
  }

  private async queue(event: AppendedEvent, em: EntityManager): Promise<void> {
    const now = new Date();
    const chainId = event.businessId ?? PLATFORM_CHAIN;
    await this.queueTo(em, chainId, typesOfAction(event.action), event.exportJson, now);
    // A business is suspended and resumed in the platform's chain; it is told as well.
    if (
      chainId === PLATFORM_CHAIN &&
      event.targetType === 'business' &&
      event.targetId &&
      (event.action === 'business.suspended' || event.action === 'business.resumed')
    ) {
      await this.queueTo(em, event.targetId, [event.action], event.exportJson, now);
    }
  }

  private queueTo(
    em: EntityManager,
    chainId: string,
    types: readonly string[],
    dataJson: string,
    now: Date,
  ): Promise<void> {
    const events = types.map((type) => ({ type, payload: payloadOf(type, now, dataJson) }));
    return this.repo.enqueueForEndpoints(em, chainId, events, now);
  }
}
