import type { Cluster, default as Redis, RedisOptions } from 'ioredis';
import net from 'node:net';
import type {
  RedisNodeAddress,
  RedisTopology,
} from '../config/sections/storage/redis-topology-config';

/** A connection for commands: one server's (standalone or Sentinel's master), or a Cluster's. */
export type RedisClient = Redis | Cluster;

/** What a user of Redis asks of its connection, whatever the topology. */
export interface RedisClientOptions {
  /** Prepended to every key (not to channels): `<REDIS_KEY_PREFIX>…`. */
  keyPrefix?: string;
  /** Queue commands while disconnected (the bus publisher), or fail them at once (limits). */
  enableOfflineQueue?: boolean;
  maxRetriesPerRequest?: number | null;
  connectTimeout?: number;
  commandTimeout?: number;
  /** The delay before the next reconnect; null for none (the health check connects itself). */
  retryStrategy?: Retry;
}

/** Channels are not prefixed, and a subscriber has no queue of its own to keep. */
export type RedisSubscriberOptions = Omit<RedisClientOptions, 'keyPrefix' | 'enableOfflineQueue'> &
  Pick<RedisOptions, 'autoResubscribe' | 'autoResendUnfulfilledCommands'>;

const SENTINEL_COMMAND_TIMEOUT_MS = 1000;
type Retry = (attempt: number) => number | null;
const defaultRetry: Retry = (attempt) => Math.min(attempt * 50, 1000);

/**
 * ioredis, loaded with the first connection made: an installation without Redis never loads it
 * (about 20 ms of every start otherwise).
 */
function ioredis(): typeof import('ioredis') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('ioredis') as typeof import('ioredis');
}

/**
 * Makes every Redis connection the app holds (the bus's publisher and subscriber, the rate
 * limits' counters, DPoP's replay cache, the uses ledger, the readiness check), from the one
 * topology the config names, so that each user works the same on one server, behind Sentinel,
 * and on a Cluster:
 * - Sentinel: each connection asks the Sentinels for the master, checks that it is one, and asks
 *   again whenever it reconnects.
 * - Cluster: commands go to the slot's master (keys that one script touches share a hash tag);
 *   the subscriber is a plain connection to one node (a PUBLISH reaches every node of a Cluster),
 *   which moves to the next node when it drops and says so, like any other connection.
 */
export class RedisConnections {
  constructor(readonly topology: RedisTopology) {}

  /** A connection for commands. It connects on `connect()` or on its first command. */
  client(options: RedisClientOptions = {}): RedisClient {
    const { retryStrategy = defaultRetry, keyPrefix, enableOfflineQueue, ...common } = options;
    const topology = this.topology;
    if (topology.kind !== 'cluster') {
      return this.server({ ...common, retryStrategy, keyPrefix, enableOfflineQueue });
    }
    return new (ioredis().Cluster)(topology.nodes, {
      lazyConnect: true,
      keyPrefix,
      enableOfflineQueue,
      clusterRetryStrategy: (attempt) => retryStrategy(attempt),
      slotsRefreshTimeout: options.connectTimeout ?? 2000,
      redisOptions: { ...common, password: topology.password },
    });
  }

  /**
   * A connection for SUBSCRIBE: a plain one on every topology, so that its drops and its
   * 'ready' are seen (a Cluster's own subscriber moves between nodes without a word). On a
   * Cluster it rotates over the nodes that `publisher` (a client of this) knows, or else over
   * the configured ones.
   */
  subscriber(options: RedisSubscriberOptions = {}, publisher?: RedisClient): Redis {
    const cluster = publisher instanceof ioredis().Cluster ? publisher : undefined;
    const { retryStrategy = defaultRetry, ...common } = options;
    const topology = this.topology;
    if (topology.kind !== 'cluster') return this.server({ ...common, retryStrategy });
    const nodes = (): RedisNodeAddress[] => {
      const known = (cluster?.nodes('all') ?? []).flatMap(({ options: o }) =>
        o.host && o.port ? [{ host: o.host, port: o.port }] : [],
      );
      return known.length > 0 ? known : topology.nodes;
    };
    return new (ioredis().Redis)({
      ...common,
      password: topology.password,
      lazyConnect: true,
      retryStrategy,
      Connector: rotatingConnector(nodes),
    });
  }

  /** A connection to one server: REDIS_URL's, or the master the Sentinels name. */
  private server(options: RedisOptions & { retryStrategy: Retry }): Redis {
    const topology = this.topology;
    if (topology.kind === 'standalone')
      return new (ioredis().Redis)(topology.url, { ...options, lazyConnect: true });
    if (topology.kind !== 'sentinel') throw new Error(`no single server on a ${topology.kind}`);
    return new (ioredis().Redis)({
      ...options,
      sentinels: topology.sentinels,
      name: topology.name,
      password: topology.password,
      sentinelPassword: topology.sentinelPassword,
      sentinelCommandTimeout: SENTINEL_COMMAND_TIMEOUT_MS,
      // Once every Sentinel was tried: the same pacing as the connection's own retries.
      sentinelRetryStrategy: options.retryStrategy,
      // No `failoverDetector`: when +switch-master came while a client was reconnecting, it ended
      // the client for good (status 'end') in tests here; the dead master's dropped socket is
      // what each connection follows instead.
      lazyConnect: true,
    });
  }
}

/** A connector that connects to the next of `nodes()` on each attempt. */
function rotatingConnector(nodes: () => RedisNodeAddress[]) {
  let next = 0;
  return class RotatingConnector extends ioredis().AbstractConnector {
    constructor(options: unknown) {
      super((options as { disconnectTimeout?: number }).disconnectTimeout ?? 2000);
    }

    connect(): Promise<net.Socket> {
      this.connecting = true;
      const list = nodes();
      const node = list[next++ % list.length];
      // As ioredis's own connector: the stream is made on the next tick, unless closed meanwhile.
      return new Promise((resolve, reject) => {
        process.nextTick(() => {
          if (!this.connecting) return reject(new Error('Connection is closed.'));
          const stream = net.createConnection({ host: node.host, port: node.port });
          stream.once('error', (err) => (this.firstError = err));
          this.stream = stream;
          resolve(stream);
        });
      });
    }
  };
}
