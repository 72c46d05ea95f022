import { Injectable, Logger } from '@nestjs/common';
import { loggableError } from '../common/safe-error';

/**
 * What changed, after commit, so that every instance can evict what it cached about it. Never
 * a secret: tokens are named by their public jti.
 */
export type InvalidationMessage =
  | { type: 'token.changed'; business_id: string | null; jti: string }
  | { type: 'business.changed'; business_id: string }
  | { type: 'membership.changed'; business_id: string; identity_id: string };

export type InvalidationHandler = (message: InvalidationMessage) => void;

/**
 * The revocation bus. In-process by default: a message published here reaches every
 * subscriber of this instance synchronously, before the response that caused it is sent.
 */
@Injectable()
export class RevocationBus {
  private readonly logger = new Logger(RevocationBus.name);
  private readonly handlers = new Set<InvalidationHandler>();

  publish(message: InvalidationMessage): void {
    for (const handler of this.handlers) {
      try {
        handler(message);
      } catch (e) {
        this.logger.error({ err: loggableError(e), type: message.type }, 'bus handler failed');
      }
    }
  }

  /** Returns the function that unsubscribes. */
  subscribe(handler: InvalidationHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }
}
