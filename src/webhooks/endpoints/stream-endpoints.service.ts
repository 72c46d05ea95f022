import { Injectable } from '@nestjs/common';
import type { Reader } from '../../database/units/reader';
import type { Transaction } from '../../database/units/unit-of-work';
import { STREAM_SCHEME, type WebhookEndpoint } from '../store/webhook-endpoint.entity';
import { WebhookEndpointsRepository } from '../store/webhook-endpoints.repository';
import { messageId } from '../store/webhook-message.entity';
import { WebhookMessagesRepository } from '../store/webhook-messages.repository';

// The shape of a stream is the endpoint's row: the Shared Signals feature reads it from here.
export { STREAM_SCHEME, type WebhookEndpoint };

/** An event as a stream is sent it: the SET's claims, and its type among the outbox's. */
export interface StreamEvent {
  type: string;
  payload: string;
}

/**
 * The endpoints of the `set` scheme and their messages, for the Shared Signals streams above
 * webhooks: they are kept and sent as webhooks are, and every read takes the business first and
 * sees streams alone, so the SSF routes never meet a webhook, nor reach webhooks' tables.
 */
@Injectable()
export class StreamEndpointsService {
  constructor(
    private readonly endpoints: WebhookEndpointsRepository,
    private readonly messages: WebhookMessagesRepository,
  ) {}

  /** The business's streams, oldest first, `limit` at most. */
  async list(businessId: string, limit: number, db: Reader): Promise<WebhookEndpoint[]> {
    const page = await this.endpoints.listEndpoints(businessId, 'stream', limit, null, db);
    // The page reads one row past its limit, to tell of a next page.
    return page.slice(0, limit);
  }

  find(businessId: string, id: string, db: Reader): Promise<WebhookEndpoint | null> {
    return this.endpoints.findEndpoint(businessId, 'stream', id, db);
  }

  count(businessId: string, db: Reader): Promise<number> {
    return this.endpoints.countEndpoints(businessId, 'stream', db);
  }

  async insert(stream: WebhookEndpoint, tx: Transaction): Promise<void> {
    await this.endpoints.insertEndpoint(stream, tx);
  }

  async update(
    businessId: string,
    id: string,
    patch: Partial<Omit<WebhookEndpoint, 'id' | 'chainId'>>,
    tx: Transaction,
  ): Promise<void> {
    await this.endpoints.updateEndpoint(businessId, id, patch, tx);
  }

  /** Deletes a stream; its undelivered messages die with it. */
  delete(businessId: string, id: string, tx: Transaction): Promise<void> {
    return this.endpoints.deleteEndpoint(businessId, id, tx);
  }

  /** A paused stream enabled again: what it held is due now, in the order it was queued. */
  async releaseHeld(businessId: string, id: string, now: Date, tx: Transaction): Promise<void> {
    await this.messages.releaseHeld(businessId, id, now, tx);
  }

  /** A stream disabled: what it has not been sent is dropped. */
  async dropPending(id: string, tx: Transaction): Promise<void> {
    await this.messages.killPending(id, tx);
  }

  /** Whether the stream was queued an event of this type since `since`, in any status. */
  queuedSince(
    businessId: string,
    id: string,
    type: string,
    since: Date,
    db: Reader,
  ): Promise<boolean> {
    return this.messages.holdsMessage(businessId, id, type, null, since, db);
  }

  /** Queues one event to one stream: held while it is paused, due now otherwise. */
  async queueTo(
    stream: WebhookEndpoint,
    event: StreamEvent,
    now: Date,
    tx: Transaction,
  ): Promise<void> {
    const status = stream.pausedAt ? 'held' : 'pending';
    await this.messages.enqueue(
      [
        {
          id: messageId(),
          endpointId: stream.id,
          chainId: stream.chainId,
          eventType: event.type,
          payload: event.payload,
          status,
          attempts: 0,
          nextAttemptAt: now,
          createdAt: now,
          deliveredAt: null,
        },
      ],
      tx,
    );
  }

  /**
   * Queues an event to every enabled stream of the business that takes its type, in one
   * statement; answers how many it queued. A stream is sent no personal data, so what is
   * withheld from an endpoint is the same payload.
   */
  queueToAll(businessId: string, event: StreamEvent, now: Date, tx: Transaction): Promise<number> {
    const { type, payload } = event;
    return this.messages.enqueueForEndpoints(
      businessId,
      'stream',
      [{ type, payload, withheld: payload }],
      now,
      tx,
    );
  }
}
