import { Injectable } from '@nestjs/common';
import { Database } from '../../database/connection/read-routing';
import type { RequestContext } from '../../auth/request-context';
import { WebhookMessageDto } from '../dto/webhook-message.dto';
import { mayTouchAudit } from '../endpoints/webhook-endpoint-access';
import { WebhookError } from '../webhook-error';
import { holdsAuditData } from '../endpoints/webhook-personal-data';
import { AUDIT_EVENT_TYPE } from '../endpoints/webhook-policy';
import { WebhookEndpointsRepository } from '../store/webhook-endpoints.repository';
import { WebhookMessagesRepository } from '../store/webhook-messages.repository';

/** A delivery's message read back: the payload as it was sent, for the console. */
@Injectable()
export class WebhookMessagesService {
  constructor(
    private readonly endpoints: WebhookEndpointsRepository,
    private readonly messages: WebhookMessagesRepository,
    private readonly database: Database,
  ) {}

  /**
   * One message of one endpoint of the chain; 404 for an endpoint or message it does not hold.
   * Its payload is audit data on an endpoint sent audit data, or as an `audit.event`: reading it
   * then needs `audit:read` (`WEBHOOK_POLICY`).
   */
  async message(
    ctx: RequestContext,
    chainId: string,
    endpointId: string,
    messageId: string,
  ): Promise<WebhookMessageDto> {
    const db = this.database.primary;
    const endpoint = await this.endpoints.findEndpoint(chainId, 'webhook', endpointId, db);
    if (!endpoint) throw new WebhookError('WEBHOOK_NOT_FOUND');
    const found = await this.messages.findMessage(chainId, endpointId, messageId, db);
    if (!found) throw new WebhookError('WEBHOOK_MESSAGE_NOT_FOUND');
    mayTouchAudit(ctx, 'message', holdsAuditData(endpoint) || found.eventType === AUDIT_EVENT_TYPE);
    return WebhookMessageDto.of(found);
  }
}
