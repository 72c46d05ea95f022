import { Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { DataSource } from 'typeorm';
import { StorageUnavailableError } from '../common/domain-error';
import { Business } from '../tenancy/business.entity';
import { dataSourceOptions } from './data-source-options';
import { DomainEvent, SYSTEM_AUTHOR } from './domain-event';
import { loadConfig } from '../config/app-config';
import { UnitOfWork } from './unit-of-work';

class SomethingHappened extends DomainEvent {
  readonly name = 'something.happened';
  constructor() {
    super(SYSTEM_AUTHOR);
  }
}

describe(UnitOfWork.name, () => {
  let dataSource: DataSource;
  let emitter: EventEmitter2;
  let sut: UnitOfWork;

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(async () => {
    dataSource = new DataSource(dataSourceOptions(loadConfig({ SQLITE_PATH: ':memory:' })));
    await dataSource.initialize();
    await dataSource.runMigrations();
    emitter = new EventEmitter2();
    sut = new UnitOfWork(dataSource, emitter);
  });
  afterEach(() => dataSource.destroy());

  const business = (id: string) =>
    Object.assign(new Business(), { id, name: 'b', status: 'active', createdAt: new Date() });

  it('hands listeners the transaction manager, so their writes commit with the change', async () => {
    // emitAsync awaits the promise a listener returns; EventEmitter2's types say void.
    const listener = (event: SomethingHappened) =>
      event.manager.insert(Business, business('00000000-0000-4000-8000-000000000002'));
    emitter.on('something.happened', listener as (event: SomethingHappened) => void);
    await sut.run(async (tx) => {
      await tx.manager.insert(Business, business('00000000-0000-4000-8000-000000000001'));
      await tx.emit(new SomethingHappened());
    });
    expect(await dataSource.manager.count(Business)).toBe(2);
  });

  it('rolls the change back and answers 503 when a listener fails', async () => {
    emitter.on('something.happened', () => {
      throw new Error('audit store down');
    });
    const run = sut.run(async (tx) => {
      await tx.manager.insert(Business, business('00000000-0000-4000-8000-000000000001'));
      await tx.emit(new SomethingHappened());
    });
    await expect(run).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(await dataSource.manager.count(Business)).toBe(0);
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
      await tx.manager.insert(Business, business('00000000-0000-4000-8000-00000000000a'));
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

  it('does not bind the manager as an enumerable field of the event', () => {
    const event = new SomethingHappened().bind(dataSource.manager);
    expect(Object.keys(event)).not.toContain('manager');
    expect(event.manager).toBe(dataSource.manager);
  });
});
