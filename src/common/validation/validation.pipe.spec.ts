import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { RequestValidationError } from '../errors/domain-error';
import { isCleanText } from './text';
import { ECHO_MAX, RequestValidationPipe, uncleanText } from './validation.pipe';

class Inner {
  @IsInt()
  n!: number;
}

class Body {
  @IsString()
  @MaxLength(3)
  name!: string;

  @IsString()
  token!: string;

  @ValidateNested()
  @Type(() => Inner)
  inner!: Inner;
}

describe(RequestValidationPipe.name, () => {
  const sut = new RequestValidationPipe();

  async function issuesOf(value: unknown, type: 'body' | 'query' | 'param') {
    try {
      await sut.transform(value, { type, metatype: Body, data: undefined });
    } catch (e) {
      if (e instanceof RequestValidationError) return e.issues;
      throw e;
    }
    throw new Error('expected a validation error');
  }

  it('locates issues in the part of the request it checks', async () => {
    const body = await issuesOf({ name: 'toolong', token: 'x', inner: { n: 1 } }, 'body');
    expect(body[0].loc).toEqual(['body', 'name']);
    const query = await issuesOf({ name: 'toolong', token: 'x', inner: { n: 1 } }, 'query');
    expect(query[0].loc).toEqual(['query', 'name']);
  });

  it('follows nested fields into loc', async () => {
    const issues = await issuesOf({ name: 'ok', token: 'x', inner: { n: 'one' } }, 'body');
    expect(issues).toEqual([
      { loc: ['body', 'inner', 'n'], msg: expect.any(String), type: 'int_type', input: 'one' },
    ]);
  });

  it('clips what it echoes, and masks a token in every field, known or not', async () => {
    const secret = `lk_${'A1b2C3d4E5'.repeat(3)}abcdef`;
    const long = await issuesOf({ name: 'x'.repeat(100_000), token: 'x', inner: { n: 1 } }, 'body');
    expect(JSON.stringify(long).length).toBeLessThan(500);
    expect(String(long[0].input).length).toBeLessThanOrEqual(ECHO_MAX + 1);

    const typo = await issuesOf(
      { name: 'ok', token: 'x', inner: { n: 1 }, tokn: secret, deep: { list: [secret] } },
      'body',
    );
    expect(JSON.stringify(typo)).not.toContain(secret);
    expect(typo.map((i) => i.loc)).toEqual([
      ['body', 'tokn'],
      ['body', 'deep'],
    ]);
  });

  it('answers a wrong type with its one message, not the constraints that follow from it', async () => {
    const issues = await issuesOf({ name: 12345, token: 'x', inner: { n: 1 } }, 'body');
    expect(issues).toEqual([
      { loc: ['body', 'name'], msg: 'name must be a string', type: 'string_type', input: 12345 },
    ]);
  });

  it('never echoes the input of a field that holds a token', async () => {
    const issues = await issuesOf({ name: 'ok', token: 12345, inner: { n: 1 } }, 'body');
    expect(issues[0].loc).toEqual(['body', 'token']);
    expect(issues[0]).not.toHaveProperty('input');
  });

  it('reports unknown fields as extra_forbidden', async () => {
    const issues = await issuesOf(
      { name: 'ok', token: 'x', inner: { n: 1 }, sneaky: true },
      'body',
    );
    expect(issues).toEqual([
      expect.objectContaining({ loc: ['body', 'sneaky'], type: 'extra_forbidden' }),
    ]);
  });

  it('passes a valid body through as a class instance', async () => {
    const value = await sut.transform(
      { name: 'ok', token: 'x', inner: { n: 1 } },
      { type: 'body', metatype: Body },
    );
    expect(value).toBeInstanceOf(Body);
  });
});

describe('uncleanText', () => {
  it('finds lone surrogates and NUL anywhere, keys included, with their place', () => {
    const issues = uncleanText(
      { a: 'ok \u{1F600} e\u0301', b: ['x', 'y\ud800'], c: { d: 'n\u0000' }, ['k\udc00']: 1 },
      'body',
    );
    expect(issues.map((i) => i.loc).sort()).toEqual(
      [
        ['body', 'b', 1],
        ['body', 'c', 'd'],
        ['body', 'k\udc00'],
      ].sort(),
    );
    expect(issues.every((i) => i.type === 'string_unicode' && !('input' in i))).toBe(true);
  });

  it('accepts well-formed text, surrogate pairs and U+FFFD', () => {
    expect(uncleanText({ a: '\ud83d\ude00', b: '\ufffd', c: '' }, 'query')).toEqual([]);
    expect(isCleanText('\udc00\ud800')).toBe(false);
  });
});

describe('RequestValidationPipe, when a validator throws', () => {
  class Thrower {
    @IsString()
    name!: string;
  }

  it('answers 422 for the place, never lets the error out as a 500', async () => {
    const sut = new RequestValidationPipe();
    const poisoned = {
      get name(): string {
        throw new URIError('URI malformed');
      },
    };
    await expect(
      sut.transform(poisoned, { type: 'body', metatype: Thrower, data: '' }),
    ).rejects.toBeInstanceOf(RequestValidationError);
  });
});

describe('RequestValidationPipe, on null', () => {
  class Patch {
    @ApiProperty()
    @IsString()
    name!: string;

    @ApiPropertyOptional()
    @IsOptional()
    @IsString()
    note?: string;

    @ApiPropertyOptional({ nullable: true, description: 'null: no limit' })
    @IsOptional()
    @IsInt()
    limit?: number | null;
  }
  class Derived extends PartialType(OmitType(Patch, ['name'])) {}

  const sut = new RequestValidationPipe();
  const run = (value: unknown, metatype: new () => unknown = Patch) =>
    sut.transform(value, { type: 'body', metatype, data: '' });
  const issuesOf = async (value: unknown, metatype?: new () => unknown) => {
    const error = await run(value, metatype).catch((e: unknown) => e);
    if (!(error instanceof RequestValidationError)) throw new Error('expected a 422');
    return error.issues;
  };

  it('refuses null in an optional field, naming it: optional means it may be left out', async () => {
    expect(await issuesOf({ name: 'a', note: null })).toEqual([
      {
        loc: ['body', 'note'],
        msg: 'note must not be null: leave it out instead',
        type: 'null_not_allowed',
        input: null,
      },
    ]);
  });

  it('refuses null in a required field, and names every null field at once', async () => {
    const issues = await issuesOf({ name: null, note: null });
    expect(issues.map((i) => [i.loc, i.type])).toEqual([
      [['body', 'name'], 'null_not_allowed'],
      [['body', 'note'], 'null_not_allowed'],
    ]);
  });

  it('takes null where the OpenAPI schema says nullable, in a mapped DTO too', async () => {
    await expect(run({ name: 'a', limit: null })).resolves.toMatchObject({ limit: null });
    await expect(run({ limit: null }, Derived)).resolves.toMatchObject({ limit: null });
    expect(await issuesOf({ note: null }, Derived)).toEqual([
      expect.objectContaining({ loc: ['body', 'note'], type: 'null_not_allowed' }),
    ]);
  });

  it('leaves an unknown null field to the whitelist, and a query alone', async () => {
    expect(await issuesOf({ name: 'a', other: null })).toEqual([
      expect.objectContaining({ loc: ['body', 'other'], type: 'extra_forbidden' }),
    ]);
    await expect(
      sut.transform({ name: 'a', note: null }, { type: 'query', metatype: Patch, data: '' }),
    ).resolves.toBeInstanceOf(Patch);
  });
});
