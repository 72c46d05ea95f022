import type { Transaction } from '../../database/units/unit-of-work';
import { Injectable } from '@nestjs/common';
import type { DomainEvent } from '../../database/units/domain-event';
import { PLATFORM_CHAIN } from '../../audit/audit-entry';
import { AppendedEvent, AuditStream } from '../../audit/query/audit-stream';
import { payloadOf, typesOfAction } from '../webhook-event-types';
import { withheldView } from '../endpoints/webhook-personal-data';
import { WebhookMessagesRepository } from '../store/webhook-messages.repository';

/**
 * Another feature's messages for an appended event (the Shared Signals streams'), queued in the
 * same transaction; answers how many it queued.
 */
export type OutboxQueuer = (event: AppendedEvent, now: Date, tx: Transaction) => Promise<number>;

/**
 * Fills the outbox from the audit log as it is appended, inside the transaction of the change:
 * no change commits without its deliveries queued, and a change that rolls back queues nothing.
 * Every webhook event is an audit event, so one tap sees them all, with the stored row.
 */
@Injectable()
export class WebhookOutbox {
  /** Domain events that queued at least one message, until they are forgotten with them. */
  private readonly queuing = new WeakSet<DomainEvent>();
  private readonly queuers: OutboxQueuer[] = [];

  constructor(
    stream: AuditStream,
    private readonly repo: WebhookMessagesRepository,
  ) {
    stream.tap((event, tx) => this.queue(event, tx));
  }

  private async queue(event: AppendedEvent, tx: Transaction): Promise<void> {
    const now = new Date();
    const chainId = event.businessId ?? PLATFORM_CHAIN;
    let queued = await this.queueTo(
      chainId,
      typesOfAction(event.action),
      event.exportJson,
      withheldView(event.exportJson),
      now,
      tx,
    );
    // A business is suspended and resumed in the platform's chain; it is told as well, with its
    // own view of the entry, not the platform's, which names no one.
    if (
      chainId === PLATFORM_CHAIN &&
      event.targetType === 'business' &&
      event.targetId &&
      (event.action === 'business.suspended' || event.action === 'business.resumed')
    ) {
      const view = businessView(event.exportJson);
      queued += await this.queueTo(event.targetId, [event.action], view, view, now, tx);
    }
    for (const queuer of this.queuers) queued += await queuer(event, now, tx);
    if (queued > 0) this.queuing.add(event.cause);
  }

  /** Adds a feature's messages to every appended event's, as the module that owns them starts. */
  addQueuer(queuer: OutboxQueuer): void {
    this.queuers.push(queuer);
  }

  /**
   * Whether this domain event queued a message: the worker, told of each committed event, claims
   * at once only then. A claim is a transaction, and on SQLite one waits for another, so a claim
   * after every change with no endpoint to tell took a place in the queue of every write.
   */
  queued(event: DomainEvent): boolean {
    return this.queuing.has(event);
  }

  /**
   * Queues the event's types to the chain's endpoints that want them: `dataJson` to those sent
   * audit data, `withheldJson` (without who acted and from where) to the others.
   */
  private queueTo(
    chainId: string,
    types: readonly string[],
    dataJson: string,
    withheldJson: string,
    now: Date,
    tx: Transaction,
  ): Promise<number> {
    const events = types.map((type) => ({
      type,
      payload: payloadOf(type, now, dataJson),
      withheld: payloadOf(type, now, withheldJson),
    }));
    return this.repo.enqueueForEndpoints(chainId, 'webhook', events, now, tx);
  }
}

/**
 * What a business is told of a platform entry about it (`business.suspended`, `.resumed`): what
 * happened to it and when. The platform chain's line names the platform admin (email, id, token),
 * their address and user agent, the request, and the platform chain's position and hashes; none
 * of that is the tenant's to read, so only these fields are copied, and of the metadata only a
 * `reason`.
 */
export function businessView(exportJson: string): string {
  const entry = JSON.parse(exportJson) as {
    occurred_at: string;
    action: string;
    outcome: string;
    target: { type: string; id: string; label?: string | null };
    metadata?: Record<string, unknown> | null;
  };
  const reason = entry.metadata?.reason;
  return JSON.stringify({
    business_id: entry.target.id,
    occurred_at: entry.occurred_at,
    action: entry.action,
    outcome: entry.outcome,
    target: { type: entry.target.type, id: entry.target.id, label: entry.target.label ?? null },
    metadata: typeof reason === 'string' ? { reason } : {},
  });
}
