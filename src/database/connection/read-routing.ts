import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { DomainError } from '../../common/errors/domain-error';
import { loggableError } from '../../common/errors/safe-error';
import { Metrics } from '../../metrics/metrics';
import { auditedEventClasses } from '../units/domain-event';
import { DomainEvents } from '../units/domain-events';
import { RawRows } from '../raw-rows';
import { Reader } from '../units/reader';
import { Replica, ReplicaSet } from './replica-set';

/**
 * Where a read runs: the primary, or a read replica. A repository method that reads takes a
 * `Reader` (this, or the `Transaction` it is part of), required by type: a read goes to a replica
 * only where a service chose `ReadRouting` for it, and to the primary where it chose
 * `Database.primary`; every write stays on the primary, in a transaction.
 */
export class ReadSource extends Reader {
  constructor(
    readonly dataSource: DataSource,
    /** Raw-row reads on this source's own pool (`RawRows`). */
    readonly rows: RawRows,
    /** The replica it is; null for the primary. */
    readonly replica: Replica | null = null,
  ) {
    super();
  }

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  get name(): string {
    return this.replica?.name ?? 'primary';
  }
}

/**
 * The primary database, as a reader: what a read outside any transaction uses when no replica
 * may serve it (the verifier's lookups, jobs, the reads a change makes before its transaction).
 */
@Injectable()
export class Database {
  readonly primary: ReadSource;

  constructor(dataSource: DataSource, raw: RawRows) {
    this.primary = new ReadSource(dataSource, raw);
  }
}

/** An identity's last write is remembered at most this long past the lag allowed. */
const WRITES_KEPT_OVER_LAG_MS = 1000;
/** Past this many remembered writers, the old ones are swept (they can no longer matter). */
const WRITERS_SWEEP_AT = 10_000;

/**
 * Chooses where the reads that may use a replica run: lists, audit pages and exports, usage.
 *
 * A replica serves a caller's read when it is a standby within REPLICA_MAX_LAG_MS of the primary
 * (`ReplicaSet`, checked in the background) and has replayed past the caller's own last write:
 * the time of each identity's last committed change is kept (from the domain events every
 * change publishes, after commit), and a replica whose `caughtUpTo` is before it is passed over,
 * so a caller sees what it has just done. Else the primary answers. This memory is per
 * instance: docs/architecture.md, "Read replicas", says what that means behind a load balancer.
 */
@Injectable()
export class ReadRouting implements OnApplicationBootstrap {
  private readonly logger = new Logger(ReadRouting.name);
  readonly primary: ReadSource;
  private readonly sources: ReadSource[];
  /** identity id → when its last change committed (`ReplicaSet.now()`). */
  private readonly lastWrite = new Map<string, number>();
  private turn = 0;
  /** Reads routed, by where they went (a read a replica failed counts on both): for the suites. */
  readonly served = { primary: 0, replica: 0 };

  constructor(
    private readonly replicas: ReplicaSet,
    private readonly events: DomainEvents,
    database: Database,
    private readonly metrics: Metrics,
  ) {
    this.primary = database.primary;
    this.sources = replicas.replicas.map((r) => new ReadSource(r.dataSource, r.rows, r));
  }

  onApplicationBootstrap(): void {
    if (this.sources.length === 0) return;
    // Every change publishes its events through the unit of work, and after-commit subscribers
    // run once it has committed: the author's write is then on the primary.
    this.events.subscribe([...auditedEventClasses()], (event) => {
      if (event.author.actor.id !== null) this.noteWrite(event.author.actor.id);
    });
  }

  /** Notes that `identityId` has just committed a change: its reads wait for a replica to hold it. */
  noteWrite(identityId: string): void {
    const now = this.replicas.now();
    this.lastWrite.delete(identityId); // re-inserted last: the map stays in order of writing
    this.lastWrite.set(identityId, now);
    if (this.lastWrite.size > WRITERS_SWEEP_AT) this.forgetOldWrites(now);
  }

  /**
   * Where a read by `identityId` (null: no caller, such as a job) may run now: a current replica
   * that holds the caller's last write, taken in turn, else the primary. No server is asked.
   */
  sourceFor(identityId: string | null): ReadSource {
    if (this.sources.length === 0) return this.primary;
    const source = this.choose(identityId);
    const target = source.replica ? 'replica' : 'primary';
    this.served[target]++;
    this.metrics.routedRead(target);
    return source;
  }

  private choose(identityId: string | null): ReadSource {
    const now = this.replicas.now();
    const wrote = identityId === null ? undefined : this.lastWrite.get(identityId);
    for (let i = 0; i < this.sources.length; i++) {
      const source = this.sources[(this.turn + i) % this.sources.length];
      const replica = source.replica!;
      if (
        this.replicas.current(replica, now) &&
        (wrote === undefined || replica.caughtUpTo >= wrote)
      ) {
        this.turn = (this.turn + i + 1) % this.sources.length;
        return source;
      }
    }
    return this.primary;
  }

  /**
   * Runs `read` where `sourceFor` says. When a replica fails it (down, or a query cancelled by
   * recovery), the replica is passed over until its next check, and the primary answers; a
   * domain error (a bad cursor) is the answer, wherever it came from.
   */
  async read<T>(identityId: string | null, read: (from: ReadSource) => Promise<T>): Promise<T> {
    const source = this.sourceFor(identityId);
    if (source.replica === null) return read(source);
    try {
      return await read(source);
    } catch (e) {
      if (e instanceof DomainError) throw e;
      source.replica.markDown();
      this.logger.warn(
        { err: loggableError(e), replica: source.replica.index },
        'read on a replica failed; the primary answers',
      );
      this.served.primary++;
      this.metrics.routedRead('primary');
      return read(this.primary);
    }
  }

  private forgetOldWrites(now: number): void {
    const cutoff = now - this.replicas.maxLagMs - WRITES_KEPT_OVER_LAG_MS;
    // No current replica is caught up to before `now - maxLag`: older writes no longer decide.
    for (const [identity, at] of this.lastWrite) {
      if (at >= cutoff) break;
      this.lastWrite.delete(identity);
    }
  }
}
