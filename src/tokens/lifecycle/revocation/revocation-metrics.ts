import { Injectable } from '@nestjs/common';
import { DomainEvents } from '../../../database/units/domain-events';
import { Metrics, RevocationOrigin } from '../../../metrics/metrics';
import { RevocationCause, TokenRevokedEvent } from '../../tokens.events';

const CASCADES = new Set<RevocationCause>([
  'member_removed',
  'identity_deleted',
  'platform_admin_removed',
]);

/**
 * Where a revocation came from: a cascade whatever the channel that caused it, RFC 7009's
 * presentation as oauth2, else the author's way in (api, cli, or the server itself).
 */
export function revocationOrigin(event: TokenRevokedEvent): RevocationOrigin {
  if (CASCADES.has(event.cause)) return 'cascade';
  if (event.cause === 'presented') return 'oauth2';
  return event.author.origin.channel;
}

/**
 * Counts revocations once they have committed (an after-commit subscriber), so a revocation
 * rolled back by a failed audit write is never counted, and a repeated revoke (no event) neither.
 */
@Injectable()
export class RevocationMetrics {
  constructor(events: DomainEvents, metrics: Metrics) {
    if (!metrics.enabled) return;
    events.subscribe([TokenRevokedEvent], (event) =>
      metrics.revoked(event.cause, revocationOrigin(event)),
    );
  }
}
