import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { loggableError } from '../common/safe-error';
import type { EventOrigin } from '../database/domain-event';
import { UnitOfWork } from '../database/unit-of-work';
import { identityLabel } from '../tenancy/identity.entity';
import { TenancyDirectory } from '../tenancy/tenancy-directory';
import { RejectionReason, TokenRef, TokenRejectedEvent } from './tokens.events';

const ONCE_PER_MS = 60_000;

/**
 * Records `token.rejected` when a revoked or expired token is presented: at most once a minute
 * per token and instance, and off the request path, so a flood of replays costs one write a
 * minute and never delays the 401.
 */
@Injectable()
export class RejectedUseRecorder implements BeforeApplicationShutdown {
  private readonly logger = new Logger(RejectedUseRecorder.name);
  private readonly recent = new LRUCache<string, true>({ max: 50_000, ttl: ONCE_PER_MS });
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly uow: UnitOfWork,
    private readonly tenancy: TenancyDirectory,
  ) {}

  note(token: TokenRef, reason: RejectionReason, origin: EventOrigin): void {
    if (this.recent.has(token.id)) return;
    this.recent.set(token.id, true);
    const write = this.record(token, reason, origin)
      .catch((e) => {
        this.logger.warn({ err: loggableError(e), jti: token.jti }, 'token.rejected not recorded');
      })
      .finally(() => this.inFlight.delete(write));
    this.inFlight.add(write);
  }

  /** Waits for the writes already started. */
  async settle(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.settle();
  }

  private async record(token: TokenRef, reason: RejectionReason, origin: EventOrigin) {
    // The presenter is unknown; the event names the identity the token was issued to.
    const identity = await this.tenancy.findIdentityAnyBusiness(token.identityId);
    const actor = identity
      ? { id: identity.id, type: identity.kind, label: identityLabel(identity) }
      : { id: token.identityId, type: 'system' as const, label: 'unknown' };
    await this.uow.run((tx) => tx.emit(new TokenRejectedEvent({ actor, origin }, token, reason)));
  }
}
