import fc from 'fast-check';
import { RequestValidationError } from '../../common/errors/domain-error';
import { RequestValidationPipe } from '../../common/validation/validation.pipe';
import { AuditQueryDto } from './audit.dto';
import { AuditSeqParamDto, ConsistencyQueryDto, InclusionQueryDto } from './checkpoint.dto';
import { quickAuditQuery, quickWholes } from './quick-queries';

/** The same classes without the quick check: what class-validator alone makes of the input. */
class FullAuditQuery extends AuditQueryDto {}
class FullSeqParam extends AuditSeqParamDto {}
class FullInclusionQuery extends InclusionQueryDto {}
class FullConsistencyQuery extends ConsistencyQueryDto {}

const UUID = '0d9f7a52-7c1e-4f0b-9f7e-2b1f6a3c9d10';
const WHOLES = [
  '1',
  '42',
  '2147483647',
  '2147483648',
  '0',
  '042',
  '-1',
  '2.5',
  ' 4',
  '1e3',
  '',
  'x',
];

/** Each parameter's values: plain ones the quick checks take, and near misses they must not. */
const VALUES: Record<string, unknown[]> = {
  limit: ['1', '50', '200', '201', '0', '050', '-1', '2.5', ' 50', '1e2', '', 'x'],
  cursor: ['', 'WyJ4Il0', 'x'.repeat(512), 'x'.repeat(513)],
  action: [
    'token.created',
    'token.rejected',
    'Token.created',
    'token',
    '',
    ['token.created', 'token.revoked'],
    ['token.created', 'nope'],
    Array.from({ length: 20 }, () => 'token.created'),
    Array.from({ length: 21 }, () => 'token.created'),
  ],
  outcome: ['success', 'nope'],
  actor_id: [UUID, 'not-a-uuid'],
  from: ['2026-11-01T00:00:00Z', 'yesterday'],
  seq: WHOLES,
  size: WHOLES,
  to: WHOLES,
  ['__proto__']: ['x'],
};

type Dto = new () => object;

/** What the pipe answers for `input` as `metatype`: the instance's fields, or the 422's issues. */
async function answer(input: Record<string, unknown>, metatype: Dto, type: 'query' | 'param') {
  const pipe = new RequestValidationPipe();
  try {
    const dto = await pipe.transform({ ...input }, { type, metatype, data: undefined });
    return {
      fields: JSON.parse(JSON.stringify(dto)) as unknown,
      of: (dto as object).constructor === metatype,
    };
  } catch (e) {
    // Sorted: a subclass's inherited rules may come in another order.
    if (e instanceof RequestValidationError)
      return { issues: e.issues.map((i) => JSON.stringify(i)).sort(), code: e.code };
    throw e;
  }
}

const CASES: [string, Dto, Dto, 'query' | 'param', string[]][] = [
  [
    'a page',
    AuditQueryDto,
    FullAuditQuery,
    'query',
    ['limit', 'cursor', 'action', 'outcome', 'actor_id', 'from', '__proto__'],
  ],
  ['a seq', AuditSeqParamDto, FullSeqParam, 'param', ['seq', 'size']],
  [
    'an inclusion proof',
    InclusionQueryDto,
    FullInclusionQuery,
    'query',
    ['size', 'seq', '__proto__'],
  ],
  [
    'a consistency proof',
    ConsistencyQueryDto,
    FullConsistencyQuery,
    'query',
    ['from', 'to', 'size'],
  ],
];

describe('the audit log quick queries', () => {
  it('read plain links without the full check', () => {
    expect(quickAuditQuery({ limit: '50', action: 'token.created' })).toEqual({
      limit: 50,
      action: ['token.created'],
    });
    expect(quickAuditQuery({ limit: '50', outcome: 'success' })).toBeUndefined();
    expect(quickWholes(['from', 'to'])({ from: '1', to: '1000' })).toEqual({ from: 1, to: 1000 });
    expect(quickWholes(['from', 'to'])({ from: '1' })).toBeUndefined();
  });

  it.each(CASES)(
    'answer %s, accepted or refused, as the full check does',
    async (_, quick, full, type, keys) => {
      const inputs = fc.dictionary(
        fc.constantFrom(...keys),
        fc.constantFrom(...keys.flatMap((k) => VALUES[k])),
        { maxKeys: 3 },
      );
      await fc.assert(
        fc.asyncProperty(inputs, async (input) => {
          const [a, b] = [await answer(input, quick, type), await answer(input, full, type)];
          expect({ ...a, of: undefined }).toEqual({ ...b, of: undefined });
          if ('of' in a) expect(a.of).toBe(true);
        }),
        { seed: 20261129, numRuns: 400 },
      );
      for (const key of keys)
        for (const value of VALUES[key])
          expect(await answer({ [key]: value }, quick, type)).toEqual(
            await answer({ [key]: value }, full, type),
          );
    },
  );
});
