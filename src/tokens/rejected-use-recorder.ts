import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { loggableError } from '../common/safe-error';
import type { EventActor, EventOrigin } from '../database/domain-event';
import { UnitOfWork } from '../database/unit-of-work';
import { RejectionReason, TokenRef, TokenRejectedEvent } from './tokens.events';

const ONCE_PER_MS = 60_000;

/**
 * Records `token.rejected` when a revoked or expired token is presented, or a live one from outside
 * its networks: at most once a minute per token (and address) and instance, and off the request path, so a flood of replays costs one write a
 * minute and never delays the 401.
 */
@Injectable()
export class RejectedUseRecorder implements BeforeApplicationShutdown {
  private readonly logger = new Logger(RejectedUseRecorder.name);
  private readonly recent = new LRUCache<string, true>({ max: 50_000, ttl: ONCE_PER_MS });
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly uow: UnitOfWork) {}

  /**
   * `holder` is the identity the token was issued to, as the verifier read it: the presenter
   * is unknown, so the event names the holder.
   */
  note(token: TokenRef, holder: EventActor, reason: RejectionReason, origin: EventOrigin): void {
    // A dead token is told once a minute wherever it comes from; a live one used from outside
    // its networks, once a minute per address, so each new place it turns up is seen.
    const key = reason === 'ip_not_allowed' ? `${token.id} ${origin.ip ?? ''}` : token.id;
    if (this.recent.has(key)) return;
    this.recent.set(key, true);
    const write = this.uow
      .run((tx) => tx.publish(new TokenRejectedEvent({ actor: holder, origin }, token, reason)))
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
}
