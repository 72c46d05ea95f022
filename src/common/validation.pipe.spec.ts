import { Type } from 'class-transformer';
import { IsInt, IsString, MaxLength, ValidateNested } from 'class-validator';
import { RequestValidationError } from './domain-error';
import { RequestValidationPipe } from './validation.pipe';

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
