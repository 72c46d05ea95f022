import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { WebhookMessageDto } from './dto/webhook-message.dto';
import { WebhookError } from './webhook-error';
import { WebhookEndpointsRepository } from './webhook-endpoints.repository';
import { WebhookMessagesRepository } from './webhook-messages.repository';

/** A delivery's message read back: the payload as it was sent (issue 36's console). */
@Injectable()
export class WebhookMessagesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly endpoints: WebhookEndpointsRepository,
    private readonly messages: WebhookMessagesRepository,
  ) {}

  /** One message of one endpoint of the chain; 404 for an endpoint or message it does not hold. */
  async message(
    chainId: string,
    endpointId: string,
    messageId: string,
  ): Promise<WebhookMessageDto> {
    const em = this.dataSource.manager;
    if (!(await this.endpoints.findEndpoint(em, chainId, endpointId))) {
      throw new WebhookError('WEBHOOK_NOT_FOUND');
    }
    const found = await this.messages.findMessage(em, chainId, endpointId, messageId);
    if (!found) throw new WebhookError('WEBHOOK_MESSAGE_NOT_FOUND');
    return WebhookMessageDto.of(found);
  }
}
