import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { WebhookSigningKey } from './webhook-signing-key';

/** A new signing secret, as Standard Webhooks spells one: `whsec_` and 32 random bytes in base64. */
export function generateSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The header that names the v1a keys of `webhook-signature`, one kid per signature, in order. */
export const KEY_ID_HEADER = 'webhook-key-id';

/**
 * The Standard Webhooks headers of one attempt. Each secret signs (`v1,` HMAC-SHA256, by the
 * `standardwebhooks` package), and the signatures are sent space-separated: during a rotation's
 * overlap a receiver holding either the old or the new secret verifies. An endpoint that chose
 * `v1a` gets an Ed25519 signature of the same bytes by each of its business's keys in use
 * instead (`v1a,<base64>`, unchanged, so existing parsers still read it), and `webhook-key-id`
 * names those keys in the same order: Standard Webhooks has no key id of its own, and a header of
 * our own leaves every reader of `webhook-signature` as it was.
 */
export function signedHeaders(
  id: string,
  at: Date,
  payload: string,
  signer: readonly string[] | readonly WebhookSigningKey[],
): Record<string, string> {
  if (signer.length === 0) throw new Error('a message is never sent unsigned');
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const headers: Record<string, string> = { 'webhook-id': id, 'webhook-timestamp': timestamp };
  if (isKeys(signer)) {
    headers['webhook-signature'] = signer.map((k) => k.sign(id, timestamp, payload)).join(' ');
    headers[KEY_ID_HEADER] = signer.map((k) => k.kid).join(' ');
  } else {
    const signatures = signer.map((secret) => new Webhook(secret).sign(id, at, payload));
    headers['webhook-signature'] = signatures.join(' ');
  }
  return headers;
}

function isKeys(
  signer: readonly string[] | readonly WebhookSigningKey[],
): signer is readonly WebhookSigningKey[] {
  return signer[0] instanceof WebhookSigningKey;
}
