import type { Reader } from '../../../database/units/reader';
import type { Transaction } from '../../../database/units/unit-of-work';
import { AuthorizationCode } from './authorization-code.entity';
import { AuthorizationCodesRepository } from './authorization-codes.repository';

describe(AuthorizationCodesRepository.name, () => {
  const sut = new AuthorizationCodesRepository();
  // Any use of the handle would be a query: an empty business id must be refused before one.
  const db = new Proxy(
    {},
    {
      get: () => {
        throw new Error('queried');
      },
    },
  ) as Reader & Transaction;
  const calls: [string, () => unknown][] = [
    ['insert', () => sut.insert(Object.assign(new AuthorizationCode(), { businessId: '' }), db)],
    ['redeem', () => sut.redeem('', 'a'.repeat(64), new Date(), db)],
  ];

  it.each(calls)('%s refuses an empty business id before any query', async (_name, call) => {
    await expect(Promise.resolve().then(call)).rejects.toThrow(
      'A tenant query needs a business id',
    );
  });
});
