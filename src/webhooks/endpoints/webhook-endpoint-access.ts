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
 * The endpoint, or 404, for a change to it: changes to one endpoint run one at a time (an
 * advisory lock until commit on PostgreSQL; SQLite runs one transaction at a time), so two
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
  await holdKeyLock(`webhook-endpoint:${id}`, 'exclusive', tx);
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
