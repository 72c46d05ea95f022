import type { Reader } from '../../database/units/reader';
import type { Transaction } from '../../database/units/unit-of-work';
import { Resource } from './resource.entity';
import { ResourcesRepository } from './resources.repository';

describe(ResourcesRepository.name, () => {
  const sut = new ResourcesRepository();
  // Any use of the handle would be a query: an empty business id must be refused before one.
  const db = new Proxy(
    {},
    {
      get: () => {
        throw new Error('queried');
      },
    },
  ) as Reader & Transaction;
  const id = '7d3f0c2e-5b1a-4c8e-9f6d-2a4b6c8e0f13';
  const calls: [string, () => unknown][] = [
    ['lockForRegistration', () => sut.lockForRegistration('', db)],
    ['find', () => sut.find('', id, db)],
    ['findByUri', () => sut.findByUri('', 'https://mcp.example.com', db)],
    ['count', () => sut.count('', db)],
    ['list', () => sut.list('', 50, null, db)],
    ['insert', () => sut.insert(Object.assign(new Resource(), { id, businessId: '' }), db)],
    [
      'update',
      () =>
        sut.update('', id, { name: 'x', scopes: [], updatedAt: new Date(), updatedBy: 'x' }, db),
    ],
    ['delete', () => sut.delete('', id, db)],
  ];

  it.each(calls)('%s refuses an empty business id before any query', async (_name, call) => {
    await expect(Promise.resolve().then(call)).rejects.toThrow(
      'A tenant query needs a business id',
    );
  });
});
