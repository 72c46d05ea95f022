import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { boundedLru } from '../../common/bounded-lru';
import { lazy } from '../../common/lazy';
import { loggableError } from '../../common/errors/safe-error';
import type { EventActor, EventOrigin } from '../../database/units/domain-event';
import { UnitOfWork } from '../../database/units/unit-of-work';
import { RejectionReason, TokenRejectedEvent } from '../token-sightings.events';
import type { TokenRef } from '../tokens.events';

const ONCE_PER_MS = 60_000;
/**
 * Addresses a live token is told refused from, per token and minute: each new place a leaked
 * token turns up is seen, but a holder of a whole IPv6 /64 cannot buy an audit append (and a
 * webhook) per address.
 */
export const ADDRESSES_PER_TOKEN_PER_MINUTE = 10;
/** Writes waiting at once; beyond it a rejection goes unrecorded rather than queue without end. */
export const MAX_IN_FLIGHT = 64;

/**
 * Records `token.rejected` when a revoked or expired token is presented, or a live one from
 * outside its networks, off the request path, so a flood of replays never delays the answer: a
 * dead token at most once a minute per instance; a live one once a minute per address, and from
 * at most `ADDRESSES_PER_TOKEN_PER_MINUTE` addresses. At most `MAX_IN_FLIGHT` writes wait at once.
 */
@Injectable()
export class RejectedUseRecorder implements BeforeApplicationShutdown {
  private readonly logger = new Logger(RejectedUseRecorder.name);
  private readonly recent = lazy(() => boundedLru<string, true>(50_000, { ttl: ONCE_PER_MS }));
  /** Addresses told this minute, per token refused by its networks. */
  private readonly addressesTold = lazy(() =>
    boundedLru<string, { n: number }>(10_000, { ttl: ONCE_PER_MS }),
  );
  private readonly inFlight = new Set<Promise<void>>();
  private dropped = 0;

  constructor(private readonly uow: UnitOfWork) {}

  /**
   * `holder` is the identity the token was issued to, as the verifier read it: the presenter
   * is unknown, so the event names the holder.
   */
  note(token: TokenRef, holder: EventActor, reason: RejectionReason, origin: EventOrigin): void {
    const key = reason === 'ip_not_allowed' ? `${token.id} ${origin.ip ?? ''}` : token.id;
    if (this.recent().has(key)) return;
    if (this.inFlight.size >= MAX_IN_FLIGHT) {
      if (this.dropped++ === 0)
        this.logger.warn('token.rejected writes backed up; some go unrecorded');
      return;
    }
    if (reason === 'ip_not_allowed') {
      const told = this.addressesTold().get(token.id) ?? { n: 0 };
      if (told.n >= ADDRESSES_PER_TOKEN_PER_MINUTE) return;
      told.n += 1;
      // Set only when new, so the minute runs from the first address told.
      if (told.n === 1) this.addressesTold().set(token.id, told);
    }
    this.recent().set(key, true);
    const write = this.uow
      .run((tx) => tx.publish(new TokenRejectedEvent({ actor: holder, origin }, token, reason)))
      .catch((e) => {
        this.logger.warn({ err: loggableError(e), jti: token.jti }, 'token.rejected not recorded');
      })
      .finally(() => {
        this.inFlight.delete(write);
        if (this.inFlight.size === 0) this.dropped = 0;
      });
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
