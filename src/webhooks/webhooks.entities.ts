import { WebhookEndpoint } from './store/webhook-endpoint.entity';
import { WebhookKeyGeneration } from './store/webhook-key-generation.entity';
import { WebhookAttempt, WebhookMessage } from './store/webhook-message.entity';

/** The tables webhooks owns. */
export const WEBHOOKS_ENTITIES = [
  WebhookEndpoint,
  WebhookMessage,
  WebhookAttempt,
  WebhookKeyGeneration,
];
