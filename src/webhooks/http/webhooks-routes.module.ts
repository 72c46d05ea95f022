import { Module } from '@nestjs/common';
import {
  PlatformWebhookSigningKeyController,
  WebhookKeysController,
  WebhookSigningKeyController,
} from './webhook-keys.controller';
import {
  PlatformWebhookMessagesController,
  WebhookMessagesController,
} from './webhook-messages.controller';
import { WebhookDeliveriesService } from '../messages/webhook-deliveries.service';
import { WebhookMessagesService } from '../messages/webhook-messages.service';
import { PlatformWebhooksController, WebhooksController } from './webhooks.controller';
import { WebhooksModule } from '../webhooks.module';
import { WebhookStoreModule } from '../webhook-store.module';

/**
 * The webhook routes, over `WebhooksModule`'s services: the HTTP app's, never the CLI's. The
 * messages and deliveries services it declares read the tables through `WebhookStoreModule`,
 * which `WebhooksModule` keeps to itself.
 */
@Module({
  imports: [WebhooksModule, WebhookStoreModule],
  controllers: [
    WebhooksController,
    PlatformWebhooksController,
    WebhookSigningKeyController,
    PlatformWebhookSigningKeyController,
    WebhookKeysController,
    WebhookMessagesController,
    PlatformWebhookMessagesController,
  ],
  providers: [WebhookMessagesService, WebhookDeliveriesService],
})
export class WebhooksRoutesModule {}
