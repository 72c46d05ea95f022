import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Pool } from 'pg';
import { DataSource, DataSourceOptions } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { loggableError } from '../../common/errors/safe-error';
import { Metrics } from '../../metrics/metrics';
import { RawRows } from '../raw-rows';
import { lsnOf, PrimaryPositions } from './replica-lag';

/**
 * What the lag check last found of a replica:
 * - `connecting`: not reached yet since the start;
 * - `ready`: a standby, caught up to within REPLICA_MAX_LAG_MS (it may still be behind one
 *   caller's own last write: `ReadRouting` asks `caughtUpTo`);
 * - `behind`: a standby further behind than that;
 * - `down`: it does not answer;
 * - `not_standby`: it answers but is not in recovery (a promoted replica, or a wrong URL), so
 *   nothing says it follows this primary.
 */
export type ReplicaState = 'connecting' | 'ready' | 'behind' | 'down' | 'not_standby';

/** One replica: its own DataSource (a pool like the primary's), and what the check last found. */
export class Replica {
  state: ReplicaState = 'connecting';
  /** It holds every commit made before this (monotonic ms); -Infinity when unknown. */
  caughtUpTo = -Infinity;
  private checking = false;
  private closed = false;
  readonly rows: RawRows;

  constructor(
    /** 1-based, in DATABASE_REPLICA_URLS order: how logs and readiness name it (never its URL). */
    readonly index: number,
    readonly dataSource: DataSource,
  ) {
    this.rows = new RawRows(dataSource);
  }

  get name(): string {
    return `replica ${this.index}`;
  }

  /**
   * Connects when it must, and reads how far it has replayed; bounded by the pool's connect and
   * query timeouts. A check still under way when the next is due is not started twice.
   */
  async check(positions: PrimaryPositions): Promise<ReplicaState | null> {
    if (this.checking || this.closed) return null;
    this.checking = true;
    try {
      if (!this.dataSource.isInitialized) {
        await this.dataSource.initialize();
        // Closed while it connected (the app is stopping): the pool it just made goes too.
        if (this.closed) {
          await this.dataSource.destroy();
          return null;
        }
      }
      const pool = (this.dataSource.driver as unknown as { master: Pool }).master;
      const { rows } = await pool.query<{ standby: boolean; replayed: string | null }>(
        'SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replayed',
      );
      const [{ standby, replayed }] = rows;
      if (!standby || replayed === null) {
        this.caughtUpTo = -Infinity;
        return (this.state = 'not_standby');
      }
      this.caughtUpTo = positions.caughtUpTo(lsnOf(replayed));
      return (this.state = this.caughtUpTo === -Infinity ? 'behind' : 'ready');
    } catch (e) {
      this.caughtUpTo = -Infinity;
      this.state = 'down';
      throw e;
    } finally {
      this.checking = false;
    }
  }

  /** Marks it down until its next check says otherwise: a read on it just failed to connect. */
  markDown(): void {
    this.state = 'down';
    this.caughtUpTo = -Infinity;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

/** A replica's options: the primary's, on its URL, with nothing that writes or needs a session. */
function replicaOptions(primary: DataSourceOptions, url: string): DataSourceOptions {
  if (primary.type !== 'postgres') throw new Error('read replicas need PostgreSQL');
  const extra = { ...(primary.extra as Record<string, unknown>) };
  delete extra.sessionUrl;
  return { ...primary, url, extra, migrations: [], installExtensions: false };
}

/**
 * The read replicas (DATABASE_REPLICA_URLS) and the background check of their lag: every
 * `intervalMs` it samples the primary's WAL position and asks each replica how far it has
 * replayed (`PrimaryPositions` says why by position, not by time). Nothing is asked of any
 * server on a request's path: a request reads `caughtUpTo`, which ages on its own, so a check
 * that stalls makes the replica look behind, never current.
 */
@Injectable()
export class ReplicaSet implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ReplicaSet.name);
  readonly replicas: Replica[];
  readonly maxLagMs: number;
  /** How often the check runs: a quarter of the lag allowed, between 50 ms and 1 s. */
  readonly intervalMs: number;
  private readonly positions: PrimaryPositions;
  private timer: NodeJS.Timeout | undefined;
  private sampling = false;
  private stopped = false;
  private readonly reported = new Map<number, ReplicaState>();

  constructor(
    config: AppConfig,
    private readonly primary: DataSource,
    metrics: Metrics,
  ) {
    this.maxLagMs = config.REPLICA_MAX_LAG_MS;
    this.intervalMs = Math.min(1000, Math.max(50, Math.floor(this.maxLagMs / 4)));
    this.positions = new PrimaryPositions(this.maxLagMs + 4 * this.intervalMs);
    this.replicas = config.replicaUrls.map(
      (url, i) => new Replica(i + 1, new DataSource(replicaOptions(primary.options, url))),
    );
    if (this.replicas.length > 0) {
      metrics.watchReplicas(() =>
        this.status().map((r) => ({
          replica: r.replica,
          serving: r.state === 'ready',
          lagMs: r.lag_ms,
        })),
      );
    }
  }

  /** This process's monotonic clock, in ms: what `caughtUpTo` and write times are read on. */
  now(): number {
    return performance.now();
  }

  onApplicationBootstrap(): void {
    if (this.replicas.length === 0) return;
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.intervalMs);
    this.timer.unref();
  }

  /**
   * One round of the check: the primary's position first, then every replica at once. Exposed
   * for tests, which may wait for a round rather than for the clock.
   */
  async refresh(): Promise<void> {
    if (this.stopped || this.sampling) return;
    this.sampling = true;
    try {
      const at = this.now();
      const [{ lsn }] = await this.primary.query<{ lsn: string }[]>(
        'SELECT pg_current_wal_lsn()::text AS lsn',
      );
      this.positions.add(at, lsnOf(lsn));
    } catch {
      // The primary does not answer: no sample, so the replicas age into `behind` on their own.
    } finally {
      this.sampling = false;
    }
    await Promise.all(this.replicas.map((replica) => this.checkOne(replica)));
  }

  private async checkOne(replica: Replica): Promise<void> {
    let state: ReplicaState | null;
    try {
      state = await replica.check(this.positions);
    } catch (e) {
      state = 'down';
      if (this.reported.get(replica.index) !== 'down') {
        this.logger.warn({ err: loggableError(e), replica: replica.index }, 'read replica is down');
      }
    }
    if (state === null || this.stopped) return;
    if (state !== this.reported.get(replica.index) && state !== 'down') {
      this.logger.log({ replica: replica.index, state }, `read replica is ${state}`);
    }
    this.reported.set(replica.index, state);
  }

  /** Whether `replica` may serve a read now: a standby caught up to within REPLICA_MAX_LAG_MS. */
  current(replica: Replica, now = this.now()): boolean {
    return replica.state === 'ready' && replica.caughtUpTo >= now - this.maxLagMs;
  }

  /** Each replica's state and lag, for `/health/ready`; lag is null when unknown. */
  status(): { replica: number; state: ReplicaState; lag_ms: number | null }[] {
    const now = this.now();
    return this.replicas.map((replica) => {
      const known = replica.caughtUpTo !== -Infinity;
      const state =
        replica.state === 'ready' && !this.current(replica, now) ? 'behind' : replica.state;
      return {
        replica: replica.index,
        state,
        lag_ms: known ? Math.max(0, Math.round(now - replica.caughtUpTo)) : null,
      };
    });
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.all(this.replicas.map((r) => r.close().catch(() => undefined)));
  }
}
