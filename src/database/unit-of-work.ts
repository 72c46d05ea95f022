import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { DomainError, StorageUnavailableError } from '../common/domain-error';
import { loggableError } from '../common/safe-error';
import { DomainEvent } from './domain-event';
import { DomainEvents } from './domain-events';

/**
 * The handle a unit of work gives its callback: the transaction's manager, and its events.
 * Repository methods that write, or lock, take one, so that forgetting it fails to compile; a read
 * that may run on its own takes `Transaction | null`, and null says so where it is called.
 */
export class Transaction {
  private readonly afterCommitHooks: (() => void)[] = [];

  constructor(
    readonly manager: EntityManager,
    private readonly events: DomainEvents,
    private readonly logger: Logger,
  ) {}

  /**
   * Publishes a domain event, once: its required handlers (the audit log) run now, with this
   * transaction, and a failure of one rolls the whole change back, so a change is never kept
   * without its audit record. Its after-commit subscribers (caches, the bus) run once the
   * transaction commits.
   */
  async publish(event: DomainEvent): Promise<void> {
    try {
      await this.events.dispatch(event, this.manager);
    } catch (e) {
      if (e instanceof DomainError) throw e;
      this.logger.error({ err: loggableError(e), event: event.name }, 'event handler failed');
      throw new StorageUnavailableError('The change could not be recorded; nothing was changed');
    }
    for (const subscriber of this.events.subscribersOf(event)) {
      this.afterCommit(() => subscriber(event));
    }
  }

  /** Runs `hook` once the transaction has committed; never if it rolls back. */
  afterCommit(hook: () => void): void {
    this.afterCommitHooks.push(hook);
  }

  runAfterCommitHooks(): void {
    for (const hook of this.afterCommitHooks) {
      try {
        hook();
      } catch (e) {
        this.logger.error({ err: loggableError(e) }, 'after-commit hook failed');
      }
    }
  }
}

/** The manager a read runs on: the transaction's, or with null, none (the pool's). */
export function readerOf(tx: Transaction | null, dataSource: DataSource): EntityManager {
  return tx?.manager ?? dataSource.manager;
}

/**
 * The first statement of a unit of work on SQLite: a write that changes nothing, so the
 * transaction holds the write lock from its start, as `BEGIN IMMEDIATE` would (TypeORM begins
 * them deferred). A deferred transaction that reads and then writes, while another process (the
 * CLI, a second server on the same file) committed in between, fails at once with "database is
 * locked", whatever the busy timeout; a lock taken first is waited for (`busy_timeout`). The
 * table is TypeORM's own record of migrations, which every migrated database has.
 */
const TAKE_WRITE_LOCK = 'UPDATE "migrations" SET "id" = "id" WHERE 0';

/**
 * Runs every write in one transaction. On SQLite, TypeORM holds a single connection, so a
 * second transaction started while one is open would nest as a savepoint of the first: units
 * of work are therefore queued and run one at a time there.
 */
@Injectable()
export class UnitOfWork {
  private readonly logger = new Logger(UnitOfWork.name);
  private readonly serialize: boolean;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly dataSource: DataSource,
    private readonly events: DomainEvents,
  ) {
    this.serialize = dataSource.options.type !== 'postgres';
  }

  run<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    if (!this.serialize) return this.execute(work);
    const result = this.tail.then(() => this.execute(work));
    this.tail = result.catch(() => undefined);
    return result;
  }

  private async execute<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    let tx!: Transaction;
    const result = await this.dataSource.transaction(async (manager) => {
      if (this.serialize) await manager.query(TAKE_WRITE_LOCK);
      tx = new Transaction(manager, this.events, this.logger);
      return work(tx);
    });
    tx.runAfterCommitHooks();
    return result;
  }
}
