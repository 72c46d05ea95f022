/**
 * What changed, after commit, so that every instance can evict what it cached about it. Never
 * a secret: tokens are named by their public jti.
 */
export type InvalidationMessage =
  | { type: 'token.changed'; business_id: string | null; jti: string }
  | { type: 'business.changed'; business_id: string }
  | { type: 'membership.changed'; business_id: string; identity_id: string };

export type InvalidationHandler = (message: InvalidationMessage) => void;

export type InvalidationsStateListener = (connected: boolean) => void;

/** Whether this process hears every invalidation. */
export interface InvalidationsState {
  /** How messages reach the other processes: not at all ('in-process', SQLite without Redis). */
  transport: 'in-process' | 'redis' | 'postgres';
  /** False while messages from other processes may be missed. Always true in-process. */
  connected: boolean;
}

/**
 * The invalidation messages, as the features that cache and publish see them: the front door of
 * the revocation bus (src/bus/), which implements it and whose modules provide it under this
 * class (a Nest injection token). A feature depends on this, never on the bus, so it knows
 * nothing of transports or of how the bus is made.
 */
export abstract class Invalidations {
  abstract get state(): InvalidationsState;

  /**
   * Delivers `message` to every subscriber of this process before it returns (the instance that
   * made a change never serves what it evicts), then to the other processes.
   */
  abstract publish(message: InvalidationMessage): void;

  /** Returns the function that unsubscribes. */
  abstract subscribe(handler: InvalidationHandler): () => void;

  /** Hears every change of `state.connected`; returns the function that unsubscribes. */
  abstract onStateChange(listener: InvalidationsStateListener): () => void;
}
