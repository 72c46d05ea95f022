import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { AuditListener } from '../audit/recording/audit.listener';
import { businessOfChain } from './endpoints/webhooks.service';
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
import {
  EndpointRef,
  WebhookCreatedEvent,
  WebhookDeletedEvent,
  WebhookDisabledEvent,
  WebhookKeyRotatedEvent,
  WebhookSecretRotatedEvent,
  WebhookUpdatedEvent,
} from './webhooks.events';
import { WebhooksService } from './endpoints/webhooks.service';

const target = (e: EndpointRef) => ({ type: 'webhook', id: e.id, label: e.origin });

/**
 * Webhooks: endpoints, the outbox the audit log fills as it is appended, and the worker that
 * delivers it. It sits above the audit log, and has its own events recorded there.
 */
@Module({
  imports: [AuditModule],
  providers: [
    WebhookEndpointsRepository,
    WebhookMessagesRepository,
    WebhooksService,
    WebhookOutbox,
    WebhookAttemptRecorder,
    WebhookAttempts,
    WebhookClaims,
    WebhookRetention,
    WebhookDispatcher,
    WebhookKeyGenerations,
    WebhookSigningKeys,
  ],
  exports: [
    WebhookDispatcher,
    WebhooksService,
    WebhookSigningKeys,
    WebhookEndpointsRepository,
    WebhookMessagesRepository,
  ],
})
export class WebhooksModule {
  constructor(audit: AuditListener, _outbox: WebhookOutbox) {
    const of = (e: { endpoint: EndpointRef }) => ({
      businessId: businessOfChain(e.endpoint.chainId),
      target: target(e.endpoint),
    });
    audit.record(WebhookCreatedEvent, (e) => ({
      ...of(e),
      metadata: { event_types: e.eventTypes },
    }));
    audit.record(WebhookUpdatedEvent, (e) => ({ ...of(e), metadata: { changed: e.changed } }));
    audit.record(WebhookDeletedEvent, (e) => ({ ...of(e), metadata: {} }));
    audit.record(WebhookSecretRotatedEvent, (e) => ({
      ...of(e),
      metadata: { previous_valid_until: e.previousValidUntil },
    }));
    audit.record(WebhookDisabledEvent, (e) => ({ ...of(e), metadata: { cause: e.cause } }));
    audit.record(WebhookKeyRotatedEvent, (e) => ({
      businessId: businessOfChain(e.chainId),
      target: { type: 'webhook_key', id: businessOfChain(e.chainId), label: e.kid },
      metadata: {
        kid: e.kid,
        previous_kid: e.previousKid,
        previous_valid_until: e.previousValidUntil,
      },
    }));
  }
}
