import { WebhookEndpoint } from './webhook-endpoint.entity';
import { WebhookAttempt, WebhookMessage } from './webhook-message.entity';

/** The tables webhooks owns. */
export const WEBHOOKS_ENTITIES = [WebhookEndpoint, WebhookMessage, WebhookAttempt];
