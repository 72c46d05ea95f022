import { Module } from '@nestjs/common';
import { WebhookEndpointsRepository } from './store/webhook-endpoints.repository';
import { WebhookKeyGenerations } from './store/webhook-key-generations.repository';
import { WebhookMessagesRepository } from './store/webhook-messages.repository';

const repositories = [WebhookEndpointsRepository, WebhookMessagesRepository, WebhookKeyGenerations];

/**
 * The webhooks' tables: what `WebhooksModule` and webhooks' own routes module both stand on.
 * Imported by those two alone; `WebhooksModule` does not pass it on, so another feature meets
 * webhooks at a service (the Shared Signals streams at `StreamEndpointsService`), never a
 * repository.
 */
@Module({ providers: repositories, exports: repositories })
export class WebhookStoreModule {}
