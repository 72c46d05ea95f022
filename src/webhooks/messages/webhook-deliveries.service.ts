import { Injectable } from '@nestjs/common';
import type { RequestContext } from '../../auth/request-context';
import { Page, PageQueryDto, paginate } from '../../common/validation/pagination';
import { UnitOfWork } from '../../database/units/unit-of-work';
import { QueuedMessageDto, RecoveredDto, WebhookAttemptDto } from '../dto/webhook.dto';
import {
  endpointOrFail,
  lockedEndpointOrFail,
  mayTouchAudit,
} from '../endpoints/webhook-endpoint-access';
import { WebhookError } from '../webhook-error';
import { payloadOf, TEST_EVENT_TYPE } from '../webhook-event-types';
import { messageId } from '../store/webhook-message.entity';
import { holdsAuditData } from '../endpoints/webhook-personal-data';
import { AUDIT_EVENT_TYPE } from '../endpoints/webhook-policy';
import { WebhookEndpointsRepository } from '../store/webhook-endpoints.repository';
import { WebhookMessagesRepository } from '../store/webhook-messages.repository';
import { Database, ReadRouting } from '../../database/connection/read-routing';

/**
 * An endpoint's messages: its delivery attempts read, and a message sent again, the given-up ones
 * recovered, or a test queued. Each is refused while the endpoint is disabled, and needs
 * `audit:read` where audit data is involved (`WEBHOOK_POLICY`).
 */
@Injectable()
export class WebhookDeliveriesService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly endpoints: WebhookEndpointsRepository,
    private readonly messages: WebhookMessagesRepository,
    private readonly reads: ReadRouting,
    private readonly database: Database,
  ) {}

  async deliveries(
    chainId: string,
    id: string,
    readerId: string,
    query: PageQueryDto,
  ): Promise<Page<WebhookAttemptDto>> {
    // Whether the endpoint is there is read on the primary; its attempts may come from a replica.
    await endpointOrFail(this.endpoints, chainId, id, this.database.primary);
    return this.reads.read(readerId, (from) =>
      paginate(
        query,
        (limit, after) => this.messages.listAttempts(chainId, id, limit, after, from),
        (a) => ({ at: a.attemptedAt.toISOString(), id: a.id }),
        WebhookAttemptDto.of,
      ),
    );
  }

  /**
   * Queues a message again now, with its own id (a receiver that had it can drop it); 409 while
   * the endpoint is disabled, since the worker gives up on a disabled endpoint's messages.
   */
  redeliver(
    ctx: RequestContext,
    chainId: string,
    id: string,
    message: string,
  ): Promise<QueuedMessageDto> {
    return this.uow.run(async (tx) => {
      const endpoint = await lockedEndpointOrFail(this.endpoints, chainId, id, tx);
      const found = await this.messages.findMessage(chainId, id, message, tx);
      if (!found) throw new WebhookError('WEBHOOK_MESSAGE_NOT_FOUND');
      mayTouchAudit(
        ctx,
        'redeliver',
        holdsAuditData(endpoint) || found.eventType === AUDIT_EVENT_TYPE,
      );
      if (endpoint.disabledAt) throw new WebhookError('WEBHOOK_DISABLED');
      await this.messages.requeue(chainId, id, message, new Date(), tx);
      return { message_id: found.id, event_type: found.eventType };
    });
  }

  /** Resends every message of the endpoint given up on since `since`; 409 while it is disabled. */
  async recover(
    ctx: RequestContext,
    chainId: string,
    id: string,
    since: Date,
  ): Promise<RecoveredDto> {
    return this.uow.run(async (tx) => {
      const endpoint = await lockedEndpointOrFail(this.endpoints, chainId, id, tx);
      mayTouchAudit(
        ctx,
        'recover',
        holdsAuditData(endpoint) ||
          (await this.messages.holdsMessage(chainId, id, AUDIT_EVENT_TYPE, 'dead', since, tx)),
      );
      if (endpoint.disabledAt) throw new WebhookError('WEBHOOK_DISABLED');
      const requeued = await this.messages.requeueDeadSince(chainId, id, since, new Date(), tx);
      return { requeued };
    });
  }

  /** Queues a `webhook.test` message to this endpoint alone, now; 409 while it is disabled. */
  async sendTest(ctx: RequestContext, chainId: string, id: string): Promise<QueuedMessageDto> {
    return this.uow.run(async (tx) => {
      const endpoint = await lockedEndpointOrFail(this.endpoints, chainId, id, tx);
      mayTouchAudit(ctx, 'test', holdsAuditData(endpoint));
      if (endpoint.disabledAt) throw new WebhookError('WEBHOOK_DISABLED');
      const now = new Date();
      const message = {
        id: messageId(),
        endpointId: endpoint.id,
        chainId,
        eventType: TEST_EVENT_TYPE,
        payload: payloadOf(TEST_EVENT_TYPE, now, JSON.stringify({ endpoint_id: endpoint.id })),
        status: 'pending' as const,
        attempts: 0,
        nextAttemptAt: now,
        createdAt: now,
        deliveredAt: null,
      };
      await this.messages.enqueue([message], tx);
      return { message_id: message.id, event_type: message.eventType };
    });
  }
}
