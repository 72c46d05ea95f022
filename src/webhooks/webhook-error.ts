import { DomainError } from '../common/errors/domain-error';
import type { ErrorTable } from '../common/errors/error-codes';

/** Webhooks' own answers. */
export const WEBHOOK_ERRORS = {
  WEBHOOK_NOT_FOUND: { status: 404, message: 'Webhook endpoint not found' },
  WEBHOOK_MESSAGE_NOT_FOUND: { status: 404, message: 'Webhook message not found' },
  WEBHOOK_LIMIT_REACHED: {
    status: 409,
    message: 'This business has as many webhook endpoints as it may have: delete one first',
  },
  WEBHOOK_DISABLED: {
    status: 409,
    message: 'This webhook endpoint is disabled: enable it first (PATCH with enabled: true)',
  },
  WEBHOOK_KEY_SIGNED: {
    status: 409,
    message:
      "This endpoint is signed with its business's Ed25519 key (v1a): it has no secret to " +
      'rotate (POST /api/v1/webhooks/signing-key/rotate rotates the key)',
  },
  WEBHOOKS_OFF: {
    status: 503,
    message: 'Webhooks are off on this installation (WEBHOOKS_ENABLED=false)',
  },
} as const satisfies ErrorTable;

export type WebhookErrorCode = keyof typeof WEBHOOK_ERRORS;

export class WebhookError extends DomainError<WebhookErrorCode> {
  constructor(code: WebhookErrorCode, detail?: string) {
    super(code, WEBHOOK_ERRORS[code], detail);
  }
}
