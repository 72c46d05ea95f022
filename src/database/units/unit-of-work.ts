import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { StorageUnavailableError } from '../../common/errors/domain-error';
import { AppConfig } from '../../config/app-config';
import { DomainEvents } from './domain-events';
import { holdDeclaredLocks, type KeyLock } from './key-lock';
import { Transaction } from './transaction';
import { unitManager, type UnitScope } from './unit-scope';

/** Where `Transaction` has always been imported from; it lives in transaction.ts. */
export { Transaction } from './transaction';

/**
 * The first statement of a unit of work on SQLite: a write that changes nothing, so the
 * transaction holds the write lock from its start, as `BEGIN IMMEDIATE` would (TypeORM begins
 * them deferred). A deferred transaction that reads and then writes, while another process (the
 * CLI, a second server on the same file) committed in between, fails at once with "database is
 * locked", whatever the busy timeout; a lock taken first is waited for (`busy_timeout`). The
 * table is TypeORM's own record of migrations, which every migrated database has.
 */
const TAKE_WRITE_LOCK = 'UPDATE "migrations" SET "id" = "id" WHERE 0';

/** What a unit declares when it starts: the key locks it takes first, in the one order. */
export interface UnitLocks {
  locks?: readonly KeyLock[];
}

/** A unit of work waiting for its turn on SQLite, and how it ended once it ran. */
interface Queued {
  work: (tx: Transaction) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * At most this many units of work share one SQLite transaction: it bounds the wait of the last
 * in a group (the others' CPU), while one commit, and one `fsync`, serves them all.
 */
const MAX_GROUP = 32;

/**
 * Node's own `setImmediate`, kept before a test's fake timers can replace the global: the
 * group's start must not wait on a clock that a test holds still.
 */
const nextTurn = setImmediate;

/**
 * Runs every write in one transaction.
 *
 * On SQLite, TypeORM holds a single connection, so a second transaction started while one is
 * open would nest as a savepoint of the first: units of work are queued and run one at a time.
 * They commit in groups (group commit): the units that queued while the last commit ran share
 * the next transaction, each inside a savepoint of its own, so one that fails rolls back alone
 * and the rest commit together. A commit with `synchronous = FULL` (said at open) waits for
 * `fsync` on the event loop, better-sqlite3 being synchronous: one wait per group instead of one
 * per unit (docs/performance.md). Each caller's promise still settles only once its
 * change has committed, or has not: what is acknowledged is on disk.
 */
@Injectable()
export class UnitOfWork {
  private readonly logger = new Logger(UnitOfWork.name);
  private readonly serialize: boolean;
  private readonly queue: Queued[] = [];
  private draining = false;

  /** How long a unit may hold SQLite's write lock before the watchdog abandons it. */
  private readonly holdLimitMs: number;

  constructor(
    private readonly dataSource: DataSource,
    private readonly events: DomainEvents,
    config: AppConfig,
  ) {
    this.serialize = dataSource.options.type !== 'postgres';
    this.holdLimitMs = config.REQUEST_TIMEOUT_MS;
  }

  /**
   * Runs `work` in a transaction of its own, and settles once it committed (or did not). Code
   * inside a unit passes its `Transaction` on, and never starts another: on SQLite the inner one
   * would wait for the outer one (until the watchdog ends the outer), and on PostgreSQL it holds
   * a second pooled connection while the first waits. `declared.locks` are the key locks the
   * unit takes before its first statement, in the one order (`holdDeclaredLocks`): those its
   * code would otherwise ask for only after an event of its own, which the order forbids.
   */
  run<T>(work: (tx: Transaction) => Promise<T>, declared: UnitLocks = {}): Promise<T> {
    const locks = declared.locks ?? [];
    if (locks.length > 0) {
      const body = work;
      work = async (tx) => {
        await holdDeclaredLocks(locks, tx);
        return body(tx);
      };
    }
    if (!this.serialize) return this.execute(work);
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.draining) {
        this.draining = true;
        // One turn of the event loop first, so that the requests whose I/O is already in gather
        // here and share the transaction, rather than each starting one of its own.
        nextTurn(() => this.drain());
      }
    });
  }

  /**
   * Runs the next group, then gives the event loop a turn before the one after it: requests
   * whose I/O came in meanwhile join that group, and timers and health checks are not held off
   * by a long stream of writes.
   */
  private drain(): void {
    const group = this.queue.splice(0, MAX_GROUP);
    const ran =
      group.length === 1
        ? this.execute(group[0].work).then(group[0].resolve, group[0].reject)
        : this.executeGroup(group);
    void ran.finally(() => {
      if (this.queue.length > 0) nextTurn(() => this.drain());
      else this.draining = false;
    });
  }

  private async execute<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    let tx!: Transaction;
    const result = await this.dataSource.transaction(async (manager) => {
      if (!this.serialize) {
        tx = new Transaction(manager, this.events, this.logger);
        return work(tx);
      }
      await manager.query(TAKE_WRITE_LOCK);
      const scope: UnitScope = { abandoned: false };
      tx = new Transaction(unitManager(this.dataSource, manager, scope), this.events, this.logger);
      return this.watched(tx, work, scope);
    });
    tx.runAfterCommitHooks();
    return result;
  }

  /**
   * Runs one unit's callback on SQLite under a watchdog that bounds how long it may hold the
   * write lock, which every other write waits for: past REQUEST_TIMEOUT_MS the unit is abandoned
   * (503, its changes rolled back), and whatever of it still runs later has its statements
   * refused (`unitManager`). A unit that waits on something that never answers thus stops one
   * request, never every tenant's writes.
   */
  private async watched<T>(
    tx: Transaction,
    work: (tx: Transaction) => Promise<T>,
    scope: UnitScope,
  ): Promise<T> {
    const running = work(tx);
    // An abandoned unit's own failure, later, is nobody's to handle.
    running.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const watchdog = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        scope.abandoned = true;
        this.logger.error(
          { held_ms: this.holdLimitMs },
          'unit of work abandoned: it held the write lock too long',
        );
        reject(new StorageUnavailableError('The change took too long and was not made; retry', 1));
      }, this.holdLimitMs);
    });
    try {
      return await Promise.race([running, watchdog]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Several queued units in one SQLite transaction, each in a savepoint: a unit that throws is
   * rolled back to its savepoint and rejected with its own error. If the transaction itself
   * fails (its commit, or a savepoint that cannot be rolled back to), no unit's change is kept,
   * and every unit that had not failed on its own is rejected with that failure.
   */
  private async executeGroup(group: Queued[]): Promise<void> {
    const outcomes: (
      { ok: true; value: unknown; tx: Transaction } | { ok: false; error: unknown }
    )[] = [];
    try {
      await this.dataSource.transaction(async (manager) => {
        await manager.query(TAKE_WRITE_LOCK);
        for (const unit of group) {
          await manager.query('SAVEPOINT unit_of_work');
          const scope: UnitScope = { abandoned: false };
          const unitTx = unitManager(this.dataSource, manager, scope);
          const tx = new Transaction(unitTx, this.events, this.logger);
          try {
            outcomes.push({ ok: true, value: await this.watched(tx, unit.work, scope), tx });
          } catch (error) {
            outcomes.push({ ok: false, error });
            await manager.query('ROLLBACK TO unit_of_work');
          }
          await manager.query('RELEASE unit_of_work');
        }
      });
    } catch (failure) {
      group.forEach((unit, i) => {
        const outcome = outcomes[i];
        unit.reject(outcome && !outcome.ok ? outcome.error : failure);
      });
      return;
    }
    group.forEach((unit, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) {
        outcome.tx.runAfterCommitHooks();
        unit.resolve(outcome.value);
      } else {
        unit.reject(outcome.error);
      }
    });
  }
}
