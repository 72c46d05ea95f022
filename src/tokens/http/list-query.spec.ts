import fc from 'fast-check';
import { RequestValidationError } from '../../common/errors/domain-error';
import { RequestValidationPipe } from '../../common/validation/validation.pipe';
import { ListTokensQueryDto } from '../dto/token-requests.dto';
import { quickListQuery } from '../dto/token-list-query';
import { TOKEN_VIEW_FIELDS } from '../dto/token-view-fields';

/** The same class without the quick check: what class-validator alone makes of a query. */
class FullyCheckedQuery extends ListTokensQueryDto {}

const UUID = '0d9f7a52-7c1e-4f0b-9f7e-2b1f6a3c9d10';

/** Each parameter's values: plain ones the quick check takes, and near misses it must not. */
const VALUES: Record<string, string[]> = {
  limit: ['1', '20', '200', '201', '0', '020', '-1', '2.5', ' 20', '1e2', '', 'x', '9999'],
  cursor: ['', 'WyJ4Il0', 'x'.repeat(512), 'x'.repeat(513)],
  status: ['active', 'disabled', 'expired', 'revoked', 'live', '', 'Active'],
  identity_id: [UUID, UUID.toUpperCase(), 'not-a-uuid', '', `${UUID} `],
  name: ['', 'ci-', 'n'.repeat(100), 'n'.repeat(101)],
  sort: ['created_at', '-created_at', 'last_used_at', 'name', ''],
  q: ['ci', ''],
  fields: ['name,status', ' status , name ', 'name,name', 'id', '', 'name,', 'nope', 'name,nope'],
  business_id: [UUID],
  ['__proto__']: ['x'],
};

/** What the pipe answers for `query` as `metatype`: the instance's fields, or the 422's issues. */
async function answer(query: Record<string, unknown>, metatype: typeof ListTokensQueryDto) {
  const pipe = new RequestValidationPipe();
  try {
    const dto = await pipe.transform({ ...query }, { type: 'query', metatype, data: undefined });
    return { fields: JSON.parse(JSON.stringify(dto)) as unknown };
  } catch (e) {
    // Sorted: class-validator orders a subclass's inherited rules differently, and a refusal
    // never comes from the quick check, so the order is the full check's either way.
    if (e instanceof RequestValidationError)
      return { issues: e.issues.map((i) => JSON.stringify(i)).sort(), code: e.code };
    throw e;
  }
}

describe('the token list query', () => {
  it('is read as a plain page link reads, without the full check', () => {
    expect(quickListQuery({ limit: '20', fields: 'status,name' })).toEqual({
      limit: 20,
      fields: ['name', 'status'],
    });
    expect(quickListQuery({ limit: '20', q: 'ci' })).toBeUndefined();
    expect(quickListQuery({ limit: ['20', '30'] })).toBeUndefined();
  });

  it('answers every query, accepted or refused, as the full check does', async () => {
    const keys = Object.keys(VALUES);
    const queries = fc.dictionary(
      fc.constantFrom(...keys),
      fc.oneof(
        fc.constantFrom(...keys.flatMap((k) => VALUES[k])),
        fc.subarray([...TOKEN_VIEW_FIELDS]).map((f) => f.join(',')),
        fc.array(fc.constantFrom('20', 'name'), { minLength: 2, maxLength: 2 }),
      ),
      { maxKeys: 4 },
    );
    await fc.assert(
      fc.asyncProperty(queries, async (query) => {
        expect(await answer(query, ListTokensQueryDto)).toEqual(
          await answer(query, FullyCheckedQuery),
        );
      }),
      { seed: 20261129, numRuns: 600 },
    );
    for (const key of keys)
      for (const value of VALUES[key])
        expect(await answer({ [key]: value }, ListTokensQueryDto)).toEqual(
          await answer({ [key]: value }, FullyCheckedQuery),
        );
  });
});
