import {
  BeforeApplicationShutdown,
  Logger,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { loggableError } from '../common/errors/safe-error';
import type { AppConfig } from '../config/app-config';
import type { Metrics } from '../metrics/metrics';
import type {
  InvalidationHandler,
  InvalidationMessage,
  Invalidations,
  InvalidationsState,
  InvalidationsStateListener,
} from '../common/invalidations';
import type { BusTransport, BusTransportEvents, BusTransportFactory } from './bus-transport';
import { parseWireMessage, wirePayloads } from './invalidation-message';

export type { InvalidationHandler, InvalidationMessage } from '../common/invalidations';

/** Messages waiting behind a send that has not ended, at most. */
const MAX_PENDING = 10_000;

/**
 * The revocation bus. A message published here reaches every subscriber of this instance
 * synchronously, before the response that caused it is sent, so the instance that revoked
 * never accepts the token again. It also goes out to the other processes on one channel,
 * `<REDIS_KEY_PREFIX>invalidation`: Redis pub/sub when Redis is configured, otherwise PostgreSQL
 * LISTEN/NOTIFY on PostgreSQL. On SQLite without Redis it stays in-process. An instance skips
 * its own echo. BusModule makes it, with the transport `busTransport` chose, and provides it as
 * `Invalidations` too: the features subscribe and publish through that port, never through this
 * class.
 */
export class RevocationBus
  implements Invalidations, OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger(RevocationBus.name);
  private readonly handlers = new Set<InvalidationHandler>();
  private readonly stateListeners = new Set<InvalidationsStateListener>();
  /** Names this instance on the channel. Not a secret. */
  private readonly instanceId = randomUUID();
  private readonly remote: BusTransport | null;
  /** Messages published while a send was under way: they go out together when it ends. */
  private pending: InvalidationMessage[] = [];
  /** The send under way, if any; awaited at shutdown, so a process that exits (the CLI) does not drop messages. */
  private sending: Promise<void> | null = null;

  constructor(
    config: AppConfig,
    private readonly metrics: Metrics,
    transport: BusTransportFactory | null,
  ) {
    metrics.watchBusConnected(() => this.state.connected);
    const channel = `${config.REDIS_KEY_PREFIX}invalidation`;
    const events: BusTransportEvents = {
      message: (raw) => this.receive(raw),
      connection: (up) => this.notifyState(up),
    };
    this.remote = transport?.(channel, events) ?? null;
  }

  get state(): InvalidationsState {
    return this.remote
      ? { transport: this.remote.name, connected: this.remote.connected }
      : { transport: 'in-process', connected: true };
  }

  publish(message: InvalidationMessage): void {
    this.metrics.busPublished(message.type);
    this.deliver(message);
    if (!this.remote) return;
    if (this.pending.length >= MAX_PENDING) {
      // A send that hangs must not hold memory without bound: the oldest is dropped, which costs
      // at most one cache TTL of staleness elsewhere (the verifier reads through while the
      // transport is down).
      this.pending.shift();
      this.metrics.busPublishFailed();
    }
    this.pending.push(message);
    this.sending ??= this.sendPending();
  }

  /**
   * Sends what is pending, then what was published meanwhile, until nothing is left: one send
   * at a time, so a burst (a cascade revokes thousands of tokens) goes out as a few payloads
   * instead of one NOTIFY or PUBLISH per token. The first send waits one microtask, for the rest
   * of what the same commit publishes (its after-commit hooks run in one loop): a cascade batch
   * is one payload, not its first message alone and the rest behind it, and a lone message
   * still goes at once. Fire and forget: a lost message costs at most one cache TTL of
   * staleness elsewhere.
   */
  private async sendPending(): Promise<void> {
    const remote = this.remote;
    if (!remote) return;
    try {
      await Promise.resolve();
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        await Promise.all(
          wirePayloads(this.instanceId, Date.now(), batch).map((payload) =>
            Promise.resolve()
              .then(() => remote.publish(payload.text))
              .then(
                () => undefined,
                (e: unknown) => {
                  for (let i = 0; i < payload.count; i++) this.metrics.busPublishFailed();
                  this.logger.warn({ err: loggableError(e) }, 'invalidations not published');
                },
              ),
          ),
        );
      }
    } finally {
      this.sending = null;
    }
  }

  /** Returns the function that unsubscribes. */
  subscribe(handler: InvalidationHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Hears every change of `state.connected`; read `state` for the current one. */
  onStateChange(listener: InvalidationsStateListener): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  async onModuleInit(): Promise<void> {
    await this.remote?.start();
  }

  /** Before the pools close: a publish still under way needs its connection. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.sending;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.remote?.close();
  }

  private receive(raw: string): void {
    const wire = parseWireMessage(raw);
    if (!wire) {
      this.metrics.busReceived('malformed');
      this.logger.warn('ignored a malformed invalidation message');
      return;
    }
    if (wire.origin === this.instanceId) return; // delivered locally when published
    for (const message of wire.messages) {
      this.metrics.busReceived(message.type);
      this.deliver(message);
    }
    // Publish to eviction, across instances: the local delivery is synchronous, so not timed.
    if (wire.sentAt !== undefined) this.metrics.busDelay((Date.now() - wire.sentAt) / 1000);
  }

  private deliver(message: InvalidationMessage): void {
    for (const handler of this.handlers) {
      try {
        handler(message);
      } catch (e) {
        this.logger.error({ err: loggableError(e), type: message.type }, 'bus handler failed');
      }
    }
  }

  private notifyState(connected: boolean): void {
    for (const listener of this.stateListeners) {
      try {
        listener(connected);
      } catch (e) {
        this.logger.error({ err: loggableError(e) }, 'bus state listener failed');
      }
    }
  }
}
