import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { loggableError } from '../common/errors/safe-error';
import type { BusTransport, BusTransportEvents } from './bus-transport';
import { disconnectNow } from '../redis/redis-disconnect';
import type { RedisClient, RedisConnections } from '../redis/redis-connections';

/** How long boot waits for the first connection before it goes on without the bus. */
const FIRST_CONNECT_WAIT_MS = 2000;
const CLOSE_WAIT_MS = 1000;

/**
 * Redis pub/sub for the revocation bus: one connection publishes, one subscribes (a subscribed
 * connection can do nothing else). The subscriber counts as up only once Redis has confirmed the
 * subscription, because a message published before that is lost to this instance. Behind
 * Sentinel both follow the master through a failover; on a Cluster the publisher is the
 * Cluster's and the subscriber sits on one node (RedisConnections).
 */
export class RedisTransport implements BusTransport {
  readonly name = 'redis';
  private readonly logger = new Logger(RedisTransport.name);
  private readonly publisher: RedisClient;
  private readonly subscriber: Redis;
  private up = false;
  /** Bumped on every new connection, so a late SUBSCRIBE reply of an old one is ignored. */
  private connection = 0;
  private firstOutcome: (() => void) | null = null;
  private closing = false;

  constructor(
    connections: RedisConnections,
    private readonly channel: string,
    private readonly events: BusTransportEvents,
  ) {
    // Publishes made while disconnected wait in the offline queue and go out on reconnect:
    // a late eviction is harmless, and subscribers that were down flushed their caches anyway.
    this.publisher = connections.client({ maxRetriesPerRequest: 20 });
    this.subscriber = connections.subscriber(
      {
        // We resubscribe ourselves on 'ready', so that "up" waits for Redis to confirm it.
        autoResubscribe: false,
        autoResendUnfulfilledCommands: false,
        maxRetriesPerRequest: null,
      },
      this.publisher,
    );
    // Errors repeat on every reconnect attempt; the change of state is what is logged loudly.
    this.publisher.on('error', (e) => this.logger.debug({ err: loggableError(e) }, 'publisher'));
    this.subscriber.on('error', (e) => {
      if (this.subscriber.status !== 'ready') this.setUp(false);
      this.logger.debug({ err: loggableError(e) }, 'subscriber');
    });
    this.subscriber.on('ready', () => this.subscribe());
    for (const event of ['close', 'end', 'reconnecting'] as const) {
      this.subscriber.on(event, () => this.setUp(false));
    }
    this.subscriber.on('message', (from: string, raw: string) => {
      if (from === this.channel) this.events.message(raw);
    });
  }

  get connected(): boolean {
    return this.up;
  }

  async start(): Promise<void> {
    const first = new Promise<void>((resolve) => {
      this.firstOutcome = resolve;
      setTimeout(resolve, FIRST_CONNECT_WAIT_MS).unref();
    });
    // Failures are reported through 'error' and retried in the background.
    this.publisher.connect().catch(() => undefined);
    this.subscriber.connect().catch(() => this.settleFirst());
    await first;
  }

  publish(payload: string): Promise<unknown> {
    return this.publisher.publish(this.channel, payload);
  }

  async close(): Promise<void> {
    this.closing = true;
    disconnectNow(this.subscriber);
    if (this.publisher.status === 'ready') {
      // QUIT goes out after the pending publishes, so they are not cut off.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.publisher.quit().catch(() => undefined),
        new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS))),
      ]);
      clearTimeout(timer);
    }
    disconnectNow(this.publisher);
    this.setUp(false);
  }

  private subscribe(): void {
    const connection = ++this.connection;
    this.subscriber.subscribe(this.channel).then(
      () => {
        if (connection === this.connection && this.subscriber.status === 'ready') this.setUp(true);
      },
      (e: unknown) => {
        this.logger.warn({ err: loggableError(e) }, 'subscribe failed');
        this.settleFirst();
      },
    );
  }

  private setUp(up: boolean): void {
    if (!up) this.settleFirst();
    if (this.up === up) return;
    this.up = up;
    if (up) this.settleFirst();
    if (up) this.logger.log('revocation bus connected');
    else if (!this.closing)
      this.logger.warn('revocation bus disconnected: the token cache is bypassed until it is back');
    this.events.connection(up);
  }

  private settleFirst(): void {
    this.firstOutcome?.();
    this.firstOutcome = null;
  }
}
