import { Logger } from '@nestjs/common';
import { LastUsedWriter } from './last-used-writer';
import type { UnitOfWork } from '../../database/units/unit-of-work';
import type { TokenWritesRepository } from '../store/repositories/token-writes.repository';

describe(LastUsedWriter.name, () => {
  const writes: { ids: string[]; at: Date }[] = [];
  const uow = { run: (work: (tx: object) => Promise<void>) => work({}) };
  const repo = {
    markUsed: (ids: string[], at: Date, _tx: unknown) => {
      writes.push({ ids, at });
      return Promise.resolve();
    },
  };
  let sut: LastUsedWriter;

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(() => {
    writes.length = 0;
    sut = new LastUsedWriter(
      uow as unknown as UnitOfWork,
      repo as unknown as TokenWritesRepository,
    );
  });

  it('writes every noted token in one batch', async () => {
    sut.touch('a');
    sut.touch('b');
    await sut.flush();
    expect(writes).toHaveLength(1);
    expect(writes[0].ids.sort()).toEqual(['a', 'b']);
  });

  it('notes a token at most once a minute', async () => {
    const t0 = Date.now();
    sut.touch('a', t0);
    await sut.flush();
    sut.touch('a', t0 + 30_000);
    await sut.flush();
    sut.touch('a', t0 + 61_000);
    await sut.flush();
    expect(writes.map((w) => w.ids)).toEqual([['a'], ['a']]);
  });

  it('writes nothing when nothing was used', async () => {
    await sut.flush();
    expect(writes).toEqual([]);
  });

  it('drops a failed batch instead of failing the caller', async () => {
    const failing = { markUsed: () => Promise.reject(new Error('db down')) };
    const writer = new LastUsedWriter(
      uow as unknown as UnitOfWork,
      failing as unknown as TokenWritesRepository,
    );
    writer.touch('a');
    await expect(writer.flush()).resolves.toBeUndefined();
  });
});
