import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { SigningModule } from '../signing/signing.module';
import { WebhookAttemptRecorder } from './delivery/webhook-attempt-recorder';
import { WebhookAttempts } from './delivery/webhook-attempts';
import { WebhookClaims } from './delivery/webhook-claims';
import { WebhookDispatcher } from './delivery/webhook-dispatcher';
import { WebhookEndpointsRepository } from './store/webhook-endpoints.repository';
import { WebhookKeyGenerations } from './store/webhook-key-generations.repository';
import { WebhookMessagesRepository } from './store/webhook-messages.repository';
import { WebhookOutbox } from './messages/webhook-outbox';
import { WebhookRetention } from './messages/webhook-retention';
import { WebhookSigningKeys } from './signing/webhook-signing-keys';
import { StreamEndpointsService } from './endpoints/stream-endpoints.service';
import { WebhooksService } from './endpoints/webhooks.service';

/**
 * Webhooks: endpoints, the outbox the audit log fills as it is appended, and the worker that
 * delivers it. It sits above the audit log, and has its own events recorded there.
 */
@Module({
  imports: [AuditModule, SigningModule],
  providers: [
    WebhookEndpointsRepository,
    WebhookMessagesRepository,
    WebhooksService,
    StreamEndpointsService,
    WebhookOutbox,
    WebhookAttemptRecorder,
    WebhookAttempts,
    WebhookClaims,
    WebhookRetention,
    WebhookDispatcher,
    WebhookKeyGenerations,
    WebhookSigningKeys,
  ],
  // The repositories are for webhooks' own routes module; another feature meets webhooks at a
  // service (the Shared Signals streams at StreamEndpointsService), as lint holds it to.
  exports: [
    WebhookOutbox,
    WebhookDispatcher,
    WebhooksService,
    WebhookSigningKeys,
    StreamEndpointsService,
    WebhookEndpointsRepository,
    WebhookMessagesRepository,
  ],
})
export class WebhooksModule {
  // The outbox fills as the audit log is appended: constructed with the module, never lazily.
  constructor(_outbox: WebhookOutbox) {}
}
