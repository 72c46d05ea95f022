import type { Logger } from '@nestjs/common';
import {
  InsertResult,
  type DeleteResult,
  type EntityManager,
  type EntityTarget,
  type FindOptionsWhere,
  type ObjectLiteral,
  type UpdateResult,
} from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { DomainError, StorageUnavailableError } from '../../common/errors/domain-error';
import { loggableError } from '../../common/errors/safe-error';
import type { DomainEvent } from './domain-event';
import { Reader } from './reader';
import { isPipelined, statementsTogether } from './statements-together';
import { txRows, txRun } from '../statements/tx-statements';
import { readBack, rowInsert, type OnConflict } from '../statements/row-insert';

/** What a transaction asks of the domain event dispatcher (`DomainEvents`). */
export interface EventDispatch {
  dispatch(event: DomainEvent, tx: Transaction): Promise<void>;
  subscribersOf(event: DomainEvent): readonly ((event: DomainEvent) => void)[];
}

/**
 * The handle a unit of work gives its callback: its transaction, and its events. Repository
 * methods that write, or lock, take one, last (`insert(token, tx)`), so that forgetting it fails
 * to compile; a read takes a `Reader`, which a transaction is too. On SQLite the manager beneath
 * is the unit's own (`unitManager`), so that a unit's statements stay in its savepoint.
 */
export class Transaction extends Reader {
  private readonly afterCommitHooks: (() => void)[] = [];
  /** The key locks this transaction holds (key-lock.ts), and how. */
  private readonly keyLocks = new Map<string, 'shared' | 'exclusive'>();

  constructor(
    readonly manager: EntityManager,
    private readonly events: EventDispatch,
    private readonly logger: Logger,
  ) {
    super();
  }

  /**
   * Inserts rows. One row goes through a fixed text per entity and column set (`rowInsert`),
   * prepared once, and reads back what TypeORM would into it (a column's default); several go
   * through TypeORM's insert, whose text holds one tuple per row.
   */
  async insert<E extends ObjectLiteral>(
    entity: EntityTarget<E>,
    values: QueryDeepPartialEntity<E> | QueryDeepPartialEntity<E>[],
  ): Promise<InsertResult> {
    if (Array.isArray(values) || Object.values(values).some((v) => typeof v === 'function')) {
      // A function is raw SQL for TypeORM to write into the text: no fixed text can hold it.
      return this.manager.insert(entity, values);
    }
    const row = values as E;
    const { sql, params, returning } = rowInsert(this.manager, entity, row);
    const result = new InsertResult();
    if (returning.length === 0) {
      await txRun(this.manager, sql, params);
    } else {
      const [record] = await txRows<Record<string, unknown>>(this.manager, sql, params);
      result.raw = record;
      result.generatedMaps = [readBack(this.manager, row, returning, record)];
    }
    result.identifiers = [this.manager.connection.getMetadata(entity).getEntityIdMap(row) ?? {}];
    return result;
  }

  /**
   * Inserts one whole entity row through its fixed text (`rowInsert`), as `insert` does; with
   * `ignore`, a row whose key is taken is left unwritten (`ON CONFLICT DO NOTHING`).
   */
  async insertRow<E extends ObjectLiteral>(
    entity: EntityTarget<E>,
    row: E,
    onConflict: OnConflict = 'fail',
  ): Promise<void> {
    const { sql, params, returning } = rowInsert(this.manager, entity, row, onConflict);
    if (returning.length === 0) {
      await txRun(this.manager, sql, params);
      return;
    }
    const [record] = await txRows<Record<string, unknown>>(this.manager, sql, params);
    readBack(this.manager, row, returning, record);
  }

  /** Inserts, or on a conflict of `conflictPaths`, updates the row: `INSERT … ON CONFLICT`. */
  upsert<E extends ObjectLiteral>(
    entity: EntityTarget<E>,
    values: QueryDeepPartialEntity<E> | QueryDeepPartialEntity<E>[],
    conflictPaths: string[],
  ): Promise<InsertResult> {
    return this.manager.upsert(entity, values, conflictPaths);
  }

  /** Updates the rows `where` matches; a where object only, never a bare id. */
  update<E extends ObjectLiteral>(
    entity: EntityTarget<E>,
    where: FindOptionsWhere<E>,
    values: QueryDeepPartialEntity<E>,
  ): Promise<UpdateResult> {
    return this.manager.update(entity, where, values);
  }

  /** Deletes the rows `where` matches; a where object only, never a bare id. */
  delete<E extends ObjectLiteral>(
    entity: EntityTarget<E>,
    where: FindOptionsWhere<E>,
  ): Promise<DeleteResult> {
    return this.manager.delete(entity, where);
  }

  /** A fixed-text statement, prepared once (`txRun`); answers how many rows it changed. */
  statement(sql: string, params: readonly unknown[]): Promise<number> {
    return txRun(this.manager, sql, params);
  }

  /** A fixed-text statement's rows, a SELECT's or a RETURNING's (`txRows`). */
  statementRows<T extends object>(sql: string, params: readonly unknown[]): Promise<T[]> {
    return txRows<T>(this.manager, sql, params);
  }

  /** Statements that do not wait on each other's answers, in one round trip when pipelined. */
  together<T extends readonly unknown[]>(
    statements: readonly [...{ [K in keyof T]: () => Promise<T[K]> }],
  ): Promise<T> {
    return statementsTogether<T>(this.manager, statements);
  }

  /** Whether this transaction's connection sends a statement before the last one answered. */
  get pipelined(): boolean {
    return isPipelined(this.manager);
  }

  /**
   * Publishes a domain event, once: its required handlers (the audit log) run now, with this
   * transaction, and a failure of one rolls the whole change back, so a change is never kept
   * without its audit record. Its after-commit subscribers (caches, the bus) run once the
   * transaction commits.
   */
  async publish(event: DomainEvent): Promise<void> {
    try {
      await this.events.dispatch(event, this);
    } catch (e) {
      if (e instanceof DomainError) throw e;
      this.logger.error({ err: loggableError(e), event: event.name }, 'event handler failed');
      throw new StorageUnavailableError('The change could not be recorded; nothing was changed');
    }
    for (const subscriber of this.events.subscribersOf(event)) {
      this.afterCommit(() => subscriber(event));
    }
  }

  /** Whether this transaction holds the key lock on `key` at least as strongly as `mode`. */
  holdsKey(key: string, mode: 'shared' | 'exclusive'): boolean {
    const held = this.keyLocks.get(key);
    return held === 'exclusive' || held === mode;
  }

  /**
   * Records a key lock about to be taken, so the transaction never asks for a key twice, and a
   * key its unit declared (`UnitOfWork.run(work, { locks })`) is not asked again where the code
   * reads under it.
   */
  noteKeyLock(key: string, mode: 'shared' | 'exclusive'): void {
    this.keyLocks.set(key, mode === 'exclusive' ? 'exclusive' : (this.keyLocks.get(key) ?? mode));
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
