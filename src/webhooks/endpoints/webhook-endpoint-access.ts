import { AuthError } from '../../auth/auth-error';
import type { RequestContext } from '../../auth/request-context';
import { holdKeyLock } from '../../database/units/key-lock';
import type { Reader } from '../../database/units/reader';
import type { Transaction } from '../../database/units/unit-of-work';
import { WebhookError } from '../webhook-error';
import { WEBHOOK_POLICY, WebhookAction } from './webhook-policy';
import type { WebhookEndpointsRepository } from '../store/webhook-endpoints.repository';

/** The endpoint, or 404. */
export async function endpointOrFail(
  repo: WebhookEndpointsRepository,
  chainId: string,
  id: string,
  db: Reader,
) {
  const endpoint = await repo.findEndpoint(chainId, 'webhook', id, db);
  if (!endpoint) throw new WebhookError('WEBHOOK_NOT_FOUND');
  return endpoint;
}

/**
 * The key lock of one endpoint. A change to the endpoint holds it exclusive; the attempt
 * recorder holds it shared for each endpoint its batch writes to, before its first write. So a
 * change that rewrites an endpoint's messages (a delete or a disable kills the pending ones)
 * waits for the attempts being recorded, rather than meeting them row by row in the other
 * order, which PostgreSQL ends as a deadlock by failing one side.
 */
export const endpointKey = (id: string) => `webhook-endpoint:${id}`;

/**
 * The endpoint, or 404, for a change to it: changes to one endpoint run one at a time (its key
 * lock, exclusive, until commit on PostgreSQL; SQLite runs one transaction at a time), so two
 * never both decide on what it said before either: a URL moved while another request
 * subscribes it to audit events is decided on the new types. Not a row lock: the attempt
 * recorder locks a message before its endpoint, and a change locks them the other way round.
 */
export async function lockedEndpointOrFail(
  repo: WebhookEndpointsRepository,
  chainId: string,
  id: string,
  tx: Transaction,
) {
  await holdKeyLock(endpointKey(id), 'exclusive', tx);
  return endpointOrFail(repo, chainId, id, tx);
}

/**
 * 403 INSUFFICIENT_SCOPE when `action` touches audit data and the token does not allow what
 * `WEBHOOK_POLICY` asks for that: an endpoint that receives audit events is the audit log.
 */
export function mayTouchAudit(
  ctx: RequestContext,
  action: WebhookAction,
  auditData: boolean,
): void {
  const scope = WEBHOOK_POLICY[action].onAudit;
  if (auditData && scope && !ctx.allowsScope(scope)) {
    throw AuthError.forbidden(
      'INSUFFICIENT_SCOPE',
      `This token lacks the ${scope} scope, which an endpoint that receives audit events needs`,
    );
  }
}
