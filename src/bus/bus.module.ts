import { Global, Module } from '@nestjs/common';
import { Invalidations } from '../common/invalidations';
import { AppConfig } from '../config/app-config';
import { Database } from '../database/connection/read-routing';
import { Metrics } from '../metrics/metrics';
import type { BusTransport, BusTransportFactory } from './bus-transport';
import { PublishOnlyTransport } from './publish-only-transport';
import { RevocationBus } from './revocation-bus';

/**
 * The transport the config asks for: Redis pub/sub when Redis is configured (REDIS_URL,
 * REDIS_SENTINELS or REDIS_CLUSTER_NODES), otherwise PostgreSQL LISTEN/NOTIFY on PostgreSQL, and
 * none on SQLite without Redis. Its client library (ioredis or pg) is loaded only then, so a
 * process that needs neither (the CLI on SQLite) never loads it.
 */
function busTransport(
  config: AppConfig,
  database: Database,
): { name: BusTransport['name']; load: () => Promise<BusTransportFactory> } | null {
  const redis = config.redisTopology;
  // LISTEN needs a session: a direct connection (DATABASE_DIRECT_URL) when there is one.
  const listenUrl = config.sessionDatabaseUrl;
  if (redis) {
    return {
      name: 'redis',
      load: async () => {
        const { RedisTransport } = await import('./redis-transport');
        const { RedisConnections } = await import('../redis/redis-connections');
        const connections = new RedisConnections(redis);
        return (channel, events) => new RedisTransport(connections, channel, events);
      },
    };
  }
  if (listenUrl) {
    return {
      name: 'postgres',
      load: async () => {
        const { PgNotifyTransport } = await import('./pg-notify-transport');
        return (channel, events) =>
          new PgNotifyTransport(listenUrl, channel, database.primary, events);
      },
    };
  }
  return null;
}

/**
 * The CLI's: the same transport, but publish-only and opened on the first publish
 * (`PublishOnlyTransport`): a command that changes no token connects to no Redis.
 */
function publishOnly(config: AppConfig, database: Database): BusTransportFactory | null {
  const transport = busTransport(config, database);
  if (!transport) return null;
  return (channel, events) =>
    new PublishOnlyTransport(transport.name, async () => (await transport.load())(channel, events));
}

@Global()
@Module({
  providers: [
    {
      provide: RevocationBus,
      inject: [AppConfig, Database, Metrics],
      useFactory: async (config: AppConfig, database: Database, metrics: Metrics) =>
        new RevocationBus(config, metrics, (await busTransport(config, database)?.load()) ?? null),
    },
    { provide: Invalidations, useExisting: RevocationBus },
  ],
  exports: [RevocationBus, Invalidations],
})
export class BusModule {}

/**
 * The bus of a process that publishes and never listens (the CLI): see `publishOnly`. It is
 * `Invalidations` too, as the core's meters and caches take it, and hear this process alone.
 */
@Global()
@Module({
  providers: [
    {
      provide: RevocationBus,
      inject: [AppConfig, Database, Metrics],
      useFactory: (config: AppConfig, database: Database, metrics: Metrics) =>
        new RevocationBus(config, metrics, publishOnly(config, database)),
    },
    { provide: Invalidations, useExisting: RevocationBus },
  ],
  exports: [RevocationBus, Invalidations],
})
export class PublishingBusModule {}
