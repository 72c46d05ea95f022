import type { DataSource, EntityManager, QueryRunner } from 'typeorm';

/** A unit of work on SQLite, as its watchdog sees it (`UnitOfWork`). */
export interface UnitScope {
  /** The watchdog gave up on it: its transaction was rolled back under it. */
  abandoned: boolean;
}

const scopes = new WeakMap<EntityManager, UnitScope>();

function refuseIfAbandoned(scope: UnitScope | undefined): void {
  if (scope?.abandoned) throw new Error('A statement of an abandoned unit of work was refused');
}

/**
 * The manager a unit of work runs on, on SQLite: TypeORM's one connection, through a runner whose
 * statements are refused once the unit is abandoned. Without it, what the unit still ran later
 * would land in the next unit's transaction, or in none. A manager and a proxy per unit, and no
 * AsyncLocalStorage, whose promise hooks would tax every request of the process.
 */
export function unitManager(
  dataSource: DataSource,
  base: EntityManager,
  scope: UnitScope,
): EntityManager {
  const runner = base.queryRunner!;
  const query: QueryRunner['query'] = (...args: Parameters<QueryRunner['query']>) => {
    refuseIfAbandoned(scope);
    return runner.query(...args);
  };
  const guarded = new Proxy(runner, {
    get(target, key) {
      if (key === 'query') return query;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  });
  const manager = dataSource.createEntityManager(guarded);
  scopes.set(manager, scope);
  return manager;
}

/** For statements run on the connection beside TypeORM (`txRun`): refused for an abandoned unit. */
export function assertUnitNotAbandoned(manager: EntityManager): void {
  refuseIfAbandoned(scopes.get(manager));
}
