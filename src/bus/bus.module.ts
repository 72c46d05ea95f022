import { Global, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { Metrics } from '../metrics/metrics';
import type { BusTransportFactory } from './bus-transport';
import { RevocationBus } from './revocation-bus';

/**
 * The transport the config asks for: Redis pub/sub when Redis is configured (REDIS_URL,
 * REDIS_SENTINELS or REDIS_CLUSTER_NODES), otherwise PostgreSQL LISTEN/NOTIFY on PostgreSQL, and
 * none on SQLite without Redis. Its client library (ioredis or pg) is loaded only then, so a
 * process that needs neither (the CLI on SQLite) never loads it.
 */
async function loadBusTransport(
  config: AppConfig,
  dataSource: DataSource,
): Promise<BusTransportFactory | null> {
  const redis = config.redisTopology;
  // LISTEN needs a session: a direct connection (DATABASE_DIRECT_URL) when there is one.
  const listenUrl = config.sessionDatabaseUrl;
  if (redis) {
    const { RedisTransport } = await import('./redis-transport');
    const { RedisConnections } = await import('./redis-connections');
    const connections = new RedisConnections(redis);
    return (channel, events) => new RedisTransport(connections, channel, events);
  }
  if (listenUrl) {
    const { PgNotifyTransport } = await import('./pg-notify-transport');
    return (channel, events) => new PgNotifyTransport(listenUrl, channel, dataSource, events);
  }
  return null;
}

@Global()
@Module({
  providers: [
    {
      provide: RevocationBus,
      inject: [AppConfig, DataSource, Metrics],
      useFactory: async (config: AppConfig, dataSource: DataSource, metrics: Metrics) =>
        new RevocationBus(config, metrics, await loadBusTransport(config, dataSource)),
    },
  ],
  exports: [RevocationBus],
})
export class BusModule {}
