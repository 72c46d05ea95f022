import type {
  EntityManager,
  EntityTarget,
  FindManyOptions,
  FindOneOptions,
  FindOptionsWhere,
  ObjectLiteral,
  SelectQueryBuilder,
} from 'typeorm';
import { dbTime } from '../db-time';
import { rowEntity, rowSelect, type RowKey } from '../statements/row-select';
import { txRows } from '../statements/tx-statements';

type Where<E> = FindOptionsWhere<E> | FindOptionsWhere<E>[];

/**
 * The one type a read takes: a `Transaction` (the read is part of a change, sees its writes and
 * holds its locks) or a `ReadSource` (the primary, or a replica that read routing chose). Which
 * one is always the caller's choice, required by type: nothing falls back to the pool on its own.
 * Repositories take it last (`findById(businessId, id, db)`), and reach the database only
 * through it; the TypeORM manager underneath stays inside src/database (lint says so).
 */
export abstract class Reader {
  /** TypeORM's manager underneath: src/database's own, never a repository's. */
  abstract readonly manager: EntityManager;

  /** Whether this runs on PostgreSQL (else SQLite): for the few statements spelled per dialect. */
  get postgres(): boolean {
    return this.manager.connection.options.type === 'postgres';
  }

  /** A time as a raw statement's parameter, spelled as the entities store it (`dbTime`). */
  time(at: Date): Date | string {
    return dbTime(this.manager, at);
  }

  /**
   * One row found by equalities (`null`: `IS NULL`), through a fixed text prepared once
   * (`rowSelect`), not TypeORM's query builder: for reads on a hot path. An undefined value is
   * refused, never dropped from the WHERE.
   */
  async findRow<E extends ObjectLiteral>(
    entity: EntityTarget<E>,
    where: RowKey<E>,
  ): Promise<E | null> {
    const { sql, params } = rowSelect(this.manager, entity, where);
    const [record] = await txRows<Record<string, unknown>>(this.manager, sql, params);
    return record === undefined ? null : rowEntity(this.manager, entity, record);
  }

  find<E extends ObjectLiteral>(entity: EntityTarget<E>, options?: FindManyOptions<E>) {
    return this.manager.find(entity, options);
  }

  findBy<E extends ObjectLiteral>(entity: EntityTarget<E>, where: Where<E>) {
    return this.manager.findBy(entity, where);
  }

  findOne<E extends ObjectLiteral>(entity: EntityTarget<E>, options: FindOneOptions<E>) {
    return this.manager.findOne(entity, options);
  }

  findOneBy<E extends ObjectLiteral>(entity: EntityTarget<E>, where: Where<E>) {
    return this.manager.findOneBy(entity, where);
  }

  count<E extends ObjectLiteral>(entity: EntityTarget<E>, options?: FindManyOptions<E>) {
    return this.manager.count(entity, options);
  }

  countBy<E extends ObjectLiteral>(entity: EntityTarget<E>, where: Where<E>) {
    return this.manager.countBy(entity, where);
  }

  /** A query builder on this reader's connection: `(Entity, alias)` selects from the entity. */
  createQueryBuilder<E extends ObjectLiteral>(
    entity: EntityTarget<E>,
    alias: string,
  ): SelectQueryBuilder<E>;
  createQueryBuilder(): SelectQueryBuilder<ObjectLiteral>;
  createQueryBuilder<E extends ObjectLiteral>(
    entity?: EntityTarget<E>,
    alias?: string,
  ): SelectQueryBuilder<E> | SelectQueryBuilder<ObjectLiteral> {
    return entity === undefined
      ? (this.manager.createQueryBuilder() as SelectQueryBuilder<ObjectLiteral>)
      : this.manager.createQueryBuilder(entity, alias!);
  }

  /** `sql`'s named parameters (`:name`) spelled as the driver's own (`$1`, `?`), with their values. */
  positional(sql: string, params: Record<string, unknown>): [string, unknown[]] {
    const [text, values] = this.manager.connection.driver.escapeQueryWithParameters(
      sql,
      params,
      {},
    );
    return [text, values as unknown[]];
  }

  /** A raw statement, as TypeORM runs it (`EntityManager.query`): its rows, or the driver's result. */
  query<T = unknown>(sql: string, params?: unknown[]): Promise<T> {
    return this.manager.query<T>(sql, params);
  }
}
