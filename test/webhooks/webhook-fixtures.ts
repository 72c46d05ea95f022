import { randomBytes, randomUUID } from 'node:crypto';
import { PLATFORM_CHAIN } from '../../src/audit/store/audit-event.entity';
import { Author, SYSTEM_AUTHOR } from '../../src/database/units/domain-event';
import { UnitOfWork } from '../../src/database/units/unit-of-work';
import { TokenIssuanceService } from '../../src/tokens/lifecycle/issuance/token-issuance.service';
import { hashSecret } from '../../src/tokens/token-secret';
import { payloadOf } from '../../src/webhooks/webhook-event-types';
import { messageId } from '../../src/webhooks/store/webhook-message.entity';
import { receivesAudit } from '../../src/webhooks/endpoints/webhook-policy';
import { seal } from '../../src/webhooks/signing/webhook-secret-box';
import { WebhookEndpointsRepository } from '../../src/webhooks/store/webhook-endpoints.repository';
import { WebhookMessagesRepository } from '../../src/webhooks/store/webhook-messages.repository';
import { BusinessFixture, createToken } from '../factories/tenancy.factory';
import { asBearer, asMember, asOwner, Caller } from '../harness/app/api';
import { TEST_WEBHOOK_SECRETS_KEY, TestApp } from '../harness/app/test-app';

/**
 * Webhook endpoints and their callers, on both chains: a business owner's tokens with given
 * scopes (`/api/v1/webhooks`) and the bootstrap platform admin's platform tokens
 * (`/platform/v1/webhooks`), which cannot be made over HTTP; and endpoints put straight into
 * the repository, for suites that need hundreds (the HTTP route writes an audit event each).
 */

export type Chain = 'business' | 'platform';

export const WEBHOOKS_PATH: Record<Chain, string> = {
  business: '/api/v1/webhooks',
  platform: '/platform/v1/webhooks',
};

export const scopesLabel = (scopes: readonly string[] | null) =>
  scopes === null ? 'unrestricted' : `[${scopes.join(',')}]`;

/** A platform token of the bootstrap platform admin, with `scopes`. */
export async function platformToken(t: TestApp, scopes: string[] | null): Promise<string> {
  const [row] = await t.sql<{ identity_id: string }>(
    'SELECT identity_id FROM api_tokens WHERE token_hash = ?',
    [hashSecret(t.platformToken)],
  );
  const [identity] = await t.sql<{ email: string }>('SELECT email FROM identities WHERE id = ?', [
    row.identity_id,
  ]);
  const author: Author = {
    ...SYSTEM_AUTHOR,
    actor: { id: row.identity_id, type: 'user', label: identity.email },
  };
  const { secret } = await t.app.get(UnitOfWork).run((tx) =>
    t.app.get(TokenIssuanceService).issue(
      author,
      {
        businessId: null,
        identityId: row.identity_id,
        name: `webhooks ${scopesLabel(scopes)}`,
        scopes,
        expiresAt: null,
      },
      tx,
    ),
  );
  return secret;
}

/** The headers of a caller on `chain` with `scopes`: the owner's own token, or a platform token. */
export async function callerWith(
  t: TestApp,
  chain: Chain,
  biz: BusinessFixture,
  scopes: string[] | null,
): Promise<Caller> {
  if (chain === 'platform') return asBearer(await platformToken(t, scopes));
  const body = scopes === null ? { name: 'unrestricted' } : { name: 'scoped', scopes };
  return asMember((await createToken(t, asOwner(biz), body)).secret, biz.id);
}

export interface PlacedEndpoint {
  id: string;
  /** A `webhook.test` message of the endpoint, still queued. */
  message: string;
}

/** An endpoint of `chain` (a business id, or the platform's) that wants `eventTypes`. */
export async function placeEndpoint(
  t: TestApp,
  /** A business id, or PLATFORM_CHAIN. */
  chain: string,
  eventTypes: string[],
  options: { url?: string; disabled?: boolean } = {},
): Promise<PlacedEndpoint> {
  const now = new Date();
  const id = randomUUID();
  const key = Buffer.from(TEST_WEBHOOK_SECRETS_KEY, 'base64');
  const uow = t.app.get(UnitOfWork);
  await uow.run((tx) =>
    t.app.get(WebhookEndpointsRepository).insertEndpoint(
      {
        id,
        chainId: chain,
        url: options.url ?? 'http://127.0.0.1:9/placed',
        description: '',
        eventTypes,
        // As a maker who reads the audit log would have it for `*` and `audit.event`.
        personalData: receivesAudit(eventTypes),
        signatureScheme: 'v1',
        secretSealed: seal(key, id, `whsec_${randomBytes(32).toString('base64')}`),
        previousSecretSealed: null,
        previousSecretUntil: null,
        disabledAt: options.disabled ? now : null,
        disabledReason: options.disabled ? 'requested' : null,
        failingSince: null,
        pausedAt: null,
        statusReason: null,
        eventsRequested: null,
        createdAt: now,
        updatedAt: now,
      },
      tx,
    ),
  );
  const message = messageId();
  await uow.run((tx) =>
    t.app.get(WebhookMessagesRepository).enqueue(
      [
        {
          id: message,
          endpointId: id,
          chainId: chain,
          eventType: 'webhook.test',
          payload: payloadOf('webhook.test', now, JSON.stringify({ endpoint_id: id })),
          status: 'pending',
          attempts: 0,
          nextAttemptAt: now,
          createdAt: now,
          deliveredAt: null,
        },
      ],
      tx,
    ),
  );
  return { id, message };
}

export { PLATFORM_CHAIN };
