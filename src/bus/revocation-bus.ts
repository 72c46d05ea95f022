import {
  BeforeApplicationShutdown,
  Logger,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { loggableError } from '../common/safe-error';
import type { AppConfig } from '../config/app-config';
import type { Metrics } from '../metrics/metrics';
import type { BusTransport, BusTransportEvents, BusTransportFactory } from './bus-transport';
import { InvalidationHandler, InvalidationMessage, parseWireMessage } from './invalidation-message';

export type { InvalidationHandler, InvalidationMessage } from './invalidation-message';

/** Whether this instance hears every invalidation, for readiness and the verifier cache. */
export interface BusState {
  transport: 'in-process' | BusTransport['name'];
  /** False while messages from other instances may be missed. Always true in-process. */
  connected: boolean;
}

export type BusStateListener = (connected: boolean) => void;

/**
 * The revocation bus. A message published here reaches every subscriber of this instance
 * synchronously, before the response that caused it is sent, so the instance that revoked
 * never accepts the token again. It also goes out to the other processes on one channel,
 * `<REDIS_KEY_PREFIX>invalidation`: Redis pub/sub with REDIS_URL, otherwise PostgreSQL
 * LISTEN/NOTIFY on PostgreSQL. On SQLite without Redis it stays in-process. An instance skips
 * its own echo. BusModule makes it, with the transport `loadBusTransport` chose.
 */
export class RevocationBus
  implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger(RevocationBus.name);
  private readonly handlers = new Set<InvalidationHandler>();
  private readonly stateListeners = new Set<BusStateListener>();
  /** Names this instance on the channel. Not a secret. */
  private readonly instanceId = randomUUID();
  private readonly remote: BusTransport | null;
  /** Publishes under way, so a process that exits (the CLI) does not drop them. */
  private readonly publishing = new Set<Promise<void>>();

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

  get state(): BusState {
    return this.remote
      ? { transport: this.remote.name, connected: this.remote.connected }
      : { transport: 'in-process', connected: true };
  }

  publish(message: InvalidationMessage): void {
    this.metrics.busPublished(message.type);
    this.deliver(message);
    if (!this.remote) return;
    // Fire and forget: a lost message costs at most one cache TTL of staleness elsewhere.
    const sent: Promise<void> = this.remote
      .publish(JSON.stringify({ ...message, origin: this.instanceId, sent_at: Date.now() }))
      .then(
        () => undefined,
        (e: unknown) => {
          this.metrics.busPublishFailed();
          this.logger.warn({ err: loggableError(e) }, 'invalidation not published');
        },
      )
      .finally(() => this.publishing.delete(sent));
    this.publishing.add(sent);
  }

  /** Returns the function that unsubscribes. */
  subscribe(handler: InvalidationHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Hears every change of `state.connected`; read `state` for the current one. */
  onStateChange(listener: BusStateListener): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  async onModuleInit(): Promise<void> {
    await this.remote?.start();
  }

  /** Before the pools close: a publish still under way needs its connection. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([...this.publishing]);
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
    this.metrics.busReceived(wire.message.type);
    this.deliver(wire.message);
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
