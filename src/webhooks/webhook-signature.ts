import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { WebhookSigningKey } from './webhook-signing-key';

/** A new signing secret, as Standard Webhooks spells one: `whsec_` and 32 random bytes in base64. */
export function generateSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * The three Standard Webhooks headers of one attempt. Each secret signs (`v1,` HMAC-SHA256, by
 * the `standardwebhooks` package), and the signatures are sent space-separated: during a
 * rotation's overlap a receiver holding either the old or the new secret verifies. An endpoint
 * that chose `v1a` gets one Ed25519 signature of the same bytes instead.
 */
export function signedHeaders(
  id: string,
  at: Date,
  payload: string,
  signer: readonly string[] | WebhookSigningKey,
): Record<string, string> {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const signatures =
    signer instanceof WebhookSigningKey
      ? [signer.sign(id, timestamp, payload)]
      : signer.map((secret) => new Webhook(secret).sign(id, at, payload));
  return {
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': signatures.join(' '),
  };
}
