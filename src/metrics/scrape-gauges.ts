import { Counter, Gauge, Registry } from 'prom-client';
import { PreparedStatements, ReplicaReading } from './metrics';

/**
 * What other parts of the app hold and the exposition reads only when scraped: each is set by
 * its `watch…` call on the metrics, and until then reads as none.
 */
export class ScrapeReadings {
  cacheSize: () => number = () => 0;
  busConnected: () => boolean = () => false;
  webhookBacklog: () => number = () => 0;
  replicas: () => readonly ReplicaReading[] = () => [];
  statements: (() => PreparedStatements) | null = null;
}

/** The gauges (and one copied counter) whose values are read at each scrape, not counted. */
export function registerScrapeGauges(registry: Registry, read: ScrapeReadings): void {
  const registers = [registry];
  const cacheEntries: Gauge = new Gauge({
    name: 'latchkey_verifier_cache_entries',
    help: 'Tokens held by the verifier cache',
    registers,
    collect: () => cacheEntries.set(read.cacheSize()),
  });
  const busConnected: Gauge = new Gauge({
    name: 'latchkey_bus_connected',
    help: '1 while the revocation bus hears every invalidation, 0 while it may miss some',
    registers,
    collect: () => busConnected.set(read.busConnected() ? 1 : 0),
  });
  const webhookBacklog: Gauge = new Gauge({
    name: 'latchkey_webhook_messages_queued',
    help: 'Webhook messages waiting for delivery (due or retrying), as last counted',
    registers,
    collect: () => webhookBacklog.set(read.webhookBacklog()),
  });
  // Read replicas, by their place in DATABASE_REPLICA_URLS (at most 8): none without them.
  const replicaServing: Gauge<'replica'> = new Gauge({
    name: 'latchkey_db_replica_serving',
    help: '1 while a read replica is a standby within REPLICA_MAX_LAG_MS (reads go to it), else 0',
    labelNames: ['replica'] as const,
    registers,
    collect: () => {
      replicaServing.reset();
      for (const r of read.replicas())
        replicaServing.set({ replica: String(r.replica) }, r.serving ? 1 : 0);
    },
  });
  const replicaLag: Gauge<'replica'> = new Gauge({
    name: 'latchkey_db_replica_lag_seconds',
    help: 'How far a read replica is behind the primary, by replay position; absent while unknown',
    labelNames: ['replica'] as const,
    registers,
    collect: () => {
      replicaLag.reset();
      for (const r of read.replicas()) {
        if (r.lagMs !== null) replicaLag.set({ replica: String(r.replica) }, r.lagMs / 1000);
      }
    },
  });
  // A counter kept by the database layer, copied at each scrape; absent on PostgreSQL.
  let copied = 0;
  const prepared: Counter = new Counter({
    name: 'latchkey_sql_statements_prepared_total',
    help: 'SQL statements SQLite prepared (parsed and planned): TypeORM driver, fixed texts, pragmas',
    registers,
    collect: () => {
      const now = read.statements?.().prepared ?? copied;
      prepared.inc(now - copied);
      copied = now;
    },
  });
  const texts: Gauge = new Gauge({
    name: 'latchkey_sql_statement_texts',
    help: 'Distinct SQL texts SQLite prepared since start (at most 10,000 counted)',
    registers,
    collect: () => texts.set(read.statements?.().texts ?? 0),
  });
}
