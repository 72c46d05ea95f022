import { Logger } from '@nestjs/common';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { StorageUnavailableError } from '../../common/errors/domain-error';
import { dataSourceOptions } from '../connection/data-source-options';
import { Audited, DomainEvent, SYSTEM_AUTHOR } from './domain-event';
import { DomainEvents } from './domain-events';
import { loadConfig } from '../../config/load-config';
import { Transaction, UnitOfWork } from './unit-of-work';

class SomethingHappened extends DomainEvent {
  readonly name = 'something.happened';
  constructor() {
    super(SYSTEM_AUTHOR);
  }
}

class SomethingElse extends DomainEvent {
  readonly name = 'something.else';
  constructor() {
    super(SYSTEM_AUTHOR);
  }
}

@Audited(() => ({
  businessId: null,
  target: { type: 'test', id: null, label: null },
  metadata: {},
}))
class MustBeAudited extends DomainEvent {
  readonly name = 'must.be_audited';
  constructor() {
    super(SYSTEM_AUTHOR);
  }
}

/** The watchdog's bound in these specs (REQUEST_TIMEOUT_MS's least). */
const HOLD_MS = 1000;

describe(UnitOfWork.name, () => {
  let dataSource: DataSource;
  let events: DomainEvents;
  let sut: UnitOfWork;

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(async () => {
    const config = loadConfig({ SQLITE_PATH: ':memory:', REQUEST_TIMEOUT_MS: String(HOLD_MS) });
    dataSource = new DataSource(dataSourceOptions(config, []));
    await dataSource.initialize();
    await dataSource.runMigrations();
    events = new DomainEvents();
    sut = new UnitOfWork(dataSource, events, config);
  });
  afterEach(() => dataSource.destroy());

  // Specs follow the code's import rules: database/ knows no feature, so rows go in as SQL.
  const insertBusiness = (em: EntityManager, id: string) =>
    em.query("INSERT INTO businesses (id, name, status, created_at) VALUES (?, 'b', 'active', ?)", [
      id,
      new Date().toISOString(),
    ]);
  const businesses = async () =>
    Number((await dataSource.query('SELECT COUNT(*) AS n FROM businesses'))[0].n);

  it('hands handlers the transaction manager, so their writes commit with the change', async () => {
    events.handle(SomethingHappened, async (_event, tx) => {
      await insertBusiness(tx.manager, '00000000-0000-4000-8000-000000000002');
    });
    await sut.run(async (tx) => {
      await insertBusiness(tx.manager, '00000000-0000-4000-8000-000000000001');
      await tx.publish(new SomethingHappened());
    });
    expect(await businesses()).toBe(2);
  });

  it('rolls the change back and answers 503 when a handler fails', async () => {
    events.handle(SomethingHappened, () => Promise.reject(new Error('audit store down')));
    const run = sut.run(async (tx) => {
      await insertBusiness(tx.manager, '00000000-0000-4000-8000-000000000001');
      await tx.publish(new SomethingHappened());
    });
    await expect(run).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(await businesses()).toBe(0);
  });

  it('runs after-commit hooks only after a commit', async () => {
    const ran: string[] = [];
    await sut.run((tx) => {
      tx.afterCommit(() => ran.push('committed'));
      expect(ran).toEqual([]);
      return Promise.resolve();
    });
    await sut
      .run((tx) => {
        tx.afterCommit(() => ran.push('rolled back'));
        return Promise.reject(new Error('no'));
      })
      .catch(() => undefined);
    expect(ran).toEqual(['committed']);
  });

  it('queues concurrent units of work on SQLite instead of nesting them', async () => {
    const order: string[] = [];
    const slow = sut.run(async (tx) => {
      order.push('a:start');
      await insertBusiness(tx.manager, '00000000-0000-4000-8000-00000000000a');
      await new Promise((r) => setTimeout(r, 20));
      order.push('a:end');
    });
    const fast = sut.run(async () => {
      order.push('b:start');
      order.push('b:end');
      return Promise.resolve();
    });
    await Promise.all([slow, fast]);
    expect(order).toEqual(['a:start', 'a:end', 'b:start', 'b:end']);
  });

  describe('group commit on SQLite', () => {
    const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

    it('commits units queued together in one transaction; a unit that fails rolls back alone', async () => {
      const transactions = jest.spyOn(dataSource, 'transaction');
      const committed: number[] = [];
      const unit = (n: number, fail?: 'throws' | 'duplicate') =>
        sut.run(async (tx) => {
          await insertBusiness(tx.manager, id(fail === 'duplicate' ? 1 : n));
          tx.afterCommit(() => committed.push(n));
          if (fail === 'throws') throw new Error(`unit ${n} refused`);
          return n;
        });
      const outcomes = await Promise.allSettled([
        unit(1),
        unit(2),
        unit(3, 'throws'),
        unit(4, 'duplicate'),
        unit(5),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'rejected',
        'rejected',
        'fulfilled',
      ]);
      expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : undefined))).toEqual([
        1,
        2,
        undefined,
        undefined,
        5,
      ]);
      expect((outcomes[2] as PromiseRejectedResult).reason).toEqual(new Error('unit 3 refused'));
      expect((outcomes[3] as PromiseRejectedResult).reason).toBeInstanceOf(QueryFailedError);
      expect(transactions).toHaveBeenCalledTimes(1);
      expect(committed).toEqual([1, 2, 5]);
      const kept = await dataSource.query('SELECT id FROM businesses ORDER BY id');
      expect(kept.map((r: { id: string }) => r.id)).toEqual([id(1), id(2), id(5)]);
    });

    it('bounds a group: the units past its size commit in the next transaction', async () => {
      const transactions = jest.spyOn(dataSource, 'transaction');
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          sut.run((tx) => insertBusiness(tx.manager, id(i + 1))),
        ),
      );
      expect(transactions).toHaveBeenCalledTimes(2);
      expect(await businesses()).toBe(40);
    });

    it('keeps nothing of a group whose transaction fails, and tells each unit so', async () => {
      const real = dataSource.transaction.bind(dataSource) as (
        work: (em: EntityManager) => Promise<unknown>,
      ) => Promise<unknown>;
      jest.spyOn(dataSource, 'transaction').mockImplementationOnce(((
        work: (em: EntityManager) => Promise<unknown>,
      ) =>
        real(async (em) => {
          await work(em);
          throw new Error('disk I/O error');
        })) as never);
      const committed: number[] = [];
      const outcomes = await Promise.allSettled(
        [1, 2, 3].map((n) =>
          sut.run(async (tx) => {
            await insertBusiness(tx.manager, id(n));
            tx.afterCommit(() => committed.push(n));
            if (n === 2) throw new Error('unit 2 refused');
          }),
        ),
      );
      expect(outcomes.map((o) => (o as PromiseRejectedResult).reason)).toEqual([
        new Error('disk I/O error'),
        new Error('unit 2 refused'),
        new Error('disk I/O error'),
      ]);
      expect(committed).toEqual([]);
      expect(await businesses()).toBe(0);
    });

    it('gathers units while a fake clock stands still', async () => {
      jest.useFakeTimers();
      try {
        await sut.run((tx) => insertBusiness(tx.manager, id(1)));
        expect(await businesses()).toBe(1);
      } finally {
        jest.useRealTimers();
      }
    });
  });

  it('ends a unit that waits on a unit started inside it, which on SQLite waits for it: 503, then both queues move', async () => {
    const outer = sut.run(async (tx) => {
      await insertBusiness(tx.manager, '00000000-0000-4000-8000-0000000000a1');
      return sut.run(() => Promise.resolve('inner'));
    });
    await expect(outer).rejects.toBeInstanceOf(StorageUnavailableError);
    // The outer unit's insert was rolled back; the next unit runs and commits.
    await sut.run((tx) => insertBusiness(tx.manager, '00000000-0000-4000-8000-0000000000a2'));
    const ids: { id: string }[] = await dataSource.query('SELECT id FROM businesses');
    expect(ids.map((r) => r.id.slice(-2))).toEqual(['a2']);
  });

  it('lets a unit started after another, from its after-commit hook, run', async () => {
    const ran = await new Promise<string>((resolve, reject) => {
      void sut.run((tx) => {
        tx.afterCommit(() => void sut.run(() => Promise.resolve('later')).then(resolve, reject));
        return Promise.resolve();
      });
    });
    expect(ran).toBe('later');
  });

  it('abandons a unit that holds the write lock past the bound: 503, rolled back, the next runs', async () => {
    const never = new Promise<void>(() => undefined);
    let resume!: () => void;
    const stalled = new Promise<void>((r) => (resume = r));
    const held = sut.run(async (tx) => {
      await insertBusiness(tx.manager, '00000000-0000-4000-8000-0000000000b1');
      await Promise.race([never, stalled]);
      // What it does once it wakes, its transaction long gone, must not land anywhere.
      await insertBusiness(tx.manager, '00000000-0000-4000-8000-0000000000b2');
    });
    const next = sut.run((tx) =>
      insertBusiness(tx.manager, '00000000-0000-4000-8000-0000000000b3'),
    );
    const started = Date.now();
    await expect(held).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(HOLD_MS - 50);
    await next;
    // The woken unit runs inside the next one's transaction on SQLite's one connection.
    const woke = sut.run(async (tx) => {
      resume();
      await new Promise((r) => setTimeout(r, 20));
      await insertBusiness(tx.manager, '00000000-0000-4000-8000-0000000000b4');
    });
    await woke;
    const ids: { id: string }[] = await dataSource.query('SELECT id FROM businesses ORDER BY id');
    expect(ids.map((r) => r.id.slice(-2))).toEqual(['b3', 'b4']);
  });

  it('runs subscribers after the commit, once, and never after a rollback', async () => {
    const seen: string[] = [];
    events.subscribe([SomethingHappened], (e) => seen.push(e.name));
    await sut.run(async (tx) => {
      await tx.publish(new SomethingHappened());
      expect(seen).toEqual([]);
    });
    expect(seen).toEqual(['something.happened']);
    await sut
      .run(async (tx) => {
        await tx.publish(new SomethingHappened());
        throw new Error('no');
      })
      .catch(() => undefined);
    expect(seen).toEqual(['something.happened']);
  });

  it('dispatches by class: a handler of one class never hears another', async () => {
    const heard: string[] = [];
    events.handle(SomethingElse, () => Promise.resolve(void heard.push('else')));
    await sut.run((tx) => tx.publish(new SomethingHappened()));
    expect(heard).toEqual([]);
  });
});

describe(DomainEvents.name, () => {
  it('refuses to start while an audited event class has no audit handler, naming it', () => {
    const sut = new DomainEvents();
    expect(() => sut.onApplicationBootstrap()).toThrow(
      /Audited events without an audit handler: .*MustBeAudited/,
    );
    sut.handle(MustBeAudited, () => Promise.resolve(), { audits: true });
    expect(sut.unaudited()).not.toContain(MustBeAudited);
  });

  it('does not count a handler that is not the audit log', () => {
    const sut = new DomainEvents();
    sut.handle(MustBeAudited, () => Promise.resolve());
    expect(sut.unaudited()).toContain(MustBeAudited);
  });

  it('runs the audit log after the other handlers, whatever order they registered in', async () => {
    const sut = new DomainEvents();
    const heard: string[] = [];
    const hear = (name: string) => () => Promise.resolve(void heard.push(name));
    sut.handle(MustBeAudited, hear('audit'), { audits: true });
    sut.handle(MustBeAudited, hear('first'));
    sut.handle(MustBeAudited, hear('second'));
    await sut.dispatch(new MustBeAudited(), {} as Transaction);
    expect(heard).toEqual(['first', 'second', 'audit']);
  });
});
