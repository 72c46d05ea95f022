import { Module } from '@nestjs/common';
import {
  PlatformWebhooksController,
  WebhookKeysController,
  WebhooksController,
} from './webhooks.controller';
import {
  PlatformWebhookMessagesController,
  WebhookMessagesController,
} from './webhook-messages.controller';
import { WebhookMessagesService } from './webhook-messages.service';
import { WebhooksModule } from './webhooks.module';

/** The webhook routes, over `WebhooksModule`'s services: the HTTP app's, never the CLI's. */
@Module({
  imports: [WebhooksModule],
  controllers: [
    WebhooksController,
    PlatformWebhooksController,
    WebhookKeysController,
    WebhookMessagesController,
    PlatformWebhookMessagesController,
  ],
  providers: [WebhookMessagesService],
})
export class WebhooksRoutesModule {}
