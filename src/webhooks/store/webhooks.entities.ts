import { WebhookEndpoint } from './webhook-endpoint.entity';
import { WebhookKeyGeneration } from './webhook-key-generation.entity';
import { WebhookAttempt, WebhookMessage } from './webhook-message.entity';

/** The tables webhooks owns. */
export const WEBHOOKS_ENTITIES = [
  WebhookEndpoint,
  WebhookMessage,
  WebhookAttempt,
  WebhookKeyGeneration,
];
