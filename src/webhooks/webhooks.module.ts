import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { SigningModule } from '../signing/signing.module';
import { WebhookAttemptRecorder } from './delivery/webhook-attempt-recorder';
import { WebhookAttempts } from './delivery/webhook-attempts';
import { WebhookClaims } from './delivery/webhook-claims';
import { WebhookDispatcher } from './delivery/webhook-dispatcher';
import { WebhookOutbox } from './messages/webhook-outbox';
import { WebhookRetention } from './messages/webhook-retention';
import { WebhookSigningKeys } from './signing/webhook-signing-keys';
import { StreamEndpointsService } from './endpoints/stream-endpoints.service';
import { WebhooksService } from './endpoints/webhooks.service';
import { WebhookStoreModule } from './webhook-store.module';

/**
 * Webhooks: endpoints, the outbox the audit log fills as it is appended, and the worker that
 * delivers it. It sits above the audit log, and has its own events recorded there.
 */
@Module({
  imports: [AuditModule, SigningModule, WebhookStoreModule],
  providers: [
    WebhooksService,
    StreamEndpointsService,
    WebhookOutbox,
    WebhookAttemptRecorder,
    WebhookAttempts,
    WebhookClaims,
    WebhookRetention,
    WebhookDispatcher,
    WebhookSigningKeys,
  ],
  // Services only: another feature meets webhooks at one (the Shared Signals streams at
  // StreamEndpointsService), and webhooks' routes module takes the repositories from
  // WebhookStoreModule itself.
  exports: [
    WebhookOutbox,
    WebhookDispatcher,
    WebhooksService,
    WebhookSigningKeys,
    StreamEndpointsService,
  ],
})
export class WebhooksModule {
  // The outbox fills as the audit log is appended: constructed with the module, never lazily.
  constructor(_outbox: WebhookOutbox) {}
}
